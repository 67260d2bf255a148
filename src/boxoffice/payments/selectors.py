"""Money read from an order's payments and refunds."""

from collections.abc import Iterable
from decimal import Decimal

from boxoffice.common.money import ZERO
from boxoffice.orders.models import Order
from boxoffice.payments.models import REFUND_STATES_COUNTED, Payment, PaymentState, Refund


def paid_amount(payments: Iterable[Payment]) -> Decimal:
    return sum((p.amount for p in payments if p.state == PaymentState.CONFIRMED), ZERO)


def refunded_amount(refunds: Iterable[Refund]) -> Decimal:
    """Refunds made or on their way (counted so nothing is refunded twice)."""
    return sum((r.amount for r in refunds if r.state in REFUND_STATES_COUNTED), ZERO)


def refundable_amount(
    order: Order, payments: Iterable[Payment], refunds: Iterable[Refund]
) -> Decimal:
    """Paid amount minus service fees (never refunded) minus refunds already made."""
    paid = paid_amount(payments)
    if paid <= ZERO:
        return ZERO
    return max(paid - order.service_fee_total - refunded_amount(refunds), ZERO)


def order_refundable_amount(order: Order) -> Decimal:
    return refundable_amount(
        order, Payment.objects.filter(order=order), Refund.objects.filter(order=order)
    )
