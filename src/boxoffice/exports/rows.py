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
from functools import lru_cache
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


# The order's own cells, read as values (no model per row: an export reads 150,000 of them).
_ORDER_FIELDS = (
    "pk",
    "code",
    "created_at",
    "paid_at",
    "status",
    "payment_method",
    "funds_manager",
    "event__name",
    "customer_name",
    "customer_email",
    "customer_phone",
    "language",
    "product_count",
    "total",
    "service_fee_total",
)


def export_rows(orders: QuerySet[Order], per: Per) -> Iterator[list[Any]]:
    """Each order (or each of its tickets) of ``orders``, in their order, as typed cells in the
    order of ``columns(per)``."""
    labels = _Labels()
    batch: list[tuple[Any, ...]] = []
    for order in orders.values_list(*_ORDER_FIELDS).iterator(chunk_size=BATCH):
        batch.append(order)
        if len(batch) == BATCH:
            yield from _batch_rows(batch, per, labels)
            batch = []
    if batch:
        yield from _batch_rows(batch, per, labels)


class _Labels:
    """Choice values as the reader's words, translated once per export, not once per row."""

    def __init__(self) -> None:
        self.status = {v: str(label) for v, label in OrderStatus.choices}
        self.method = {v: str(label) for v, label in PaymentMethod.choices}
        self.funds = {v: str(label) for v, label in FundsManager.choices}
        self.language = {v: str(label) for v, label in Language.choices}
        self.ticket = {v: str(label) for v, label in TicketState.choices}


def _batch_rows(
    orders: Sequence[tuple[Any, ...]], per: Per, labels: _Labels
) -> Iterator[list[Any]]:
    ids = [o[0] for o in orders]
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
    for (
        pk,
        code,
        created,
        paid,
        status,
        method,
        funds,
        event,
        name,
        email,
        phone,
        language,
        product_count,
        total,
        fees,
    ) in orders:
        head = [
            code,
            created,
            paid,
            labels.status.get(status, status),
            labels.method.get(method, method),
            labels.funds.get(funds, funds),
            event,
            name,
            email,
            phone,
            labels.language.get(language, language),
        ]
        money = [received.get(pk, ZERO), refunded.get(pk, ZERO)]
        mine = tickets.get(pk, [])
        if per == Per.ORDERS:
            yield [
                *head,
                _products(mine),
                product_count,
                total,
                sum((_vat(t.price, t.vat_rate) for t in mine), ZERO),
                fees,
                *money,
                sum(1 for t in mine if t.checked_in_at is not None),
            ]
            continue
        for ticket in mine:
            yield [
                *head,
                ticket.product,
                ticket.participant_name,
                ticket.participant_email,
                labels.ticket.get(ticket.state, ticket.state),
                ticket.price,
                ticket.vat_rate,
                _vat(ticket.price, ticket.vat_rate),
                ticket.service_fee,
                *money,
                ticket.checked_in_at,
            ]


@lru_cache(maxsize=1024)
def _vat(price: Decimal, rate: Decimal) -> Decimal:
    # Few prices and rates repeat over thousands of tickets.
    return vat_of(price, rate)


def _sums(rows: QuerySet[Any]) -> dict[int, Decimal]:
    return dict(
        rows.order_by().values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s")
    )


def _products(tickets: list[_TicketRow]) -> str:
    counts: dict[str, int] = {}
    for t in tickets:
        counts[t.product] = counts.get(t.product, 0) + 1
    return ", ".join(f"{n}{TIMES}{name}" for name, n in counts.items())
