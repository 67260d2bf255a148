"""Reading what Paytrail sends us by GET (redirects and callbacks): trust only signed params."""

import uuid

from django.http import QueryDict

from boxoffice.orders.models import Order
from boxoffice.payments.paytrail.credentials import merchant_by_account, merchant_for
from boxoffice.payments.paytrail.errors import MerchantNotConfigured
from boxoffice.payments.paytrail.signing import SignatureError, verify

# Our stamps are UUIDs, our references order codes, Paytrail's ids UUIDs: none is near this
# long, and nothing longer fits where a transaction id is kept.
MAX_VALUE = 100


def _is_checkout(key: str) -> bool:
    return key.lower().startswith("checkout-")


def _unlike_paytrail(value: str) -> bool:
    """No genuine parameter carries a NUL or a line break (the signature joins its lines with
    LF: a value holding one could rearrange the lines and keep the signature), or runs this
    long."""
    return len(value) > MAX_VALUE or any(c in value for c in "\x00\r\n")


def verified_params(query: QueryDict) -> dict[str, str] | None:
    """The query's parameters if a merchant we know signed them; None for a forgery.

    The merchant is the one named by ``checkout-account``; merchant parameters outside the
    ``checkout-`` prefix are ignored by the signature and by us (spec §1.2). The ``checkout-``
    names come back lower-cased, exactly as the signature covered them; a query that names one
    twice (in any case), or carries a NUL, is refused like a forgery.
    """
    if any(len(values) > 1 for _key, values in query.lists()):
        return None  # a parameter given twice: which one would the signature be about?
    params = {key: query.get(key, "") for key in query}
    checkout = {key.lower(): value for key, value in params.items() if _is_checkout(key)}
    if len(checkout) != sum(1 for key in params if _is_checkout(key)):
        return None  # the same checkout-* name twice in different case
    if any(_unlike_paytrail(value) for value in checkout.values()):
        return None
    params = {**{k: v for k, v in params.items() if not _is_checkout(k)}, **checkout}
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
