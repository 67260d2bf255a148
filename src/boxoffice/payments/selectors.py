"""Money read from an order's payments and refunds."""

from decimal import Decimal

from django.db.models import Sum

from boxoffice.common.money import ZERO
from boxoffice.orders.models import Order
from boxoffice.payments.models import REFUND_STATES_COUNTED, Payment, PaymentState, Refund


def order_paid_amount(order: Order) -> Decimal:
    total = Payment.objects.filter(order=order, state=PaymentState.CONFIRMED).aggregate(
        s=Sum("amount")
    )["s"]
    return total or ZERO


def order_refunded_amount(order: Order) -> Decimal:
    """Refunds made or on their way (counted so nothing is refunded twice)."""
    total = Refund.objects.filter(order=order, state__in=REFUND_STATES_COUNTED).aggregate(
        s=Sum("amount")
    )["s"]
    return total or ZERO


def order_refundable_amount(order: Order) -> Decimal:
    """Paid amount minus service fees (never refunded) minus refunds already made."""
    paid = order_paid_amount(order)
    if paid <= ZERO:
        return ZERO
    return max(paid - order.service_fee_total - order_refunded_amount(order), ZERO)
