"""On the demo data: a customer pays, follows the link in the confirmation email, fixes a
participant, downloads the tickets and asks for a return; the organizer accepts it, the money
goes back through the Paytrail sandbox, and the ticket no longer gets anyone in.
"""

import io
import re
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from boxoffice.orders.models import Order, OrderStatus
from boxoffice.payments.models import Refund, RefundState

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mailbox(settings: Any, tmp_path: Path) -> Path:
    """The demo's mail backend (one .eml per message), writing where the test can read it."""
    settings.EMAIL_BACKEND = "boxoffice.notifications.eml_backend.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return tmp_path / "mail"


def read_mail(mailbox: Path, *, to: str) -> list[EmailMessage]:
    """The messages sent to ``to``, oldest first."""
    messages = []
    for path in sorted(mailbox.glob("*.eml")):
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        if parsed["To"] == to:
            messages.append(parsed)
    return messages


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def pay_on_the_sandbox(page: Page, order_url: str, site: str) -> None:
    page.goto(order_url)
    page.get_by_test_id("pay-now").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(site)}/paytrail-sandbox/pay/"))
    page.get_by_label("OP", exact=True).check()
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page).to_have_url(order_url)


def test_customer_link_participant_download_return_then_void(
    site: str,
    mailbox: Path,
    new_page: Callable[..., Page],
    run_tasks: Callable[[], None],
    wait_until_settled: Callable[..., None],
    screenshot_dir: Path,
) -> None:
    call_command("demo", "--orders", "200", stdout=io.StringIO())
    order = (
        Order.objects.filter(
            organizer__slug="demo-events",
            status=OrderStatus.RESERVED,
            payment_method="paytrail",
            payment_deadline__gt=timezone.now(),
            event__returns_allowed=True,
            event__returns_deadline__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
    assert order is not None, "the demo has live Paytrail reservations for an event with returns"

    # -- the customer pays; the worker sends the confirmation with the tickets -----------------
    customer = new_page(viewport={"width": 390, "height": 844})  # a phone
    pay_on_the_sandbox(customer, f"{site}/o/{order.code}/{order.secret}/", site)
    run_tasks()
    # (Other demo customers get mail too: the worker also expires stale demo reservations.)
    [confirmation] = read_mail(mailbox, to=order.customer_email)
    assert confirmation["To"] == order.customer_email
    assert order.code in confirmation["Subject"]
    [attachment] = list(confirmation.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    link = re.search(r"https?://\S+/o/\S+/", text_of(confirmation))
    assert link is not None, text_of(confirmation)

    # -- ... opens the link from the email -----------------------------------------------------
    customer.goto(link.group(0))
    expect(customer.locator("h1")).to_have_text(order.event.name)
    expect(customer.locator(".facts dd .badge")).to_have_text("Paid")

    # -- ... corrects a participant's name -----------------------------------------------------
    first = customer.get_by_test_id("ticket").first
    first.get_by_role("link", name="Edit participant").click()
    customer.get_by_label("Name").fill("Aino Ääninen")
    customer.get_by_role("button", name="Save").click()
    expect(customer.locator(".messages")).to_contain_text("The participant details are saved.")
    expect(customer.get_by_test_id("ticket").first).to_contain_text("Aino Ääninen")

    # -- ... downloads the tickets -------------------------------------------------------------
    with customer.expect_download() as download_info:
        customer.get_by_test_id("download-tickets").click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    # -- ... and asks for a return -------------------------------------------------------------
    customer.get_by_test_id("request-return").click()
    customer.get_by_label(re.compile("^Why")).fill("Sairastuin")
    customer.get_by_test_id("send-return").click()
    expect(customer.locator(".messages")).to_contain_text("Your return request was sent.")
    expect(customer.locator(".facts dd .badge")).to_have_text("Return requested")
    customer.screenshot(path=screenshot_dir / "customer-return-requested.png", full_page=True)
    run_tasks()
    [to_organizer] = read_mail(mailbox, to=order.organizer.support_email)
    assert "Sairastuin" in text_of(to_organizer)
    backoffice_link = re.search(r"https?://\S+/backoffice/orders/\w+/", text_of(to_organizer))
    assert backoffice_link is not None

    # -- the organizer follows the email's link and accepts the return -------------------------
    organizer = new_page()
    organizer.goto(backoffice_link.group(0))
    organizer.get_by_label("Email").fill("organizer@demo.test")
    organizer.get_by_label("Password").fill("demo")
    organizer.get_by_role("button", name="Log in").click()
    expect(organizer.get_by_test_id("return-request")).to_contain_text("Sairastuin")
    organizer.get_by_role("link", name="Accept return").click()
    organizer.locator(".card.confirm form").get_by_role("button", name="Accept return").click()
    expect(organizer.locator(".messages")).to_contain_text("Return accepted")

    refund = Refund.objects.get(order=order)
    run_tasks()  # sends the refund to the sandbox, and the emails
    wait_until_settled(refund)
    assert refund.state == RefundState.SUCCEEDED, refund.failure_reason
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED
    organizer.reload()
    expect(organizer.get_by_test_id("order-status")).to_have_text("Returned")
    run_tasks()
    subjects = [str(m["Subject"]) for m in read_mail(mailbox, to=order.customer_email)]
    assert len(subjects) == 3, subjects  # confirmation, cancellation (return accepted), refund

    # -- the customer's ticket no longer gets in -----------------------------------------------
    ticket = order.tickets.order_by("pk").first()
    assert ticket is not None
    scan_ticket_at_the_door(organizer, site, order, ticket.secret)


def scan_ticket_at_the_door(page: Page, site: str, order: Order, secret: str) -> None:
    page.goto(f"{site}/backoffice/events/{order.event_id}/checkin/")
    page.get_by_label("Ticket code").fill(secret)
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.get_by_test_id("scan-result")).to_have_attribute("data-answer", "void")
