"""Checks of the settings the common layer owns: the key that opens the secrets at rest."""

import os
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection

from boxoffice.common.encryption import cipher, decrypt, encrypted_fields

# Checks that `boxoffice serve` and `worker` run before they start (payments.checks).
STARTUP_TAG = "startup"


@checks.register(checks.Tags.security, STARTUP_TAG, deploy=True)
def field_encryption_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Production keeps the key that opens stored secrets out of var/ (and out of backups)."""
    problems: list[checks.CheckMessage] = []
    if not settings.PAYTRAIL_SANDBOX and not os.environ.get("FIELD_ENCRYPTION_KEY"):
        problems.append(
            checks.Error(
                "FIELD_ENCRYPTION_KEY is not set: organizers' Paytrail and webhook secrets "
                "would be encrypted with a key generated into var/, next to the data.",
                hint="Set FIELD_ENCRYPTION_KEY to a key from "
                "`boxoffice rotate-encryption-key --new-key` and keep it out of backups.",
                id="boxoffice.E003",
            )
        )
    try:
        cipher()
    except ImproperlyConfigured as error:
        problems.append(checks.Error(str(error), id="boxoffice.E004"))
    return problems


@checks.register(STARTUP_TAG)
def stored_secrets_open(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A well-formed but wrong key would turn every page that reads an organizer into a 500:
    the processes refuse to start instead, naming the setting. One stored value per field."""
    for model, name in encrypted_fields():
        column = model._meta.get_field(name).column  # type: ignore[union-attr]
        table = connection.ops.quote_name(model._meta.db_table)
        quoted = connection.ops.quote_name(str(column))
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {quoted} FROM {table} WHERE {quoted} <> '' LIMIT 1")
                row = cursor.fetchone()
        except DatabaseError:
            return []  # not migrated yet (or no database): nothing stored to open
        if row is None:
            continue
        try:
            decrypt(row[0])
        except ImproperlyConfigured as error:
            return [
                checks.Error(
                    f"{error} ({model._meta.label}.{name})",
                    hint="Put the key that encrypted the stored secrets back into "
                    "FIELD_ENCRYPTION_KEY (after the new one, while rotating).",
                    id="boxoffice.E005",
                )
            ]
    return []
