"""`boxoffice rotate-encryption-key`: re-encrypt every stored secret under the newest key.

The procedure (README, Security):

1. ``boxoffice rotate-encryption-key --new-key`` prints a fresh key.
2. Put it first in FIELD_ENCRYPTION_KEY, keeping the old key after it (``NEW,OLD``), and restart:
   new values are encrypted with NEW, old ones still open with OLD.
3. ``boxoffice rotate-encryption-key`` re-encrypts every value under NEW, in one transaction.
4. Remove OLD from FIELD_ENCRYPTION_KEY and restart.

The demo keeps its key in var/field_encryption_key; ``--demo`` does steps 1 to 3 on that file.
"""

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from boxoffice.common.encryption import (
    encrypted_fields,
    new_key,
    reencrypt,
    rewrite_column,
)

DEMO_KEY_FILE = "field_encryption_key"


class Command(BaseCommand):
    help = "Re-encrypt the stored secrets with the first key of FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--new-key", action="store_true", help="Only print a new key and change nothing."
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Rotate the demo's generated key in var/ (when FIELD_ENCRYPTION_KEY is unset).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            self.stdout.write(new_key())
            return
        if options["demo"]:
            self._rotate_demo_key()
            return
        count = self._reencrypt_all()
        self.stdout.write(
            f"{count} secret(s) re-encrypted with the first of "
            f"{len(settings.FIELD_ENCRYPTION_KEYS)} key(s). Once this is done everywhere, the "
            "other keys can be removed from FIELD_ENCRYPTION_KEY."
        )

    def _reencrypt_all(self) -> int:
        count = 0
        try:
            with transaction.atomic():
                for model, name in encrypted_fields():
                    column = model._meta.get_field(name).column  # type: ignore[union-attr]
                    assert column is not None  # a concrete field always has one
                    count += rewrite_column(connection, model._meta.db_table, column, reencrypt)
        except ImproperlyConfigured as error:  # DecryptionFailed, or a malformed key
            # Nothing was rewritten (one transaction): every value is still readable as before.
            raise CommandError(f"{error} Nothing was changed.") from error
        return count

    def _rotate_demo_key(self) -> None:
        path = settings.VAR_DIR / DEMO_KEY_FILE
        if os.environ.get("FIELD_ENCRYPTION_KEY") or not path.exists():
            raise CommandError(
                "--demo rotates var/field_encryption_key, but FIELD_ENCRYPTION_KEY is set: "
                "follow the steps in `boxoffice rotate-encryption-key --help` instead."
            )
        keys = [new_key(), *settings.FIELD_ENCRYPTION_KEYS]
        # The new key is on disk before any value depends on it: a crash from here on leaves a
        # file that opens old and new values alike.
        self._write(path, keys)
        settings.FIELD_ENCRYPTION_KEYS = keys
        count = self._reencrypt_all()
        # Only now that every value opens with the new key does the file forget the old ones.
        self._write(path, keys[:1])
        self.stdout.write(f"{count} secret(s) re-encrypted; var/{DEMO_KEY_FILE} has a new key.")

    @staticmethod
    def _write(path: Path, keys: list[str]) -> None:
        temporary = path.with_suffix(".new")
        temporary.write_text(",".join(keys))
        temporary.chmod(0o600)
        temporary.replace(path)  # atomic: never a half-written key file
