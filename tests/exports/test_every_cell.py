"""Every cell of every export, read back (csv module, openpyxl) and compared with the database
for the demo's mixed orders: every status and payment method, refunds, service fees, VAT rates,
customer languages, check-ins. The expected values are worked out here from the rows, not
taken from the export's code."""

import csv
import io
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from boxoffice.accounts.models import User
from boxoffice.catalog.models import FundsManager
from boxoffice.common.spreadsheet import safe_cell
from boxoffice.documents.data import vat_of
from boxoffice.orders.models import (
    Language,
    Order,
    OrderStatus,
    PaymentMethod,
    Ticket,
    TicketState,
)
from boxoffice.payments.models import REFUND_STATES_DONE, PaymentState

EXPORT = "/backoffice/orders/export/"
TWO = Decimal("0.01")


@pytest.fixture
def demo(db: None, settings: Any) -> list[Order]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", orders=120, stdout=StringIO())
    # The demo lets nobody in at the door yet: two paid orders' first tickets are.
    for order in Order.objects.filter(organizer__slug="demo-events", status=OrderStatus.PAID)[:2]:
        Ticket.objects.filter(pk=order.tickets.order_by("pk").values("pk")[:1]).update(
            checked_in_at=timezone.now()
        )
    orders = list(
        Order.objects.filter(organizer__slug="demo-events")
        .select_related("event")
        .prefetch_related("tickets__product", "payments", "refunds")
        .order_by("-created_at", "-id")
    )
    # The set is as mixed as the issue asks, or this test proves less than it says.
    assert {o.status for o in orders} == set(OrderStatus.values)
    assert {o.payment_method for o in orders} >= {
        PaymentMethod.PAYTRAIL, PaymentMethod.EPASSI, PaymentMethod.INVOICE, PaymentMethod.FREE
    }  # fmt: skip
    assert len({t.vat_rate for o in orders for t in o.tickets.all()}) >= 2
    assert any(r.state in REFUND_STATES_DONE for o in orders for r in o.refunds.all())
    assert any(t.checked_in_at for o in orders for t in o.tickets.all())
    return orders


@pytest.fixture
def client(demo: list[Order]) -> Client:
    c = Client()
    c.force_login(User.objects.get(email="organizer@demo.test"))
    return c


def text(value: str) -> str:
    return safe_cell(value) if value else ""


def when(value: datetime | None) -> str:
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def money(value: Decimal) -> str:
    return f"{value.quantize(TWO):.2f}"


def head(order: Order) -> list[str]:
    return [
        order.code,
        when(order.created_at),
        when(order.paid_at),
        str(OrderStatus(order.status).label),
        str(PaymentMethod(order.payment_method).label),
        str(FundsManager(order.funds_manager).label),
        text(order.event.name),
        text(order.customer_name),
        text(order.customer_email),
        text(order.customer_phone),
        str(Language(order.language).label),
    ]


def paid_and_refunded(order: Order) -> list[str]:
    paid = sum(
        (p.amount for p in order.payments.all() if p.state == PaymentState.CONFIRMED), Decimal(0)
    )
    refunded = sum(
        (r.amount for r in order.refunds.all() if r.state in REFUND_STATES_DONE), Decimal(0)
    )
    return [money(paid), money(refunded)]


def expected_orders(orders: list[Order]) -> list[list[str]]:
    rows = []
    for order in orders:
        tickets = sorted(order.tickets.all(), key=lambda t: t.pk)
        counts: dict[str, int] = defaultdict(int)
        for t in tickets:
            counts[t.product.name] += 1
        products = ", ".join(f"{n}\u00d7 {name}" for name, n in counts.items())
        vat = sum((vat_of(t.price, t.vat_rate) for t in tickets), Decimal(0))
        rows.append(
            [
                *head(order),
                text(products),
                str(order.product_count),
                money(order.total),
                money(vat),
                money(order.service_fee_total),
                *paid_and_refunded(order),
                str(sum(1 for t in tickets if t.checked_in_at)),
            ]
        )
    return rows


def expected_tickets(orders: list[Order]) -> list[list[str]]:
    rows = []
    for order in orders:
        for t in sorted(order.tickets.all(), key=lambda t: t.pk):
            rows.append(
                [
                    *head(order),
                    text(t.product.name),
                    text(t.participant_name),
                    text(t.participant_email),
                    str(TicketState(t.state).label),
                    money(t.price),
                    money(t.vat_rate),
                    money(vat_of(t.price, t.vat_rate)),
                    money(t.service_fee),
                    *paid_and_refunded(order),
                    when(t.checked_in_at),
                ]
            )
    return rows


def read_csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def read_xlsx(response: Any) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def as_text(cell: Any, wanted: str) -> str:
    """An XLSX cell in the CSV's words, to compare with the same expectations."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        # Stored as a day fraction: read back to within a millisecond.
        return cell.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S") if wanted else ""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if "." in wanted:  # money, or a VAT rate stored as a fraction (percent format)
            value = Decimal(str(cell))
            if wanted == money(value * 100) and value < 1:
                return wanted
            return money(value)
        return str(int(cell))
    return str(cell)


@pytest.mark.parametrize(
    ("rows", "expected"), [("orders", expected_orders), ("tickets", expected_tickets)]
)
def test_csv_cell_by_cell(client: Client, demo: list[Order], rows: str, expected: Any) -> None:
    got = read_csv(client.get(EXPORT, {"format": "csv", "rows": rows}))
    assert got[1:] == expected(demo)


@pytest.mark.parametrize(
    ("rows", "expected"), [("orders", expected_orders), ("tickets", expected_tickets)]
)
def test_xlsx_cell_by_cell(client: Client, demo: list[Order], rows: str, expected: Any) -> None:
    got = read_xlsx(client.get(EXPORT, {"format": "xlsx", "rows": rows}))
    wanted = expected(demo)
    assert len(got) - 1 == len(wanted)
    for got_row, wanted_row in zip(got[1:], wanted, strict=True):
        assert [as_text(c, w) for c, w in zip(got_row, wanted_row, strict=True)] == wanted_row


def test_another_organizers_orders_never_appear(client: Client, demo: list[Order]) -> None:
    others = set(
        Order.objects.exclude(organizer__slug="demo-events").values_list("code", flat=True)
    )
    assert others  # the demo has another organizer
    for query in ({}, {"q": "example"}, {"status": "paid"}, {"rows": "tickets"}):
        codes = {row[0] for row in read_csv(client.get(EXPORT, {"format": "csv", **query}))[1:]}
        assert codes and not codes & others
