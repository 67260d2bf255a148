"""Issue 15, point 5: at 390 x 844 no back-office or customer page scrolls sideways, and the
back office's navigation folds behind a Menu button that keeps "Log out" inside the header."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
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
from boxoffice.orders.models import Order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The header folded: the brand and the Menu button on one row.
FOLDED_HEADER_MAX_HEIGHT = 64


def document_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def box_of(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


def assert_fits(page: Page, site_page: SitePage, screenshot_dir: Path) -> None:
    page.screenshot(path=str(screenshot_dir / f"phone-{site_page.name}.png"), full_page=True)
    width = document_width(page)
    assert width <= PHONE["width"], f"{site_page.name} is {width} px wide at 390 px"


def assert_menu_folds_and_holds_log_out(page: Page, site_page: SitePage) -> None:
    header = box_of(page, "header.topbar")
    assert header["height"] <= FOLDED_HEADER_MAX_HEIGHT, (site_page.name, header)
    log_out = page.get_by_role("button", name="Log out")
    expect(log_out).to_be_hidden()
    toggle = page.get_by_role("button", name="Menu")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(log_out).to_be_visible()
    header, button = box_of(page, "header.topbar"), box_of(page, "[data-testid=log-out]")
    assert (
        header["x"] <= button["x"]
        and button["x"] + button["width"] <= header["x"] + header["width"]
    ), (site_page.name, header, button)
    assert (
        header["y"] <= button["y"]
        and button["y"] + button["height"] <= header["y"] + header["height"]
    ), (site_page.name, header, button)
    assert document_width(page) <= PHONE["width"], f"{site_page.name}: the open menu is too wide"
    toggle.click()
    expect(log_out).to_be_hidden()


def test_no_page_scrolls_sideways_on_a_phone(
    live_server: Any,
    new_page: Callable[..., Page],
    order_in: Callable[..., Order],
    place: Callable[..., Order],
    product: Product,
    owner: User,
    staff_user: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    orders = seed(order_in, place, product, owner)
    base = live_server.url
    staff_pages = [p for p in back_office_pages(orders) if p.who == "staff"]
    owner_pages = [p for p in back_office_pages(orders) if p.who == "owner"]
    customer = customer_pages(orders)
    expected_errors = {p.path for p in customer if p.status >= 400}
    visited: list[str] = []

    for user, pages in ((owner, owner_pages), (staff_user, staff_pages)):
        page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
        log_in(page, base, user, password)
        for site_page in pages:
            open_page(page, base, site_page)
            assert_fits(page, site_page, screenshot_dir)
            assert_menu_folds_and_holds_log_out(page, site_page)
            visited.append(site_page.name)

    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, expected_errors=expected_errors)
    for site_page in customer:
        open_page(page, base, site_page)
        assert_fits(page, site_page, screenshot_dir)
        visited.append(site_page.name)

    assert len(visited) == 23, visited


def test_without_script_the_menu_stays_open_inside_the_header(
    live_server: Any,
    new_page: Callable[..., Page],
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    """No JavaScript, no Menu button: every link is on the page, and none pushes it wider."""
    page = new_page(viewport=PHONE, java_script_enabled=False)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("link", name="Check-in")).to_be_visible()
    header, button = box_of(page, "header.topbar"), box_of(page, "[data-testid=log-out]")
    assert button["y"] + button["height"] <= header["y"] + header["height"], (header, button)
    assert document_width(page) <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "phone-menu-without-script.png"), full_page=True)
