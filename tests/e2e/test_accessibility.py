"""Issue 15, point 10: the customer pages, the payment return and the back office pass axe-core's
WCAG 2.1 AA rules with no serious or critical violation; keyboard users see their focus and can
act without a mouse; form errors are announced and tied to their fields.

axe-core comes bundled in axe-playwright-python (no network at run time).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from site_pages import (
    PHONE,
    SitePage,
    back_office_pages,
    customer_pages,
    log_in,
    open_page,
    seed,
)

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}
# Checked at phone size too: the folded header and the narrow layouts.
ALSO_ON_A_PHONE = {"order-list", "order-detail-paid", "cancel", "customer-order", "checkin-event"}


def blocking_violations(page: Page, where: str) -> list[str]:
    """Each serious or critical violation as 'page: rule (impact) target: help'."""
    results = Axe().run(page, options=AXE_OPTIONS).response
    return [
        f"{where}: {v['id']} ({v['impact']}) {', '.join(map(str, node['target']))}: {v['help']}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def test_every_page_passes_axe_wcag21_aa(
    live_server: Any,
    new_page: Callable[..., Page],
    order_in: Callable[..., Order],
    place: Callable[..., Order],
    product: Product,
    owner: User,
    staff_user: User,
    password: str,
) -> None:
    orders = seed(order_in, place, product, owner)
    base = live_server.url
    customer = customer_pages(orders)
    expected_errors = {p.path for p in customer if p.status >= 400}
    found: list[str] = []
    checked: list[str] = []

    def check(page: Page, pages: list[SitePage], phone: bool) -> None:
        for site_page in pages:
            if phone and site_page.name not in ALSO_ON_A_PHONE:
                continue
            open_page(page, base, site_page)
            where = f"{site_page.name}{' (phone)' if phone else ''}"
            found.extend(blocking_violations(page, where))
            checked.append(where)

    for phone in (False, True):
        size: dict[str, Any] = {"viewport": PHONE, "is_mobile": True} if phone else {}
        for user, who in ((owner, "owner"), (staff_user, "staff")):
            page = new_page(**size)
            log_in(page, base, user, password)
            check(page, [p for p in back_office_pages(orders) if p.who == who], phone)
        check(new_page(expected_errors=expected_errors, **size), customer, phone)
        # The login page is where everyone starts.
        login = new_page(**size)
        login.goto(f"{base}/accounts/login/")
        found.extend(blocking_violations(login, "login"))

    assert len(checked) == 23 + len(ALSO_ON_A_PHONE), checked
    assert not found, "axe-core (WCAG 2.1 AA) found:\n" + "\n".join(found)


def focus_is_visible(page: Page) -> bool:
    """The focused element draws an outline or a ring (computed style, not just :focus)."""
    return bool(
        page.evaluate(
            """() => {
              const style = getComputedStyle(document.activeElement);
              const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
              return outline || style.boxShadow !== "none";
            }"""
        )
    )


def tab_to(page: Page, name: str, limit: int = 80) -> None:
    """Press Tab until the focus is on the link or button called ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate("document.activeElement.textContent.trim()")
        if text == name:
            return
    raise AssertionError(f"{name!r} cannot be reached with Tab")


def test_keyboard_alone_resends_the_tickets_with_the_focus_in_sight(
    live_server: Any,
    new_page: Callable[..., Page],
    order_in: Callable[..., Order],
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    order = order_in(OrderStatus.PAID)
    emails_before = EmailMessage.objects.filter(order=order).count()
    base = live_server.url
    page = new_page()
    log_in(page, base, owner, password)
    page.goto(f"{base}/backoffice/orders/{order.code}/")

    # The first Tab offers the skip link, which takes the focus past the header.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_to(page, "Resend tickets")
    assert focus_is_visible(page)
    page.screenshot(path=str(screenshot_dir / "keyboard-focus-resend.png"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/backoffice/orders/{order.code}/resend/")
    tab_to(page, "Resend tickets")  # the confirmation page's submit button
    assert focus_is_visible(page)
    page.keyboard.press("Enter")

    expect(page.locator(".messages")).to_be_visible()
    expect(page).to_have_url(f"{base}/backoffice/orders/{order.code}/")
    assert EmailMessage.objects.filter(order=order).count() == emails_before + 1
    assert order.history.latest("pk").kind == OrderEventKind.EMAIL_QUEUED


def test_a_wrong_participant_email_is_announced_and_tied_to_its_field(
    live_server: Any,
    new_page: Callable[..., Page],
    order_in: Callable[..., Order],
    screenshot_dir: Path,
) -> None:
    order = order_in(OrderStatus.PAID)
    ticket = order.tickets.order_by("pk").first()
    assert ticket is not None
    path = f"/o/{order.code}/{order.secret}/tickets/{ticket.pk}/"
    # The refused form comes back as a 400, as it should.
    page = new_page(viewport=PHONE, is_mobile=True, expected_errors={path})
    page.goto(live_server.url + path)
    email = page.get_by_label("Email")
    email.fill("not-an-address")
    page.get_by_role("button", name="Save").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please correct the error below.")
    expect(email).to_have_attribute("aria-invalid", "true")
    described_by = email.get_attribute("aria-describedby")
    assert described_by
    texts = [page.locator(f"#{ref}").inner_text() for ref in described_by.split()]
    assert "Enter a valid email address." in texts, texts
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "phone-participant-error.png"), full_page=True)
    ticket.refresh_from_db()
    assert ticket.participant_email == ""  # nothing saved
