"""Encrypt the paytrail_secret values stored in plaintext so far (common.encryption)."""

from typing import Any

from django.db import migrations

import boxoffice.common.encryption
from boxoffice.common.encryption import decrypt, encrypt, rewrite_column


def encrypt_existing(apps: Any, schema_editor: Any) -> None:
    rewrite_column(schema_editor.connection, "accounts_organizer", "paytrail_secret", encrypt)


def decrypt_existing(apps: Any, schema_editor: Any) -> None:
    rewrite_column(schema_editor.connection, "accounts_organizer", "paytrail_secret", decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_organizer_require_second_factor"),
    ]

    operations = [
        migrations.AlterField(
            model_name="organizer",
            name="paytrail_secret",
            field=boxoffice.common.encryption.EncryptedTextField(
                blank=True, verbose_name="Paytrail secret key"
            ),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
