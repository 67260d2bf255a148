"""Which secrets sign for a ``checkout-account``: the merchants the sandbox knows.

Paytrail's public test merchants (spec §1.3), the platform's merchant from the settings and every
organizer's own merchant account. One ID can have several candidate secrets (the platform may use
the test merchant's ID with another secret, organizers may share an ID): a request is genuine when
any of them verifies it, and the answer is signed with that one.
"""

from django.conf import settings

from boxoffice.accounts.models import Organizer
from boxoffice.payments.paytrail.credentials import PUBLIC_TEST_MERCHANTS


def candidate_secrets(account: str) -> list[str]:
    """The secrets that may sign for ``account``, without duplicates; [] for an unknown one."""
    if not account:
        # Organizers without an account store "": an empty ID must never match them.
        return []
    found: list[str] = []
    if account in PUBLIC_TEST_MERCHANTS:
        found.append(PUBLIC_TEST_MERCHANTS[account])
    if account == settings.PAYTRAIL_MERCHANT_ID and settings.PAYTRAIL_SECRET:
        found.append(settings.PAYTRAIL_SECRET)
    found.extend(
        Organizer.objects.filter(paytrail_merchant_id=account)
        .exclude(paytrail_secret="")
        .order_by("pk")
        .values_list("paytrail_secret", flat=True)
    )
    return list(dict.fromkeys(found))


def display_name(account: str) -> str:
    """A name for the hosted page: the organizer's, else the platform's."""
    organizer = (
        Organizer.objects.filter(paytrail_merchant_id=account).order_by("pk").only("name").first()
    )
    if organizer is not None and account != settings.PAYTRAIL_MERCHANT_ID:
        return organizer.name
    if account == settings.PAYTRAIL_MERCHANT_ID:
        return str(settings.PLATFORM_NAME)
    return f"Merchant {account}"
