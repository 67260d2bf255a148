"""Money read from an order's payments and refunds."""

from collections.abc import Iterable
from decimal import Decimal

from boxoffice.common.money import ZERO
from boxoffice.orders.models import Order
from boxoffice.payments.models import (
    REFUND_STATES_COUNTED,
    Payment,
    PaymentState,
    Refund,
    RefundState,
)


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


def manual_refund_queue() -> list[Refund]:
    """Refunds waiting for platform staff, oldest first (platform staff only)."""
    return list(
        Refund.objects.filter(state=RefundState.MANUAL_REQUESTED)
        .select_related("order", "order__organizer", "order__event", "actor", "payment")
        .order_by("created_at", "pk")
    )


def manual_refunds_done(*, limit: int) -> list[Refund]:
    return list(
        Refund.objects.filter(state=RefundState.MANUAL_DONE)
        .select_related("order", "order__organizer")
        .order_by("-completed_at", "-pk")[:limit]
    )
