"""A receipt is dated when the order was paid and keeps the number it got then; refunds that
went back are listed with their dates, and the net amount paid after them.

The clock is set for each step (paid, refunded, downloaded on different days) so the dates the
PDF prints can only have come from the stored facts of the right step. Times are chosen near
midnight UTC: the receipt prints the event's local (Helsinki) date, a day later.
"""

import io
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from pypdf import PdfReader

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.documents.models import Receipt
from boxoffice.documents.services import receipt_of, receipt_pdf
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded
from boxoffice.payments.models import Refund, RefundState
from boxoffice.payments.services import order_cancel_and_refund, refund_request

# 14 Mar 2026 22:30 UTC is 15 Mar 00:30 in Helsinki (UTC+2).
PAID = datetime(2026, 3, 14, 22, 30, tzinfo=UTC)
REFUNDED = datetime(2026, 3, 31, 21, 15, tzinfo=UTC)  # 1 Apr 00:15 in Helsinki (UTC+3)
DOWNLOADED = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = PAID


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """timezone.now() as the test sets it: the services and auto_now fields all read it."""
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


def pdf_lines(pdf: bytes) -> list[str]:
    """The PDF's text lines as extracted. Extraction gives a no-break space (in "103,00 €")
    back as a plain one and sometimes puts a space before a right-aligned text."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return [line.replace("\u00a0", " ").strip() for line in text.splitlines()]


def receipt_lines(order: Order, language: str) -> list[str]:
    Order.objects.filter(pk=order.pk).update(language=language)
    order.refresh_from_db()
    return pdf_lines(receipt_pdf(order))


def payment_section(lines: list[str], language: str) -> list[str]:
    with override(language):
        heading = _("Payment")
    return lines[lines.index(heading) + 1 :]


def paid_line(language: str, method: str, time: str) -> str:
    # New wording: compared through the catalog, so the test holds once it is translated.
    with override(language):
        return _("%(method)s, paid %(time)s") % {"method": method, "time": time}


def net_label(language: str) -> str:
    with override(language):
        return _("Net amount paid")


def test_dated_with_the_payment_date_whenever_downloaded(
    clock: Clock, place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    clock.now = PAID.replace(hour=21)
    order = place(product)  # 2 x 49.00 + 2 x 2.50 service fees = 103.00
    clock.now = PAID
    order = order_mark_paid(order=order, actor=actor, reference="PT-1")
    # A receipt numbered on its first download (before documents.0002) carries that day in
    # its row: the receipt still prints the payment date.
    Receipt.objects.filter(order=order).update(issued_at=DOWNLOADED)
    clock.now = DOWNLOADED

    fi = receipt_lines(order, "fi")
    assert fi[:3] == ["Kuitti", "Kuitin numero 1", "Päiväys 15.3.2026"]
    assert payment_section(fi, "fi") == [
        paid_line("fi", "Paytrail", "15.3.2026 klo 0.30"),
        "103,00 €",
    ]
    en = receipt_lines(order, "en")
    assert en[:3] == ["Receipt", "Receipt number 1", "Date 15 Mar 2026"]
    assert payment_section(en, "en") == [
        paid_line("en", "Paytrail", "15 Mar 2026, 00:30"),
        "€103.00",
    ]


def test_numbered_when_paid_and_the_number_stays(
    clock: Clock, place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    first, second = place(product), place(product)
    second = order_mark_paid(order=second, actor=actor)
    first = order_mark_paid(order=first, actor=actor)
    # Numbered in the payment's transaction, at that moment, in the order payments arrived.
    assert [(r.order_id, r.number, r.issued_at) for r in Receipt.objects.order_by("number")] == [
        (second.pk, 1, PAID),
        (first.pk, 2, PAID),
    ]
    clock.now = REFUNDED
    first = order_cancel(order=first, actor=actor)
    order_mark_refunded(order=first, actor=actor, reference="BANK-1")
    clock.now = DOWNLOADED
    assert receipt_lines(first, "en")[1] == "Receipt number 2"
    assert receipt_lines(second, "en")[1] == "Receipt number 1"
    assert Receipt.objects.count() == 2  # downloads number nothing


def test_marked_refunded_shows_the_refund_and_the_net_amount(
    clock: Clock, place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    order = order_mark_paid(order=place(product), actor=actor, reference="INV-1")
    clock.now = REFUNDED
    order = order_cancel(order=order, actor=actor)
    refund = order_mark_refunded(order=order, actor=actor, reference="BANK-1")
    assert refund.amount == Decimal("98.00")  # service fees are never refunded
    clock.now = DOWNLOADED

    fi = receipt_lines(order, "fi")
    assert fi[2] == "Päiväys 15.3.2026"
    assert payment_section(fi, "fi") == [
        paid_line("fi", "Paytrail", "15.3.2026 klo 0.30"),
        "103,00 €",
        "Hyvitys 1.4.2026",
        "-98,00 €",
        net_label("fi"),
        "5,00 €",
    ]
    en = receipt_lines(order, "en")
    assert en[2] == "Date 15 Mar 2026"
    assert payment_section(en, "en") == [
        paid_line("en", "Paytrail", "15 Mar 2026, 00:30"),
        "€103.00",
        "Refund 1 Apr 2026",
        "-€98.00",
        "Net amount paid",
        "€5.00",
    ]


def test_only_paytrail_refunds_that_succeeded_are_listed(
    clock: Clock,
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    paytrail: object,
    run_tasks: Callable[[], None],
) -> None:
    order = order_mark_paid(order=place(product), actor=actor, reference="PT-1")
    clock.now = REFUNDED.replace(day=20)
    order_cancel_and_refund(order=order, actor=actor)
    order.refresh_from_db()
    [pending] = Refund.objects.filter(order=order)
    assert pending.state == RefundState.PENDING
    # On its way is not gone back: the receipt shows the payment alone.
    on_the_way = payment_section(receipt_lines(order, "en"), "en")
    assert on_the_way == [paid_line("en", "Paytrail", "15 Mar 2026, 00:30"), "€103.00"]

    paytrail.replies = [400]  # type: ignore[attr-defined]  # Paytrail refuses it
    run_tasks()
    pending.refresh_from_db()
    assert pending.state == RefundState.FAILED
    assert payment_section(receipt_lines(order, "en"), "en") == on_the_way

    clock.now = REFUNDED
    retry = refund_request(order=order, actor=actor)
    run_tasks()
    retry.refresh_from_db()
    order.refresh_from_db()
    assert (retry.state, retry.amount, order.status) == (
        RefundState.SUCCEEDED,
        Decimal("98.00"),
        OrderStatus.RETURNED,
    )
    clock.now = DOWNLOADED
    assert payment_section(receipt_lines(order, "en"), "en") == [
        *on_the_way,
        "Refund 1 Apr 2026",
        "-€98.00",
        "Net amount paid",
        "€5.00",
    ]


def test_free_order_receipt_is_dated_when_placed(
    clock: Clock,
    place: Callable[..., Order],
    make_product: Callable[..., Product],
    product: Product,
) -> None:
    free = make_product(product.event, price=Decimal(0), service_fee=Decimal(0))
    order = place(free, method=PaymentMethod.FREE)
    clock.now = DOWNLOADED
    en = receipt_lines(order, "en")
    assert en[2] == "Date 15 Mar 2026"
    assert payment_section(en, "en") == [
        paid_line("en", "Free order", "15 Mar 2026, 00:30"),
        "€0.00",
    ]


def test_returned_order_receipt_downloads_in_the_back_office(
    clock: Clock,
    client: Client,
    place: Callable[..., Order],
    product: Product,
    owner: User,
    actor: Actor,
) -> None:
    order = order_mark_paid(order=place(product, language="en"), actor=actor, reference="PT-1")
    clock.now = REFUNDED
    order = order_cancel(order=order, actor=actor)
    order_mark_refunded(order=order, actor=actor, reference="BANK-1")
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED
    number = receipt_of(order).number
    clock.now = DOWNLOADED
    client.force_login(owner)

    response = client.get(f"/backoffice/orders/{order.code}/receipt.pdf")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="receipt-{order.code}.pdf"'
    lines = pdf_lines(response.content)
    assert lines[1:3] == [f"Receipt number {number}", "Date 15 Mar 2026"]
    assert payment_section(lines, "en")[2:] == [
        "Refund 1 Apr 2026",
        "-€98.00",
        "Net amount paid",
        "€5.00",
    ]
    downloaded = order.history.filter(kind=OrderEventKind.RECEIPT_DOWNLOADED).get()
    assert (downloaded.created_at, downloaded.actor_label) == (DOWNLOADED, "Olli Omistaja")
