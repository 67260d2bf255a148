"""Money read from an order's payments and refunds."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from boxoffice.accounts.permissions import Principal
from boxoffice.common.money import ZERO
from boxoffice.orders.models import Order
from boxoffice.payments.models import (
    REFUND_STATES_COUNTED,
    AttentionItem,
    AttentionState,
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


# -- attention (payments.attention keeps the items) --------------------------------------------


def _open_items() -> QuerySet[AttentionItem]:
    return AttentionItem.objects.filter(state=AttentionState.OPEN)


def attention_open(order_ids: Iterable[int]) -> dict[int, list[AttentionItem]]:
    """The open items of these orders (already scoped by the caller), oldest cause first."""
    found: dict[int, list[AttentionItem]] = defaultdict(list)
    for item in _open_items().filter(order_id__in=list(order_ids)).order_by("since", "pk"):
        found[item.order_id].append(item)
    return found


def orders_needing_attention(orders: QuerySet[Order]) -> QuerySet[Order]:
    """``orders`` (already scoped) narrowed to those with an open attention item."""
    return orders.filter(Exists(_open_items().filter(order=OuterRef("pk"))))


def attention_count(principal: Principal) -> int:
    """How many orders need a person, among those the principal may see."""
    items = _open_items()
    if not principal.is_platform_staff:
        items = items.filter(organizer_id__in=principal.organizer_ids)
    return items.values("order_id").distinct().count()


def attention_item_for(order: Order, item_id: int) -> AttentionItem:
    """One of the order's open or closed items (the order is already scoped); DoesNotExist."""
    return AttentionItem.objects.select_related("order").get(order=order, pk=item_id)
