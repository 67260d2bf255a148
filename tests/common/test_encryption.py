"""Secrets at rest: what the database holds, what code reads, and rotating the key."""

import importlib
import io
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from boxoffice.accounts.models import Organizer
from boxoffice.common.encryption import DecryptionFailed, encrypted_fields
from boxoffice.webhooks.models import WebhookEndpoint

KEY_1 = Fernet.generate_key().decode()
KEY_2 = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_1]


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def endpoint(organizer: Organizer) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organizer=organizer,
        url="https://hooks.example.com/x",
        secret="whsec_abcdefghijklmnop",
        events=["order.paid"],
        created_at=timezone.now(),
    )


def test_the_database_holds_tokens_and_code_reads_secrets(organizer, endpoint):
    organizer.paytrail_merchant_id = "695861"
    organizer.paytrail_secret = "MONISAIPPUAKAUPPIAS"
    organizer.save()

    stored = raw("accounts_organizer", "paytrail_secret", organizer.pk)
    assert stored.startswith("gAAAAA")
    assert Fernet(KEY_1).decrypt(stored.encode()) == b"MONISAIPPUAKAUPPIAS"
    assert raw("webhooks_webhookendpoint", "secret", endpoint.pk).startswith("gAAAAA")
    assert Organizer.objects.get(pk=organizer.pk).paytrail_secret == "MONISAIPPUAKAUPPIAS"
    assert WebhookEndpoint.objects.get().secret == "whsec_abcdefghijklmnop"
    assert list(Organizer.objects.values_list("paytrail_secret", flat=True)) == [
        "MONISAIPPUAKAUPPIAS"
    ]


def test_an_empty_secret_stays_empty_and_queryable(organizer, make_organizer):
    make_organizer(paytrail_merchant_id="1", paytrail_secret="S3CRET")

    assert raw("accounts_organizer", "paytrail_secret", organizer.pk) == ""
    assert list(Organizer.objects.filter(paytrail_secret="")) == [organizer]
    assert Organizer.objects.exclude(paytrail_secret="").count() == 1


def test_a_missing_key_is_an_error_never_a_plaintext_guess(organizer, settings):
    organizer.paytrail_secret = "S3CRET"
    organizer.save()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2]

    with pytest.raises(DecryptionFailed, match="missing from the setting"):
        Organizer.objects.get(pk=organizer.pk)


def test_every_secret_field_is_listed_for_rotation():
    assert sorted((m._meta.label, f) for m, f in encrypted_fields()) == [
        ("accounts.Organizer", "paytrail_secret"),
        ("webhooks.WebhookEndpoint", "secret"),
    ]


def test_rotation_reencrypts_under_the_new_key(organizer, endpoint, settings):
    organizer.paytrail_secret = "S3CRET"
    organizer.save()
    before = raw("accounts_organizer", "paytrail_secret", organizer.pk)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2, KEY_1]
    out = io.StringIO()

    call_command("rotate-encryption-key", stdout=out)

    assert "2 secret(s) re-encrypted with the first of 2 key(s)" in out.getvalue()
    after = raw("accounts_organizer", "paytrail_secret", organizer.pk)
    assert after != before
    assert Fernet(KEY_2).decrypt(after.encode()) == b"S3CRET"
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2]  # the old key can go
    assert Organizer.objects.get(pk=organizer.pk).paytrail_secret == "S3CRET"
    assert WebhookEndpoint.objects.get().secret == "whsec_abcdefghijklmnop"


def test_rotation_without_the_old_key_changes_nothing(organizer, endpoint, settings):
    organizer.paytrail_secret = "S3CRET"
    organizer.save()
    before = raw("accounts_organizer", "paytrail_secret", organizer.pk)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2]  # the operator forgot to keep KEY_1

    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("rotate-encryption-key")

    assert raw("accounts_organizer", "paytrail_secret", organizer.pk) == before


def test_rotation_with_a_malformed_key_is_a_clean_refusal(organizer, settings):
    organizer.paytrail_secret = "S3CRET"
    organizer.save()
    before = raw("accounts_organizer", "paytrail_secret", organizer.pk)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2, "bad"]

    with pytest.raises(CommandError, match="must be comma-separated Fernet keys"):
        call_command("rotate-encryption-key")

    assert raw("accounts_organizer", "paytrail_secret", organizer.pk) == before


def test_new_key_prints_a_usable_key():
    out = io.StringIO()
    call_command("rotate-encryption-key", "--new-key", stdout=out)

    Fernet(out.getvalue().strip().encode())  # raises if it is not a Fernet key


def test_the_demo_key_file_rotates(organizer, settings, tmp_path, monkeypatch):
    monkeypatch.delenv("FIELD_ENCRYPTION_KEY", raising=False)
    settings.VAR_DIR = tmp_path
    (tmp_path / "field_encryption_key").write_text(KEY_1)
    organizer.paytrail_secret = "S3CRET"
    organizer.save()

    call_command("rotate-encryption-key", "--demo", stdout=io.StringIO())

    new = (tmp_path / "field_encryption_key").read_text()
    assert new != KEY_1 and "," not in new  # the old key is gone once all is re-encrypted
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert Organizer.objects.get(pk=organizer.pk).paytrail_secret == "S3CRET"


def test_the_demo_key_file_holds_both_keys_while_values_are_rewritten(
    organizer, settings, tmp_path, monkeypatch
):
    monkeypatch.delenv("FIELD_ENCRYPTION_KEY", raising=False)
    settings.VAR_DIR = tmp_path
    key_file = tmp_path / "field_encryption_key"
    key_file.write_text(KEY_1)
    organizer.paytrail_secret = "S3CRET"
    organizer.save()
    seen: list[str] = []
    command = importlib.import_module(
        "boxoffice.common.management.commands.rotate-encryption-key"
    ).Command

    def crash(self):
        seen.append(key_file.read_text())
        raise RuntimeError("the process dies here")

    monkeypatch.setattr(command, "_reencrypt_all", crash)
    with pytest.raises(RuntimeError):
        call_command(command(), "--demo", stdout=io.StringIO())

    new, old = seen[0].split(",")
    assert old == KEY_1 and key_file.read_text() == f"{new},{KEY_1}"


def test_a_broken_key_setting_stops_the_process_with_its_name(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "BOXOFFICE_VAR_DIR": str(tmp_path),
        "PAYTRAIL_SANDBOX": "1",
        "FIELD_ENCRYPTION_KEY": "not-a-key",
    }
    done = subprocess.run(
        [sys.executable, "-m", "boxoffice", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent,
    )

    assert done.returncode == 1
    assert "boxoffice.E004" in done.stderr
    assert "FIELD_ENCRYPTION_KEY must be comma-separated Fernet keys" in done.stderr


def test_the_migration_encrypts_existing_plaintext_and_back(organizer, endpoint):
    migration = importlib.import_module("boxoffice.accounts.migrations.0006_encrypt_secrets")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_organizer SET paytrail_secret = 'PLAIN' WHERE id = %s", [organizer.pk]
        )

    # The functions use only the schema editor's connection (SQLite cannot open an editor here).
    editor = SimpleNamespace(connection=connection)
    migration.encrypt_existing(apps, editor)

    stored = raw("accounts_organizer", "paytrail_secret", organizer.pk)
    assert Fernet(KEY_1).decrypt(stored.encode()) == b"PLAIN"
    migration.decrypt_existing(apps, editor)
    assert raw("accounts_organizer", "paytrail_secret", organizer.pk) == "PLAIN"
