"""Whose Paytrail merchant account handles an order, and who signed a callback.

The order's ``funds_manager`` decides (DESIGN §3): the platform collects and refunds with its own
merchant account (settings), or the organizer does with its own account (Organizer fields).
"""

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from boxoffice.accounts.models import Organizer
from boxoffice.catalog.models import FundsManager
from boxoffice.payments.paytrail.errors import MerchantNotConfigured

if TYPE_CHECKING:
    from boxoffice.orders.models import Order

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Merchant:
    """A Paytrail merchant account: the ``checkout-account`` and the secret that signs for it."""

    account: str
    # Kept out of repr so the secret never lands in logs, tracebacks or test output.
    secret: str = field(repr=False)


def platform_merchant() -> Merchant:
    return Merchant(account=settings.PAYTRAIL_MERCHANT_ID, secret=settings.PAYTRAIL_SECRET)


def merchant_for(order: "Order") -> Merchant:
    """The merchant account that takes this order's payment and pays its refunds.

    Raises MerchantNotConfigured when the organizer manages the funds but has no credentials.
    """
    if order.funds_manager == FundsManager.PLATFORM:
        return platform_merchant()
    organizer = order.organizer
    if not (organizer.paytrail_merchant_id and organizer.paytrail_secret):
        raise MerchantNotConfigured(
            _(
                "Order %(code)s is paid to %(organizer)s's own Paytrail account, but "
                "%(organizer)s has no Paytrail merchant ID and secret key configured."
            )
            % {"code": order.code, "organizer": organizer.name}
        )
    return Merchant(account=organizer.paytrail_merchant_id, secret=organizer.paytrail_secret)


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
        return platform
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
    return Merchant(account=account, secret=secrets.pop())
