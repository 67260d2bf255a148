"""Whose Paytrail merchant account handles an order, and who signed a callback.

The order's ``funds_manager`` decides (DESIGN §3): the platform collects and refunds with its own
merchant account (settings), or the organizer does with its own account (Organizer fields).
"""

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings

from boxoffice.accounts.models import Organizer
from boxoffice.catalog.models import FundsManager
from boxoffice.payments.paytrail.errors import MerchantNotConfigured
from boxoffice.payments.reasons import Reason

if TYPE_CHECKING:
    from boxoffice.orders.models import Order

logger = logging.getLogger(__name__)

# Paytrail's public test merchants (spec §1.3): their secrets are printed in Paytrail's docs, so
# anyone can sign a callback with them. Only the sandbox may use them.
PUBLIC_TEST_MERCHANTS = {
    "375917": "SAIPPUAKAUPPIAS",  # normal merchant
    "695861": "MONISAIPPUAKAUPPIAS",  # Shop-in-Shop aggregate
}


@dataclass(frozen=True)
class Merchant:
    """A Paytrail merchant account: the ``checkout-account`` and the secret that signs for it."""

    account: str
    # Kept out of repr so the secret never lands in logs, tracebacks or test output.
    secret: str = field(repr=False)


def is_public_test_secret(secret: str) -> bool:
    """Whether ``secret`` is one of Paytrail's published test secrets."""
    return secret in PUBLIC_TEST_MERCHANTS.values()


def _trusted(merchant: Merchant) -> bool:
    """Whether we may take money and messages signed for this merchant.

    Outside the sandbox a merchant signing with a published test secret is as good as no
    merchant: its signature proves nothing.
    """
    if not (merchant.account and merchant.secret):
        return False
    return settings.PAYTRAIL_SANDBOX or not is_public_test_secret(merchant.secret)


def platform_merchant() -> Merchant:
    return Merchant(account=settings.PAYTRAIL_MERCHANT_ID, secret=settings.PAYTRAIL_SECRET)


def merchant_for(order: "Order") -> Merchant:
    """The merchant account that takes this order's payment and pays its refunds.

    Raises MerchantNotConfigured when the organizer manages the funds but has no credentials.
    """
    if order.funds_manager == FundsManager.PLATFORM:
        platform = platform_merchant()
        if not _trusted(platform):
            raise MerchantNotConfigured(Reason("platform_merchant_missing"))
        return platform
    organizer = order.organizer
    merchant = Merchant(account=organizer.paytrail_merchant_id, secret=organizer.paytrail_secret)
    if not _trusted(merchant):
        raise MerchantNotConfigured(
            Reason("organizer_merchant_missing", {"code": order.code, "organizer": organizer.name})
        )
    return merchant


def merchant_by_account(account: str) -> Merchant | None:
    """The merchant whose ID is ``account`` (a callback's ``checkout-account``), or None.

    None also when the account is ambiguous: organizers sharing a merchant ID with different
    secrets. Callers then refuse the callback, as they must for an unknown account.
    """
    if not account:
        # Organizers without an account store "": an empty ID must never match them.
        return None
    platform = platform_merchant()
    if account == platform.account:
        return platform if _trusted(platform) else None
    secrets = set(
        Organizer.objects.filter(paytrail_merchant_id=account)
        .exclude(paytrail_secret="")
        .values_list("paytrail_secret", flat=True)
    )
    if len(secrets) > 1:
        logger.error("Paytrail merchant %s is configured with different secrets", account)
        return None
    if not secrets:
        return None
    merchant = Merchant(account=account, secret=secrets.pop())
    return merchant if _trusted(merchant) else None
