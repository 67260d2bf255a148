"""Refuse to run against a real Paytrail with no merchant account, or with a public test one.

Registered as a deployment check (``boxoffice check --deploy``); ``boxoffice serve`` and
``boxoffice worker`` run it before they start (``require_paytrail_credentials``), so a
production start without credentials stops with the names of what is missing instead of
taking payments that anyone could confirm.
"""

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand

from boxoffice.common.checks import STARTUP_TAG
from boxoffice.payments.paytrail.credentials import is_public_test_secret

TAG = "paytrail"


@checks.register(TAG, deploy=True)
def paytrail_credentials(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.PAYTRAIL_SANDBOX:
        return []
    missing = [
        name for name in ("PAYTRAIL_MERCHANT_ID", "PAYTRAIL_SECRET") if not getattr(settings, name)
    ]
    if missing:
        return [
            checks.Error(
                f"Paytrail is not configured: set {' and '.join(missing)} (the platform's "
                "Paytrail merchant account).",
                hint="For development and demos set PAYTRAIL_SANDBOX=1 to use the bundled "
                "Paytrail sandbox instead.",
                id="boxoffice.E001",
            )
        ]
    if is_public_test_secret(settings.PAYTRAIL_SECRET):
        return [
            checks.Error(
                "PAYTRAIL_SECRET is Paytrail's public test secret: anyone can sign payment "
                "callbacks with it.",
                hint="Set the platform's own merchant secret, or PAYTRAIL_SANDBOX=1 for the "
                "bundled sandbox.",
                id="boxoffice.E002",
            )
        ]
    return []


def require_paytrail_credentials(command: BaseCommand) -> None:
    """Stop ``command`` with a SystemCheckError unless Paytrail is configured (or the sandbox),
    and unless FIELD_ENCRYPTION_KEY opens the stored secrets (common.checks)."""
    command.check(tags=[TAG, STARTUP_TAG], include_deployment_checks=True)
