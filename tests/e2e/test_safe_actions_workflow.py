"""What organizers and customers see is right (issue 15, points 1, 2, 4 and 8), in a browser:
unpaid tickets await payment, a return request leads with its answer, a role's missing action
is shown with the reason, the list keeps its place, and a broken customer link is no dead end."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from site_pages import log_in

from boxoffice.accounts.models import Organizer, Role, User
from boxoffice.orders.models import Order, OrderStatus

pytestmark = pytest.mark.e2e


def test_an_unpaid_orders_tickets_await_payment_everywhere(
    live_server: Any,
    new_page: Callable[..., Page],
    order_in: Callable[..., Order],
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    order = order_in(OrderStatus.INVOICING)
    base = live_server.url
    office = new_page()
    log_in(office, base, owner, password)

    office.goto(f"{base}/backoffice/orders/{order.code}/")
    badges = office.get_by_test_id("ticket-standing")
    expect(badges).to_have_text(["Awaiting payment", "Awaiting payment"])
    expect(office.get_by_role("link", name=re.compile("^Download ticket"))).to_have_count(0)
    expect(office.get_by_role("link", name="Resend tickets")).to_have_count(0)
    expect(office.get_by_test_id("tickets-refusal")).to_have_text(
        "Tickets are issued when the order is paid: until then there is nothing to send."
    )
    office.screenshot(
        path=str(screenshot_dir / "unpaid-order-awaiting-payment.png"), full_page=True
    )
    office.get_by_role("link", name="Mark as paid").click()
    expect(office.locator(".card.confirm")).to_contain_text("its tickets are issued")

    customer = new_page()
    customer.goto(f"{base}/o/{order.code}/{order.secret}/")
    expect(customer.get_by_test_id("ticket-standing")).to_have_text(
        ["Awaiting payment", "Awaiting payment"]
    )
    expect(customer.get_by_test_id("download-tickets")).to_have_count(0)
    expect(customer.locator("main")).to_contain_text("Your tickets are issued and emailed to you")
    customer.screenshot(path=str(screenshot_dir / "unpaid-customer-page.png"), full_page=True)


def test_return_request_leads_and_a_support_member_sees_why_not(
    live_server: Any,
    new_page: Callable[..., Page],
    order_in: Callable[..., Order],
    make_user: Callable[..., User],
    organizer: Organizer,
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    order = order_in(OrderStatus.RETURN_REQUESTED)
    base = live_server.url

    page = new_page()
    log_in(page, base, owner, password)
    page.goto(f"{base}/backoffice/orders/{order.code}/")
    actions = page.get_by_test_id("order-actions").locator("a")
    expect(actions).to_have_text(["Accept return", "Decline return", "Cancel order"])
    expect(actions.nth(0)).to_have_class("button primary")
    expect(actions.nth(2)).to_have_class("button danger")
    # The primary and the destructive action do not look alike.
    primary_bg = actions.nth(0).evaluate("e => getComputedStyle(e).backgroundColor")
    danger_bg = actions.nth(2).evaluate("e => getComputedStyle(e).backgroundColor")
    assert primary_bg != danger_bg
    page.screenshot(path=str(screenshot_dir / "return-requested-actions.png"))

    support = make_user("sanna.support@example.com", organizer, Role.SUPPORT)
    helper = new_page()
    log_in(helper, base, support, password)
    helper.goto(f"{base}/backoffice/orders/{order.code}/")
    disabled = helper.get_by_test_id("order-actions").get_by_role("button")
    expect(disabled).to_have_text(["Accept return", "Decline return", "Cancel order"])
    for i in range(3):
        expect(disabled.nth(i)).to_be_disabled()
    expect(helper.get_by_test_id("order-actions").locator(".refusal")).to_have_text(
        ["Needs the manager role"] * 3
    )
    helper.screenshot(path=str(screenshot_dir / "support-sees-why-not.png"))


def test_the_list_keeps_its_place_and_a_broken_customer_link_is_no_dead_end(
    live_server: Any,
    new_page: Callable[..., Page],
    order_in: Callable[..., Order],
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    paid = order_in(OrderStatus.PAID)
    order_in(OrderStatus.RESERVED)
    base = live_server.url
    page = new_page()
    log_in(page, base, owner, password)

    page.goto(f"{base}/backoffice/orders/?status=paid&q=maija")
    page.get_by_role("link", name=paid.code).click()
    expect(page).to_have_url(f"{base}/backoffice/orders/{paid.code}/")
    page.get_by_test_id("back-to-list").click()
    expect(page).to_have_url(f"{base}/backoffice/orders/?q=maija&status=paid")
    expect(page.get_by_label("Search")).to_have_value("maija")
    page.screenshot(path=str(screenshot_dir / "list-keeps-its-place.png"))

    lost = f"{base}/o/{paid.code}/not-the-secret/"
    customer = new_page(expected_errors={f"/o/{paid.code}/not-the-secret/"})
    customer.goto(lost)
    expect(customer.get_by_role("heading", level=1)).to_have_text("We could not find this order")
    expect(customer.locator("a[href^='/backoffice'], a[href='/']")).to_have_count(0)
    customer.screenshot(path=str(screenshot_dir / "customer-not-found.png"))
    customer.get_by_role("link", name="Find your orders").click()
    expect(customer).to_have_url(f"{base}/o/")
