"""Encrypt the secret values stored in plaintext so far (common.encryption)."""

from typing import Any

from django.db import migrations

import boxoffice.common.encryption
from boxoffice.common.encryption import decrypt, encrypt, rewrite_column


def encrypt_existing(apps: Any, schema_editor: Any) -> None:
    rewrite_column(schema_editor.connection, "webhooks_webhookendpoint", "secret", encrypt)


def decrypt_existing(apps: Any, schema_editor: Any) -> None:
    rewrite_column(schema_editor.connection, "webhooks_webhookendpoint", "secret", decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=boxoffice.common.encryption.EncryptedTextField(editable=False),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
