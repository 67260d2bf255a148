"""A customer pays on the Paytrail sandbox's hosted page; the organizer cancels and refunds.

Everything runs over real HTTP against the live server, which also serves the sandbox: the
hosted page, the signed redirect back, the sandbox's callbacks and the refund API. Only the
worker runs in-process (the ``run_tasks`` fixture, as ``boxoffice worker --batch``).
"""

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus
from boxoffice.payments.models import Payment, PaymentState, Refund, RefundState
from boxoffice.paytrail_sandbox import testing as sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _history(page: Page) -> Any:
    return page.get_by_test_id("history").locator("> li")


def test_customer_pays_on_sandbox_then_organizer_cancels_and_refunds(
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
    order = place(product, quantity=2)  # 2 x 49.00 + 2 x 2.50 service fees = 103.00
    pay_then_cancel_and_refund(
        site,
        new_page,
        order,
        owner.email,
        password,
        run_tasks,
        screenshot_dir,
        settle=wait_until_settled,
    )


def test_on_the_demo_data(
    site: str,
    new_page: Callable[..., Page],
    run_tasks: Callable[[], None],
    screenshot_dir: Path,
    wait_until_settled: Callable[..., None],
) -> None:
    """The same story on `boxoffice demo` data, with the demo's organizer login."""
    call_command("demo", "--orders", "60", stdout=io.StringIO())
    order = (
        Order.objects.filter(
            organizer__slug="demo-events",
            status=OrderStatus.RESERVED,
            payment_method="paytrail",
            payment_deadline__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
    assert order is not None, "the demo has live Paytrail reservations"
    pay_then_cancel_and_refund(
        site,
        new_page,
        order,
        "organizer@demo.test",
        "demo",
        run_tasks,
        screenshot_dir,
        settle=wait_until_settled,
        shots=False,
    )


def pay_then_cancel_and_refund(
    site: str,
    new_page: Callable[..., Page],
    order: Order,
    email: str,
    password: str,
    run_tasks: Callable[[], None],
    screenshot_dir: Path,
    *,
    settle: Callable[..., None],
    shots: bool = True,
) -> None:
    cents = round(order.total * 100)
    refundable = round((order.total - order.service_fee_total) * 100)
    order_url = f"{site}/o/{order.code}/{order.secret}/"

    # -- the customer pays ---------------------------------------------------------------------
    customer = new_page()
    customer.goto(order_url)
    status = customer.locator(".facts dd .badge")
    expect(status).to_have_text("Reserved")
    customer.get_by_test_id("pay-now").click()

    expect(customer).to_have_url(
        re.compile(rf"^{re.escape(site)}/paytrail-sandbox/pay/[0-9a-f-]+$")
    )
    expect(customer.locator(".sandbox-summary h1")).to_be_visible()
    expect(customer.locator(".sandbox-amount")).to_have_attribute("data-amount", str(cents))
    if shots:
        customer.screenshot(path=screenshot_dir / "sandbox-hosted-page.png", full_page=True)
    customer.get_by_label("OP", exact=True).check()
    customer.get_by_role("button", name=re.compile(r"^Pay ")).click()

    expect(customer).to_have_url(order_url)
    expect(customer.locator(".messages")).to_contain_text("Thank you! Your payment was received.")
    expect(status).to_have_text("Paid")
    expect(customer.get_by_test_id("pay-now")).to_have_count(0)
    if shots:
        customer.screenshot(path=screenshot_dir / "customer-order-paid.png", full_page=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    payment = Payment.objects.get(order=order, state=PaymentState.CONFIRMED)
    tid = payment.provider_reference
    assert sandbox.sandbox_payment(tid).status == "ok"
    assert sandbox.sandbox_payment(tid).provider == "osuuspankki"
    run_tasks()  # the worker sends the confirmation with the tickets
    confirmation = order.emails.get(kind="confirmation")
    assert (confirmation.state, confirmation.to) == ("sent", order.customer_email)

    # -- the organizer cancels and refunds, in a browser of their own ---------------------------
    organizer = new_page()
    detail_url = f"{site}/backoffice/orders/{order.code}/"
    organizer.goto(detail_url)
    expect(organizer).to_have_url(re.compile(r"/accounts/login/\?next="))
    organizer.get_by_label("Email").fill(email)
    organizer.get_by_label("Password").fill(password)
    organizer.get_by_role("button", name="Log in").click()
    expect(organizer).to_have_url(detail_url)
    badge = organizer.get_by_test_id("order-status")
    expect(badge).to_have_text("Paid")

    # One Cancel order; its page starts from "Refund now" (the seed's "Process Refund
    # Immediately") and spells out what cancelling without it would mean.
    organizer.get_by_role("link", name="Cancel order").click()
    expect(organizer).to_have_url(f"{detail_url}cancel/")
    expect(organizer.get_by_test_id("money-refund")).to_be_checked()
    expect(organizer.locator(".money-choice")).to_contain_text("Cancel without a refund")
    organizer.get_by_label(re.compile("^Reason")).fill("The event moved")
    organizer.screenshot(path=str(screenshot_dir / "cancel-refund-preselected.png"), full_page=True)
    organizer.locator(".card.confirm form").get_by_role("button", name="Cancel order").click()

    expect(organizer).to_have_url(detail_url)
    expect(organizer.locator(".messages")).to_contain_text(
        f"Order {order.code} is cancelled and its tickets are void."
    )
    expect(badge).to_have_text("Cancelled")
    expect(organizer.get_by_test_id("refund-in-flight")).to_be_visible()

    refund = Refund.objects.get(order=order)
    assert refund.state == RefundState.PENDING
    run_tasks()
    settle(refund)
    assert refund.state == RefundState.SUCCEEDED, refund.failure_reason

    organizer.reload()
    expect(badge).to_have_text("Returned")
    expect(organizer.get_by_test_id("refund-in-flight")).to_have_count(0)
    history = _history(organizer)
    # Newest first: the cancel and its refund, one entry; the steps folded beneath it, the
    # refund notice one line (queued, then sent).
    expect(history.first.locator("summary .what")).to_have_text(
        re.compile(r"^Order cancelled and refunded €\d+\.\d\d by ")
    )
    steps = history.first.locator("li.step")
    expect(steps.filter(has_text="Refund completed")).to_have_count(1)
    expect(steps.filter(has_text="Order refunded")).to_have_count(1)
    expect(steps.filter(has_text="Refund notice")).to_have_count(1)
    expect(steps.filter(has_text="Refund notice")).to_contain_text("Email sent: Refund notice")
    if shots:
        organizer.screenshot(path=screenshot_dir / "order-returned.png", full_page=True)

    # -- the database and the sandbox agree -----------------------------------------------------
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED
    [made] = sandbox.sandbox_refunds_for(tid)
    assert made.amount == refundable  # service fees kept
    assert refund.provider_transaction_id == made.transaction_id
    assert len(sandbox.refund_calls(tid)) == 1
    assert list(order.history.order_by("pk").values_list("kind", flat=True)) == [
        OrderEventKind.PLACED,
        OrderEventKind.PAYMENT_STARTED,
        OrderEventKind.PAID,
        OrderEventKind.EMAIL_QUEUED,  # confirmation
        OrderEventKind.EMAIL_SENT,
        OrderEventKind.CANCELLED,
        OrderEventKind.EMAIL_QUEUED,  # cancellation notice
        OrderEventKind.REFUND_REQUESTED,
        OrderEventKind.EMAIL_SENT,
        OrderEventKind.REFUND_SUCCEEDED,
        OrderEventKind.REFUNDED,
        OrderEventKind.EMAIL_QUEUED,  # refund notice
        OrderEventKind.EMAIL_SENT,
    ]
    assert list(order.emails.order_by("pk").values_list("kind", "state")) == [
        ("confirmation", "sent"),
        ("cancellation", "sent"),
        ("refund", "sent"),
    ]

    # The customer's link now tells them the order was returned.
    customer.goto(order_url)
    expect(status).to_have_text("Returned")
