"""Reading what Paytrail sends us by GET (redirects and callbacks): trust only signed params."""

import uuid

from django.http import QueryDict

from boxoffice.orders.models import Order
from boxoffice.payments.paytrail.credentials import merchant_by_account, merchant_for
from boxoffice.payments.paytrail.errors import MerchantNotConfigured
from boxoffice.payments.paytrail.signing import SignatureError, verify


def verified_params(query: QueryDict) -> dict[str, str] | None:
    """The query's parameters if a merchant we know signed them; None for a forgery.

    The merchant is the one named by ``checkout-account``; merchant parameters outside the
    ``checkout-`` prefix are ignored by the signature and by us (spec §1.2).
    """
    params = {key: query.get(key, "") for key in query}
    merchant = merchant_by_account(params.get("checkout-account", ""))
    if merchant is None:
        return None
    try:
        verify(params, "", merchant.secret, params.get("signature"))
    except SignatureError:
        return None
    return params


def stamp_of(params: dict[str, str]) -> str | None:
    """Our stamp (a UUID) from ``checkout-stamp``, or None if it is not one of ours."""
    try:
        return str(uuid.UUID(params.get("checkout-stamp") or ""))
    except ValueError:
        return None


def signed_by_merchant_of(params: dict[str, str], order: Order) -> bool:
    """Whether the merchant that signed these params is the one this order's money belongs to.

    Without this, anyone holding one organizer's Paytrail secret could confirm another
    organizer's payment or fail its refund.
    """
    try:
        expected = merchant_for(order)
    except MerchantNotConfigured:
        return False
    return params.get("checkout-account") == expected.account
