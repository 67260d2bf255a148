"""The customer's view of one order, reached with the order's secret link."""

import hmac

from boxoffice.orders.codes import normalize_code
from boxoffice.orders.models import Order


def order_by_secret(*, code: str, secret: str) -> Order:
    """The order if code and secret match; Order.DoesNotExist otherwise.

    A wrong code and a wrong secret fail the same way, and the secret is compared in constant
    time, so the link cannot be guessed piece by piece.
    """
    order = (
        Order.objects.select_related("event", "organizer").filter(code=normalize_code(code)).first()
    )
    expected = order.secret if order is not None else "-" * 32
    if not hmac.compare_digest(expected.encode(), secret.encode()) or order is None:
        raise Order.DoesNotExist
    return order
