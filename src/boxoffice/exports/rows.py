"""The rows of an order export: one per order or one per ticket, read in batches.

``export_rows`` walks the orders of a list (payments.order_list, already scoped and filtered)
a thousand at a time and, per batch, reads their tickets, money received and money refunded in
three queries: memory stays flat and the query count grows with batches, not rows. Values stay
typed (text, aware datetimes, Decimals, ints); the writers (exports.writers) decide how a cell
looks, and neutralize text that a spreadsheet would run as a formula.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from boxoffice.catalog.models import FundsManager
from boxoffice.common.money import ZERO
from boxoffice.documents.data import vat_of
from boxoffice.orders.models import (
    Language,
    Order,
    OrderStatus,
    PaymentMethod,
    Ticket,
    TicketState,
)
from boxoffice.payments.models import REFUND_STATES_DONE, Payment, PaymentState, Refund

BATCH = 1000
TIMES = "\u00d7 "  # the multiplication sign: "2 (times) Day ticket"


class Per(StrEnum):
    ORDERS = "orders"
    TICKETS = "tickets"


class Kind(StrEnum):
    TEXT = "text"
    TIME = "time"  # an aware datetime, shown in local time
    MONEY = "money"  # Decimal euros
    RATE = "rate"  # Decimal percent
    COUNT = "count"


@dataclass(frozen=True)
class Column:
    label: Promise
    kind: Kind


_ORDER_HEAD = (
    Column(_("Order code"), Kind.TEXT),
    Column(_("Created"), Kind.TIME),
    Column(_("Paid"), Kind.TIME),
    Column(_("Status"), Kind.TEXT),
    Column(_("Payment method"), Kind.TEXT),
    Column(_("Funds manager"), Kind.TEXT),
    Column(_("Event"), Kind.TEXT),
    Column(_("Customer name"), Kind.TEXT),
    Column(_("Customer email"), Kind.TEXT),
    Column(_("Customer phone"), Kind.TEXT),
    Column(_("Customer language"), Kind.TEXT),
)
_MONEY_TAIL = (
    Column(_("Paid (order)"), Kind.MONEY),
    Column(_("Refunded (order)"), Kind.MONEY),
)
ORDER_COLUMNS: tuple[Column, ...] = (
    *_ORDER_HEAD,
    Column(_("Products"), Kind.TEXT),
    Column(_("Number of products"), Kind.COUNT),
    Column(_("Total"), Kind.MONEY),
    Column(_("VAT"), Kind.MONEY),
    Column(_("Service fees"), Kind.MONEY),
    *_MONEY_TAIL,
    Column(_("Checked in"), Kind.COUNT),
)
TICKET_COLUMNS: tuple[Column, ...] = (
    *_ORDER_HEAD,
    Column(_("Product"), Kind.TEXT),
    Column(_("Participant name"), Kind.TEXT),
    Column(_("Participant email"), Kind.TEXT),
    Column(_("Ticket state"), Kind.TEXT),
    Column(_("Price"), Kind.MONEY),
    Column(_("VAT rate"), Kind.RATE),
    Column(_("VAT"), Kind.MONEY),
    Column(_("Service fee"), Kind.MONEY),
    *_MONEY_TAIL,
    Column(_("Checked in"), Kind.TIME),
)


def columns(per: Per) -> tuple[Column, ...]:
    return ORDER_COLUMNS if per == Per.ORDERS else TICKET_COLUMNS


@dataclass(frozen=True)
class _TicketRow:
    product: str
    participant_name: str
    participant_email: str
    state: str
    price: Decimal
    vat_rate: Decimal
    service_fee: Decimal
    checked_in_at: datetime | None


def export_rows(orders: QuerySet[Order], per: Per) -> Iterator[list[Any]]:
    """Each order (or each of its tickets) of ``orders``, in their order, as typed cells in the
    order of ``columns(per)``."""
    batch: list[Order] = []
    for order in orders.select_related("event").iterator(chunk_size=BATCH):
        batch.append(order)
        if len(batch) == BATCH:
            yield from _batch_rows(batch, per)
            batch = []
    if batch:
        yield from _batch_rows(batch, per)


def _batch_rows(orders: Sequence[Order], per: Per) -> Iterator[list[Any]]:
    ids = [o.pk for o in orders]
    tickets: dict[int, list[_TicketRow]] = defaultdict(list)
    for row in (
        Ticket.objects.filter(order_id__in=ids)
        .order_by("order_id", "pk")
        .values_list(
            "order_id",
            "product__name",
            "participant_name",
            "participant_email",
            "state",
            "price",
            "vat_rate",
            "service_fee",
            "checked_in_at",
        )
    ):
        tickets[row[0]].append(_TicketRow(*row[1:]))
    received = _sums(Payment.objects.filter(order_id__in=ids, state=PaymentState.CONFIRMED))
    refunded = _sums(Refund.objects.filter(order_id__in=ids, state__in=REFUND_STATES_DONE))
    for order in orders:
        head = _head(order)
        money = [received.get(order.pk, ZERO), refunded.get(order.pk, ZERO)]
        mine = tickets.get(order.pk, [])
        if per == Per.ORDERS:
            yield [*head, *_order_cells(order, mine), *money, _let_in(mine)]
            continue
        for ticket in mine:
            yield [
                *head,
                ticket.product,
                ticket.participant_name,
                ticket.participant_email,
                str(TicketState(ticket.state).label),
                ticket.price,
                ticket.vat_rate,
                vat_of(ticket.price, ticket.vat_rate),
                ticket.service_fee,
                *money,
                ticket.checked_in_at,
            ]


def _sums(rows: QuerySet[Any]) -> dict[int, Decimal]:
    return dict(
        rows.order_by().values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s")
    )


def _head(order: Order) -> list[Any]:
    return [
        order.code,
        order.created_at,
        order.paid_at,
        str(OrderStatus(order.status).label),
        str(PaymentMethod(order.payment_method).label),
        str(FundsManager(order.funds_manager).label),
        order.event.name,
        order.customer_name,
        order.customer_email,
        order.customer_phone,
        str(Language(order.language).label)
        if order.language in Language.values
        else order.language,
    ]


def _order_cells(order: Order, tickets: list[_TicketRow]) -> list[Any]:
    counts: dict[str, int] = {}
    for t in tickets:
        counts[t.product] = counts.get(t.product, 0) + 1
    products = ", ".join(f"{n}{TIMES}{name}" for name, n in counts.items())
    vat = sum((vat_of(t.price, t.vat_rate) for t in tickets), ZERO)
    return [products, order.product_count, order.total, vat, order.service_fee_total]


def _let_in(tickets: list[_TicketRow]) -> int:
    return sum(1 for t in tickets if t.checked_in_at is not None)
