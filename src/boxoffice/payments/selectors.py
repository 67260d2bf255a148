"""Money read from an order's payments and refunds."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from boxoffice.accounts.permissions import Principal
from boxoffice.common.money import ZERO
from boxoffice.orders.models import Order
from boxoffice.orders.rules import Ledger
from boxoffice.payments.held_rows import payments_of, refunds_of
from boxoffice.payments.models import (
    REFUND_STATES_COUNTED,
    REFUND_STATES_IN_FLIGHT,
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


def ledger_of(
    order: Order,
    payments: Iterable[Payment] | None = None,
    refunds: Iterable[Refund] | None = None,
) -> Ledger:
    """What the order's money is now, for the rules (orders.rules): from the rows given, or
    read here (two queries, none when the action holds them: payments.held_rows)."""
    payments = list(payments_of(order) if payments is None else payments)
    refunds = list(refunds_of(order) if refunds is None else refunds)
    return Ledger(
        paid=paid_amount(payments),
        refundable=refundable_amount(order, payments, refunds),
        refund_in_flight=any(r.state in REFUND_STATES_IN_FLIGHT for r in refunds),
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


FLAG = "flagged_for_attention"


def flag_attention(orders: QuerySet[Order]) -> QuerySet[Order]:
    """``orders``, each row saying whether it has an open attention item (``FLAG``).

    A page of orders then reads the items of its flagged orders only (``attention_open_of``):
    most pages have none, and the flag costs the database one probe of an index per row it
    returns, where a query of its own cost the page a round trip and a tenth of its time."""
    return orders.annotate(**{FLAG: Exists(_open_items().filter(order=OuterRef("pk")))})


def attention_open_of(orders: Iterable[Order]) -> dict[int, list[AttentionItem]]:
    """``attention_open`` of those of ``orders`` (from ``flag_attention``) that are flagged."""
    return attention_open(order.pk for order in orders if getattr(order, FLAG))


def attention_open(order_ids: Iterable[int]) -> dict[int, list[AttentionItem]]:
    """The open items of these orders (already scoped by the caller), oldest cause first."""
    found: dict[int, list[AttentionItem]] = defaultdict(list)
    order_ids = list(order_ids)
    if not order_ids:
        return found
    for item in _open_items().filter(order_id__in=order_ids).order_by("since", "pk"):
        found[item.order_id].append(item)
    return found


def _open_items_of(principal: Principal) -> QuerySet[AttentionItem]:
    items = _open_items()
    if not principal.is_platform_staff:
        items = items.filter(organizer_id__in=principal.organizer_ids)
    return items


def orders_needing_attention(
    orders: QuerySet[Order],
    principal: Principal,
    *,
    first: int | None = None,
    after: tuple[datetime, int] | None = None,
) -> QuerySet[Order]:
    """``orders`` (already scoped to ``principal``) narrowed to those with an open attention
    item, newest first.

    Flagged orders are few and mostly old (a cancellation flags after days): walking the newest
    orders until a page of them turns up reads far (59 ms at 1M orders with 3,433 flagged), and
    so does fetching every flagged order to sort them (18 ms). When ``orders`` is not narrowed
    by anything else, pass ``first`` (and the keyset ``after``, (created_at, id) of the last
    order of the previous page): the page's orders are then read off the open items' own
    index, newest first, and only those are fetched (5 ms; `boxoffice bench run`'s "list needs
    attention" rows). With other filters, the Exists below lets those narrow first.
    """
    if first is None:
        flagged = _open_items_of(principal).filter(order=OuterRef("pk"))
        return orders.filter(Exists(flagged))
    newest = _open_items_of(principal)
    if after is not None:
        created, pk = after
        newest = newest.filter(
            Q(order_created_at__lt=created) | Q(order_created_at=created, order_id__lt=pk)
        )
    # In the index's order, so the database stops after the page; DISTINCT: one row per order,
    # however many items it has (they share the order's created_at).
    page = list(
        newest.order_by("-order_created_at", "-order_id")
        .values_list("order_created_at", "order_id")
        .distinct()[:first]
    )
    return orders.filter(pk__in=[order_id for _created, order_id in page])


def attention_count(principal: Principal, *, cap: int | None = None) -> int:
    """How many orders need a person, among those the principal may see.

    ``cap``: count no further than one past it (the navigation shows "99+"): a badge on every
    page must not count thousands of items each time.
    """
    # order_by(): without it the model's ordering joins the DISTINCT and items are counted.
    orders = _open_items_of(principal).order_by().values("order_id").distinct()
    return orders[: cap + 1].count() if cap is not None else orders.count()


def attention_item_for(order: Order, item_id: int) -> AttentionItem:
    """One of the order's open or closed items (the order is already scoped); DoesNotExist."""
    return AttentionItem.objects.select_related("order").get(order=order, pk=item_id)
