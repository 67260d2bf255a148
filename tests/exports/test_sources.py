"""The two sources of export rows, the ORM (any database) and hand-written SQL (PostgreSQL),
give the same files: for every status, method, refund, fee, VAT rate, language, a void and a
checked-in ticket, an order of several products, times in a daylight-saving fold, in the list's
order whatever the batch boundaries. On PostgreSQL outside a transaction, and for more than a
few batches, the SQL reads on connections of its own, which it closes, and never leaves the
caller's connection busy."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from boxoffice.catalog.models import Event, Organizer, Product
from boxoffice.exports import rows as export
from boxoffice.exports.writers import csv_body, xlsx_body
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod, Ticket, TicketState
from boxoffice.orders.placing import Customer, OrderLine, order_place
from boxoffice.payments.models import Refund, RefundState

POSTGRES = connection.vendor == "postgresql"
needs_postgres = pytest.mark.skipif(not POSTGRES, reason="the SQL source is PostgreSQL's")
PERS = [export.Per.ORDERS, export.Per.TICKETS]
SORTS = [(), ("pk",), ("-total", "-id"), ("status", "created_at", "id")]


@pytest.fixture
def mix(
    order_in: Callable[..., Order],
    make_product: Callable[..., Product],
    make_event: Callable[..., Event],
    event: Event,
    product: Product,
    organizer: Organizer,
) -> list[Order]:
    vip = make_product(event, name="VIP", price=Decimal("150.00"), vat_rate=Decimal("25.50"))
    guest = make_product(
        event, name="Guest", price=Decimal("0"), vat_rate=Decimal("0"), service_fee=Decimal("0")
    )
    jazz = make_event(organizer, name='Jazz; "Night", 2\nsets')  # quoted in CSV
    late = make_product(jazz, name="Day ticket", price=Decimal("20.05"), vat_rate=Decimal("14"))
    orders = [
        order_in(OrderStatus.PAID, language="sv", name='=HYPERLINK("x")', phone="+358401234567"),
        order_in(OrderStatus.RESERVED, language="en"),
        order_in(OrderStatus.CANCELLED),
        order_in(OrderStatus.INVOICING),
        order_in(OrderStatus.RETURNED),
        order_in(OrderStatus.PAID, product=vip, quantity=1),
        order_in(OrderStatus.PAID, product=late, quantity=3, name="Åsa Öberg, Jr."),
        order_place(  # several products, the VIP first
            event=event,
            lines=[OrderLine(vip, 1), OrderLine(product, 2), OrderLine(guest, 1)],
            customer=Customer(email="multi@example.com", name="-Multi", language="en"),
            payment_method=PaymentMethod.RESERVED_BY_ORGANIZER,
            actor=Actor.customer("multi@example.com"),
        ),
    ]
    Refund.objects.create(
        order=orders[2],
        amount=Decimal("98.00"),
        state=RefundState.SUCCEEDED,
        source="paytrail",
        created_at=timezone.now(),
    )
    Ticket.objects.filter(order=orders[0]).update(checked_in_at=timezone.now())
    first_vip = Ticket.objects.filter(order=orders[7]).order_by("pk").first()
    assert first_vip is not None
    Ticket.objects.filter(pk=first_vip.pk).update(state=TicketState.VOID)
    # Helsinki's clocks go back at 01:00 UTC: 00:30 and 01:30 UTC are both 03:30 there.
    Order.objects.filter(pk=orders[5].pk).update(
        created_at=datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        paid_at=datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    )
    return orders


def files(orders: QuerySet[Order], per: export.Per) -> tuple[bytes, bytes, bytes]:
    """The export of ``orders`` as CSV (both delimiters) and as the sheet's XML."""
    rows = list(export.export_rows(orders, per))
    cols = export.columns(per)
    return csv_body(cols, rows), csv_body(cols, rows, delimiter=";"), xlsx_body(cols, rows)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Batches of two and id chunks of three: boundaries inside orders' runs and chunks that
    # end in a part batch.
    monkeypatch.setattr(export, "BATCH", 2)
    monkeypatch.setattr(export, "PG_BATCH", 2)
    monkeypatch.setattr(export, "PG_IDS", 3)


def by_orm(
    monkeypatch: pytest.MonkeyPatch, orders: QuerySet[Order], per: export.Per
) -> tuple[bytes, bytes, bytes]:
    with monkeypatch.context() as m:
        m.setattr(export, "_postgres_batches", export._orm_batches)
        return files(orders, per)


