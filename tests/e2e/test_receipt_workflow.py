"""An organizer downloads, from the back office in a real browser, the receipt of an order that
was paid and then partly refunded through Paytrail (the service fees stay): the PDF is dated
with the payment, keeps its number and shows the refund and the net amount paid.

Page 1 is rendered to receipt-after-refund.png in the screenshot directory, to look at.
"""

import io
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pymupdf
import pytest
from django.utils.translation import gettext as _
from django.utils.translation import override
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.documents.formatting import format_date
from boxoffice.documents.models import Receipt
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import RefundState
from boxoffice.payments.services import refund_request

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _register_payment(order: Order) -> None:
    """The payment exists at the sandbox, as the demo registers its paid orders."""
    from boxoffice.demo.sandbox import mirror_paytrail_payments

    assert mirror_paytrail_payments([order]) == 1


def test_receipt_of_a_partly_refunded_order_from_the_back_office(
    site: str,
    new_page: Callable[..., Page],
    place: Callable[..., Order],
    product: Product,
    owner: User,
    password: str,
    run_tasks: Callable[[], None],
    screenshot_dir: Path,
    wait_until_settled: Callable[..., None],
) -> None:
    actor = Actor.for_user(owner)
    # 2 x 49.00 + 2 x 2.50 service fees = 103.00, for a Finnish-speaking customer.
    order = place(product, quantity=2, language="fi")
    order = order_mark_paid(order=order, actor=actor, reference="PT-RECEIPT")
    _register_payment(order)
    order = order_cancel(order=order, actor=actor, reason="The event moved")
    refund = refund_request(order=order, actor=actor)
    run_tasks()
    wait_until_settled(refund)
    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.state, refund.amount, order.status) == (
        RefundState.SUCCEEDED,
        98,
        OrderStatus.RETURNED,
    )
    number = Receipt.objects.get(order=order).number
    assert order.paid_at is not None and refund.completed_at is not None
    helsinki = ZoneInfo(order.event.timezone)
    paid_on = format_date(order.paid_at.astimezone(helsinki), "fi")
    refunded_on = format_date(refund.completed_at.astimezone(helsinki), "fi")

    page = new_page()
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site}/backoffice/orders/{order.code}/")
    expect(page.get_by_test_id("order-status")).to_have_text("Returned")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download receipt").click()
    download = download_info.value
    assert download.suggested_filename == f"receipt-{order.code}.pdf"
    content = Path(download.path()).read_bytes()

    pdf = pymupdf.open(stream=content, filetype="pdf")
    pdf[0].get_pixmap(dpi=110).save(str(screenshot_dir / "receipt-after-refund.png"))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    lines = [line.replace("\u00a0", " ").strip() for line in text.splitlines()]
    assert lines[:3] == ["Kuitti", f"Kuitin numero {number}", f"Päiväys {paid_on}"]
    with override("fi"):
        net = _("Net amount paid")
        payment = _("Payment")
    tail = lines[lines.index(payment) + 1 :]
    assert tail[1:] == ["103,00 €", f"Hyvitys {refunded_on}", "-98,00 €", net, "5,00 €"]
    assert order.history.filter(kind=OrderEventKind.RECEIPT_DOWNLOADED).count() == 1
