"""A readable history in a real browser: one cancel-and-refund of a paid card order reads as one
entry, its steps folded beneath it (issue 15, point 9).

The order is paid on the Paytrail sandbox without a browser (its callback lands before the test
goes on); the organizer cancels and refunds it in the back office; the worker sends the refund
and the emails; the sandbox's refund callback completes it.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.payments.models import Payment, Refund, RefundState
from boxoffice.payments.paytrail import payments as paytrail_payments
from boxoffice.paytrail_sandbox import testing as sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _paid_card_order(place: Callable[..., Order], product: Product) -> Order:
    order = place(product, quantity=2)  # 2 x 49.00 + 2 x 2.50 service fees = 103.00
    paytrail_payments.payment_start(order=order)
    tid = Payment.objects.get(order=order).provider_reference
    with sandbox.deliver_synchronously():
        sandbox.complete_payment(tid, "ok", "nordea")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def test_cancel_and_refund_reads_as_one_history_entry(
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
    order = _paid_card_order(place, product)
    run_tasks()  # the confirmation goes out

    page = new_page()
    detail_url = f"{site}/backoffice/orders/{order.code}/"
    page.goto(detail_url)
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(detail_url)

    page.get_by_role("link", name="Cancel and refund").click()
    page.get_by_label(re.compile("^Reason")).fill("The event moved")
    page.locator(".card.confirm form").get_by_role("button", name="Cancel and refund").click()
    expect(page).to_have_url(detail_url)

    refund = Refund.objects.get(order=order)
    run_tasks()  # the refund goes to Paytrail, the cancellation notice out
    wait_until_settled(refund)
    assert refund.state == RefundState.SUCCEEDED, refund.failure_reason
    run_tasks()  # the refund notice

    page.reload()
    expect(page.get_by_test_id("order-status")).to_have_text("Returned")
    history = page.get_by_test_id("history")
    history.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "history-before.png", full_page=True)
