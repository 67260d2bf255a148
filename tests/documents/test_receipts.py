"""Receipts: the PDF's own numbers add up to the order's amounts, to the cent."""

import io
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from boxoffice.accounts.models import Organizer
from boxoffice.catalog.models import Event, FundsManager, Product
from boxoffice.common.errors import DomainError
from boxoffice.documents.data import receipt_data_for
from boxoffice.documents.models import Receipt
from boxoffice.documents.receipts import render_receipt
from boxoffice.documents.services import receipt_issue, receipt_of, receipt_pdf
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded

from .conftest import MIXED

MONEY = r"(-?)€([\d,]+\.\d\d)"
LINE_RE = re.compile(
    rf"^(?P<desc>[^\n€]+)\n{MONEY}\n(?P<qty>\d+)\n(?P<rate>[\d.]+)\s%\n{MONEY}\n{MONEY}$", re.M
)
VAT_RE = re.compile(rf"^(?P<rate>[\d.]+)\s%\n{MONEY}\n{MONEY}\n{MONEY}$", re.M)
TOTAL_RE = re.compile(rf"^Total\n{MONEY}$", re.M)


def eur(sign: str, digits: str) -> Decimal:
    return Decimal(sign + digits.replace(",", ""))


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def english_receipt(order: Order) -> str:
    receipt = receipt_of(order)
    return pdf_text(render_receipt(receipt_data_for(order, receipt), language="en"))


def test_lines_vat_per_rate_and_total_add_up(
    place_mixed: Callable[..., Order], actor: Actor
) -> None:
    order = order_mark_paid(order=place_mixed(), actor=actor, reference="PT-1")
    text = english_receipt(order)

    lines = [
        (
            m["desc"],
            eur(*m.group(2, 3)),
            int(m["qty"]),
            Decimal(m["rate"]),
            eur(*m.group(6, 7)),
            eur(*m.group(8, 9)),
        )
        for m in LINE_RE.finditer(text)
    ]
    fees = [line for line in lines if line[0].startswith("Service fee: ")]
    assert len(lines) == len(MIXED) + 3 and len(fees) == 3
    assert {line[3] for line in fees} == {Decimal("25.5")}
    for _desc, unit, qty, rate, vat, gross in lines:
        assert gross == unit * qty
        assert vat == (gross * rate / (100 + rate)).quantize(Decimal("0.01"))
    total = eur(*TOTAL_RE.search(text).groups())  # type: ignore[union-attr]
    assert total == order.total == sum(line[5] for line in lines)
    assert sum(line[5] for line in fees) == order.service_fee_total

    rows = {
        Decimal(m["rate"]): (eur(*m.group(2, 3)), eur(*m.group(4, 5)), eur(*m.group(6, 7)))
        for m in VAT_RE.finditer(text)
    }
    assert set(rows) == {Decimal("25.5"), Decimal("14"), Decimal("10"), Decimal("0")}
    for rate, (net, vat, gross) in rows.items():
        assert net + vat == gross
        assert vat == sum(line[4] for line in lines if line[3] == rate)
        assert gross == sum(line[5] for line in lines if line[3] == rate)
    assert sum(vat for _, vat, _ in rows.values()) == sum(line[4] for line in lines)
    assert sum(gross for _, _, gross in rows.values()) == order.total

    assert "Receipt number 1" in text
    assert "Demo Events Oy" in text and "Business ID 0737546-2" in text
    assert "Mannerheimintie 1, 00100 Helsinki" in text
    assert "Payment collected by Boxoffice" in text
    assert "Åsa Öberg" in text and "asa@example.com" in text
    assert "Paytrail" in text and "Refund" not in text


def test_numbers_are_sequential_per_organizer_and_stable(
    place: Callable[..., Order],
    product: Product,
    make_event: Callable[..., Event],
    make_product: Callable[..., Product],
    other_organizer: Organizer,
    actor: Actor,
) -> None:
    placed = [place(product) for _ in range(3)]
    # Numbered in the order the payments arrive, not the order the orders were placed.
    orders = [order_mark_paid(order=o, actor=actor) for o in reversed(placed)]
    assert [receipt_of(o).number for o in orders] == [1, 2, 3]
    assert receipt_of(orders[0]).number == 1  # reading it again keeps its number
    assert receipt_issue(orders[0]).number == 1  # and so does issuing it again
    other = make_product(make_event(other_organizer))
    elsewhere = order_mark_paid(order=place(other), actor=actor)
    assert receipt_of(elsewhere).number == 1
    free = place(
        make_product(product.event, price=Decimal(0), service_fee=Decimal(0)),
        method=PaymentMethod.FREE,
    )
    assert receipt_of(free).number == 4  # a free order is paid, and numbered, when placed
    assert Receipt.objects.count() == 5


def test_unpaid_order_gets_no_receipt(place: Callable[..., Order], product: Product) -> None:
    order = place(product, method=PaymentMethod.INVOICE)
    with pytest.raises(DomainError, match="paid"):
        receipt_of(order)
    with pytest.raises(DomainError, match="paid"):
        receipt_issue(order)
    with pytest.raises(DomainError):
        receipt_pdf(order)
    assert not Receipt.objects.exists()


def test_a_paid_order_without_its_number_is_refused_not_numbered(
    place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    """Reading never numbers: a receipt row deleted around the services is not made up."""
    order = order_mark_paid(order=place(product), actor=actor)
    Receipt.objects.filter(order=order).delete()
    with pytest.raises(DomainError, match="not been issued"):
        receipt_pdf(order)
    assert not Receipt.objects.exists()


def test_refunds_are_listed(
    place: Callable[..., Order], product: Product, event: Event, actor: Actor
) -> None:
    event.default_funds_manager = FundsManager.ORGANIZER
    event.save()
    event.organizer.paytrail_merchant_id = "375917"  # its own account: it may sell online
    event.organizer.paytrail_secret = "SAIPPUAKAUPPIAS"
    event.organizer.save()
    order = order_mark_paid(order=place(product), actor=actor)
    order = order_cancel(order=order, actor=actor)
    refund = order_mark_refunded(order=order, actor=actor, reference="BANK-1")
    text = english_receipt(order)
    assert re.search(rf"^Refund \d+ \w+ \d{{4}}\n-€{refund.amount}$", text, re.M), text
    assert "Payment collected by" not in text


def test_receipt_builder_queries_are_bounded(
    place_mixed: Callable[..., Order], actor: Actor
) -> None:
    order = order_mark_paid(order=place_mixed(), actor=actor)
    receipt = receipt_of(order)
    with CaptureQueriesContext(connection) as queries:
        data = receipt_data_for(order, receipt)
    assert len(queries) <= 5 and len(data.lines) == 7


def test_finnish_receipt(place_mixed: Callable[..., Order], actor: Actor) -> None:
    order = order_mark_paid(order=place_mixed(), actor=actor)
    text = pdf_text(receipt_pdf(order))
    assert "Kuitti" in text and "Myyjä" in text and "Y-tunnus 0737546-2" in text