@pytest.fixture
def own_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The connections of the export's own that were opened."""
    opened: list[Any] = []
    real = export._own_connection

    @contextmanager
    def spy(db: Any) -> Iterator[Any]:
        with real(db) as own:
            opened.append(own)
            yield own

    monkeypatch.setattr(export, "_own_connection", spy)
    return opened


@pytest.mark.parametrize("per", PERS)
@pytest.mark.parametrize("sort", SORTS)
def test_rows_follow_the_lists_order(
    mix: list[Order], small_batches: None, per: export.Per, sort: tuple[str, ...]
) -> None:
    orders = Order.objects.all().order_by(*sort) if sort else Order.objects.all()
    codes = [row[0] for row in export.export_rows(orders, per)]
    expected = list(orders.values_list("code", flat=True))
    if per == export.Per.TICKETS:
        tickets = Ticket.objects.order_by("order_id", "pk")
        count = {o.pk: tickets.filter(order=o).count() for o in mix}
        expected = [c for o in orders for c in [o.code] * count[o.pk]]
    assert codes == expected
    products = [row[11] for row in export.export_rows(orders.filter(pk=mix[7].pk), per)]
    if per == export.Per.ORDERS:
        assert products == ["1\u00d7 VIP, 2\u00d7 Day ticket, 1\u00d7 Guest"]
    else:
        assert products == ["VIP", "Day ticket", "Day ticket", "Guest"]


@pytest.mark.parametrize("per", PERS)
def test_nothing_to_export_is_no_rows(mix: list[Order], per: export.Per) -> None:
    assert list(export.export_rows(Order.objects.none(), per)) == []
    assert list(export.export_rows(Order.objects.filter(code="NOSUCH"), per)) == []


@needs_postgres
@pytest.mark.parametrize("per", PERS)
@pytest.mark.parametrize("sort", SORTS)
def test_sql_in_the_callers_transaction_writes_what_the_orm_writes(
    mix: list[Order],
    small_batches: None,
    own_connections: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    per: export.Per,
    sort: tuple[str, ...],
) -> None:
    orders = Order.objects.order_by(*sort) if sort else Order.objects.all()
    assert files(orders, per) == by_orm(monkeypatch, orders, per)
    assert own_connections == []  # it could not see this test's rows


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("per", PERS)
@pytest.mark.parametrize("zone", ["Europe/Helsinki", "America/New_York", "UTC"])
def test_sql_on_its_own_connection_writes_what_the_orm_writes(
    mix: list[Order],
    small_batches: None,
    own_connections: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    per: export.Per,
    zone: str,
) -> None:
    orders = Order.objects.order_by("-total", "-id")
    with timezone.override(zone):
        assert files(orders, per) == by_orm(monkeypatch, orders, per)
    assert len(own_connections) == 2
    assert all(own.closed for own in own_connections)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_few_batches_are_read_on_the_callers_connection(
    mix: list[Order], own_connections: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "PG_BATCH", 4)  # eight orders: two batches
    orders = Order.objects.order_by("pk")
    assert files(orders, export.Per.TICKETS) == by_orm(monkeypatch, orders, export.Per.TICKETS)
    assert own_connections == []


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_without_a_connection_to_spare_the_callers_reads_them_all(
    mix: list[Order], small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Any] = []
    real = psycopg.connect

    def second_refused(*args: Any, **kwargs: Any) -> Any:
        if opened:
            raise psycopg.OperationalError("sorry, too many clients already")
        opened.append(real(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(psycopg, "connect", second_refused)
    orders = Order.objects.order_by("-total", "-id")
    assert files(orders, export.Per.TICKETS) == by_orm(monkeypatch, orders, export.Per.TICKETS)
    assert len(opened) == 1 and opened[0].closed


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_callers_connection_stays_free_and_a_dropped_export_closes_its_own(
    mix: list[Order], small_batches: None, own_connections: list[Any]
) -> None:
    rows = export.export_rows(Order.objects.order_by("pk"), export.Per.TICKETS)
    codes = []
    try:
        for row in rows:
            codes.append(row[0])
            # The caller writes between rows (a progress count, say) on its own connection.
            Order.objects.filter(pk=mix[0].pk).update(customer_phone=str(len(codes)))
            if len(codes) == 5:
                break
        assert codes == [mix[0].code] * 2 + [mix[1].code] * 2 + [mix[2].code]
        assert len(own_connections) == 2
        assert not any(own.closed for own in own_connections)
    finally:
        rows.close()  # type: ignore[attr-defined]
    assert all(own.closed for own in own_connections)
