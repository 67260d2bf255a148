"""The rows of an order export: one per order or one per ticket, read in batches.

``export_rows`` walks the orders of a list (payments.order_list, already scoped and filtered)
a batch at a time and reads each batch's orders, money received and refunded, and tickets in a
few queries: memory stays flat and the query count grows with batches, not rows. Values stay
typed (text, aware datetimes, Decimals, ints); the writers (exports.writers) decide how a cell
looks, and neutralize text that a spreadsheet would run as a formula.

Two sources read the same batches (tests/exports compares them): the ORM on any database
(SQLite in tests and development), and hand-written SQL on PostgreSQL, where the 150,000-order
organizers are (see ``_postgres_batches``).
"""

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from itertools import chain, islice
from typing import Any

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from psycopg.types.datetime import TimestamptzLoader

from boxoffice.catalog.models import Event, FundsManager, Product
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


Row = tuple[Any, ...]
# An order as both sources read it: its own cells (no model per row: an export reads 150,000
# of them), then what it received and what was refunded.
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
# Its tickets, in ticket order: order id, product, participant name and email, state, price,
# VAT rate, service fee, checked-in time.
_TICKET_FIELDS = (
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
# What an order export needs of them instead: its products as "2 (times) Day ticket, 1 (times)
# VIP" (by first ticket), the VAT in them and how many tickets are let in.
_NO_TICKETS = ("", ZERO, 0)


@dataclass(frozen=True)
class _Batch:
    orders: list[Row]  # _ORDER_FIELDS, received, refunded; in the list's order
    tickets: dict[int, Any]  # by order id: its _TICKET_FIELDS rows, or like _NO_TICKETS


def export_rows(orders: QuerySet[Order], per: Per) -> Iterator[list[Any]]:
    """Each order (or each of its tickets) of ``orders``, in their order, as typed cells in the
    order of ``columns(per)``."""
    labels = _Labels()
    postgres = connections[orders.db].vendor == "postgresql"
    for batch in _postgres_batches(orders, per) if postgres else _orm_batches(orders, per):
        yield from _batch_rows(batch, per, labels)


class _Words(dict[str, str]):
    def __missing__(self, value: str) -> str:
        return value  # a value without a label (none today) is shown as it is


class _Labels:
    """Choice values as the reader's words, translated once per export, not once per row."""

    def __init__(self) -> None:
        def words(choices: list[tuple[str, Any]]) -> _Words:
            return _Words((value, str(label)) for value, label in choices)

        self.status, self.method = words(OrderStatus.choices), words(PaymentMethod.choices)
        self.funds, self.language = words(FundsManager.choices), words(Language.choices)
        self.ticket = words(TicketState.choices)


def _batch_rows(batch: _Batch, per: Per, labels: _Labels) -> Iterator[list[Any]]:
    tickets, state = batch.tickets, labels.ticket
    status, method, funds, language = labels.status, labels.method, labels.funds, labels.language
    for o in batch.orders:
        # code, created, paid, status, method, funds manager, event, customer name, email,
        # phone, language; the order export's cells; received, refunded
        head = [*o[1:4], status[o[4]], method[o[5]], funds[o[6]], *o[7:11], language[o[11]]]
        if per == Per.ORDERS:
            products, vat, checked_in = tickets.get(o[0], _NO_TICKETS)
            yield [*head, products, o[12], o[13], vat, *o[14:], checked_in]
            continue
        for t in tickets.get(o[0], ()):  # order, product, name, email, state, price, rate, fee
            vat = _vat(t[5], t[6])
            yield [*head, *t[1:4], state[t[4]], t[5], t[6], vat, t[7], *o[15:], t[8]]


def _products(tickets: Sequence[Row]) -> tuple[str, Decimal, int]:
    """An order's products, VAT and tickets let in, from its tickets (in ticket order)."""
    counts: dict[str, int] = {}
    vat, checked_in = ZERO, 0
    for _o, product, _n, _e, _s, price, rate, _f, checked_at in tickets:
        counts[product] = counts.get(product, 0) + 1
        vat += _vat(price, rate)
        checked_in += checked_at is not None
    return ", ".join(f"{n}{TIMES}{name}" for name, n in counts.items()), vat, checked_in


@lru_cache(maxsize=1024)
def _vat(price: Decimal, rate: Decimal) -> Decimal:
    # Few prices and rates repeat over thousands of tickets.
    return vat_of(price, rate)


def _by_order(rows: Iterable[Row]) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped


# -- Any database: the ORM --------------------------------------------------------------------


def _orm_batches(orders: QuerySet[Order], per: Per) -> Iterator[_Batch]:
    # The tickets and money are read from the database the orders come from (the replica's,
    # when the list is read there), even in a transaction that keeps other reads on the primary.
    db = orders.db
    batch: list[Row] = []
    for order in orders.using(db).values_list(*_ORDER_FIELDS).iterator(chunk_size=BATCH):
        batch.append(order)
        if len(batch) == BATCH:
            yield _orm_batch(batch, per, db)
            batch = []
    if batch:
        yield _orm_batch(batch, per, db)


def _orm_batch(orders: list[Row], per: Per, db: str) -> _Batch:
    ids = [o[0] for o in orders]
    tickets: dict[int, Any] = _by_order(
        Ticket.objects.using(db)
        .filter(order_id__in=ids)
        .order_by("order_id", "pk")
        .values_list(*_TICKET_FIELDS)
    )
    if per == Per.ORDERS:
        tickets = {pk: _products(mine) for pk, mine in tickets.items()}
    payments, refunds = Payment.objects.using(db), Refund.objects.using(db)
    received = _sums(payments.filter(order_id__in=ids, state=PaymentState.CONFIRMED))
    refunded = _sums(refunds.filter(order_id__in=ids, state__in=REFUND_STATES_DONE))
    orders = [(*o, received.get(o[0], ZERO), refunded.get(o[0], ZERO)) for o in orders]
    return _Batch(orders, tickets)


def _sums(rows: QuerySet[Any]) -> dict[int, Decimal]:
    return dict(
        rows.order_by().values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s")
    )


# -- PostgreSQL -------------------------------------------------------------------------------

PG_BATCH = 1000
PG_IDS = 20 * PG_BATCH  # ids read from the list's cursor per round trip
_PG_ORDERS = f"""
SELECT o.id, o.code, o.created_at, o.paid_at, o.status, o.payment_method, o.funds_manager,
       e.name, o.customer_name, o.customer_email, o.customer_phone, o.language,
       o.product_count, o.total, o.service_fee_total,
       coalesce((SELECT sum(p.amount) FROM {Payment._meta.db_table} p
                 WHERE p.order_id = o.id AND p.state = %(received)s), 0.00),
       coalesce((SELECT sum(r.amount) FROM {Refund._meta.db_table} r
                 WHERE r.order_id = o.id AND r.state = ANY(%(refunded)s::text[])), 0.00)
FROM {Order._meta.db_table} o JOIN {Event._meta.db_table} e ON e.id = o.event_id
WHERE o.id = ANY(%(ids)s::bigint[])"""
_PG_TICKETS_OF = f"""
FROM {Ticket._meta.db_table} t JOIN {Product._meta.db_table} p ON p.id = t.product_id
WHERE t.order_id = ANY(%(ids)s::bigint[])"""
_PG_TICKETS = f"""
SELECT t.order_id, p.name, t.participant_name, t.participant_email, t.state, t.price,
       t.vat_rate, t.service_fee, t.checked_in_at {_PG_TICKETS_OF}
ORDER BY t.order_id, t.id"""
# vat_of's arithmetic: ROUND_HALF_UP and round() both round halves away from zero, and the
# quotient's 16 or more digits decide the cent as Python's 28 do (the tests compare).
_PG_PRODUCTS = f"""
SELECT g.order_id, string_agg(g.n || %(times)s || g.name, ', ' ORDER BY g.first),
       sum(g.vat), sum(g.checked)::int
FROM (SELECT t.order_id, p.name, count(*) AS n, min(t.id) AS first,
             sum(round(t.price * t.vat_rate / (100 + t.vat_rate), 2)) AS vat,
             count(t.checked_in_at) AS checked {_PG_TICKETS_OF}
      GROUP BY t.order_id, p.name) g
GROUP BY g.order_id"""
_Sent = tuple[list[int], Per, psycopg.Cursor[Row], psycopg.Cursor[Row]]


def _postgres_batches(orders: QuerySet[Order], per: Per) -> Iterator[_Batch]:
    """The list's ids come from its own query on the caller's connection (a server-side
    cursor), their batches from hand-written SQL with the ids as one array: Django's ``__in``
    of a thousand ids cost more to build than the query took to run, and its timestamp loader
    is pure Python.

    A few batches, or a caller in a transaction (whose rows only its connection sees), are read
    on the caller's connection, one after another. More are read on two connections of the
    export's own, taking turns, each a batch ahead (psycopg's pipeline mode): PostgreSQL reads
    the next batches on one core while Python writes this one on the other, and there is
    always one being read while Python takes another apart. The caller's connection is never
    left busy between two rows; the batches being read keep their tables' share locks (only
    DDL waits for them) until the caller asks for the next rows."""
    try:
        sql, params = orders.values_list("pk").query.sql_with_params()
    except EmptyResultSet:
        return
    db = connections[orders.db]
    with db.chunked_cursor() as ids_cursor:
        ids_cursor.execute(sql, params)
        batches = _id_batches(ids_cursor)
        first = list(islice(batches, 3))
        if len(first) < 3 or db.in_atomic_block:
            yield from _one_by_one(db, chain(first, batches), per)
            return
        turns = enumerate(chain(first, batches))
        with ExitStack() as stack:
            try:
                own = [stack.enter_context(_own_connection(db)) for _ in range(2)]
            except psycopg.OperationalError:  # none to spare (max_connections): the caller's
                stack.close()
                yield from _one_by_one(db, (ids for _turn, ids in turns), per)
                return
            for connection in own:
                stack.enter_context(connection.pipeline())
            with db.wrap_database_errors:
                pending = deque(_sent(own[turn % 2], ids, per) for turn, ids in islice(turns, 2))
            while pending:
                with db.wrap_database_errors:
                    batch = _received(pending.popleft())
                    for turn, ids in islice(turns, 1):  # on the connection just read
                        pending.append(_sent(own[turn % 2], ids, per))
                yield batch


def _one_by_one(db: Any, batches: Iterable[list[int]], per: Per) -> Iterator[_Batch]:
    for ids in batches:
        with db.wrap_database_errors:
            batch = _received(_sent(db.connection, ids, per))
        yield batch


def _id_batches(cursor: Any) -> Iterator[list[int]]:
    while chunk := [row[0] for row in cursor.fetchmany(PG_IDS)]:
        for start in range(0, len(chunk), PG_BATCH):
            yield chunk[start : start + PG_BATCH]


@contextmanager
def _own_connection(db: Any) -> Iterator[psycopg.Connection[Row]]:
    # The settings of the caller's database: the replica's when the list is read there.
    own = psycopg.connect(**db.get_connection_params())  # Django's adapters and cursors
    try:
        own.read_only = True
        # As Django's connections: PostgreSQL writes times quickest in UTC, Python converts.
        own.execute("SELECT set_config('TimeZone', 'UTC', false)")
        yield own
    finally:
        own.close()


def _sent(conn: psycopg.Connection[Row], ids: list[int], per: Per) -> _Sent:
    params = {
        "ids": "{" + ",".join(map(str, ids)) + "}",  # one literal: psycopg would size each int
        "received": str(PaymentState.CONFIRMED),
        "refunded": "{" + ",".join(REFUND_STATES_DONE) + "}",
        "times": TIMES,
    }
    orders, tickets = conn.cursor(), conn.cursor()
    ticket_sql = _PG_PRODUCTS if per == Per.ORDERS else _PG_TICKETS
    for cursor, sql in (orders, _PG_ORDERS), (tickets, ticket_sql):
        # psycopg's compiled loader: Django's, on its connections, is pure Python.
        cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
    return ids, per, orders, tickets


def _received(sent: _Sent) -> _Batch:
    ids, per, orders, tickets = sent
    with orders, tickets:
        by_id = {row[0]: row for row in orders.fetchall()}
        if per == Per.ORDERS:
            grouped: dict[int, Any] = {row[0]: row[1:] for row in tickets.fetchall()}
        else:
            grouped = _by_order(tickets.fetchall())
    # An order deleted since its id was read is left out.
    return _Batch([by_id[i] for i in ids if i in by_id], grouped)
