"""Deployment checks of the settings the common layer owns."""

import os
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from boxoffice.common.encryption import cipher


@checks.register(checks.Tags.security, deploy=True)
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
