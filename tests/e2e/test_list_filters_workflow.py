"""An organizer narrows the order list with "More filters", sorts it, saves the view under a
name and comes back to it through the saved link, on a desktop and on a 390 px phone."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from site_pages import log_in

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.orders.models import Order

pytestmark = pytest.mark.e2e


def test_filter_sort_save_and_reopen(
    live_server: Any,
    page: Page,
    new_page: Callable[..., Any],
    place: Callable[..., Order],
    product: Product,
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    swedish = place(product, quantity=3, email="sven@example.se", name="Sven Åberg", language="sv")
    finnish = place(product, quantity=1, email="aino@example.fi", name="Aino Virtanen")
    log_in(page, live_server.url, owner, password)
    rows = page.locator("table.orders tbody tr")
    expect(rows).to_have_count(2)

    page.get_by_text("More filters").click()
    page.get_by_label("Customer language").select_option("sv")
    page.get_by_label("Sort").select_option("-total")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"language=sv"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(swedish.code)
    expect(page.locator("details.more-filters")).to_have_attribute("open", "")
    page.screenshot(path=screenshot_dir / "list-filters-desktop.png", full_page=True)

    page.get_by_label("Save these filters as").fill("Swedish customers")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".msg")).to_have_text("Filter saved.")

    page.goto(f"{live_server.url}/backoffice/orders/")
    expect(rows).to_have_count(2)
    page.get_by_role("link", name="Swedish customers").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(swedish.code)
    assert finnish.code not in page.locator("table.orders").inner_text()

    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server.url, owner, password)
    phone.goto(f"{live_server.url}/backoffice/orders/?language=sv&sort=-total")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    phone.screenshot(path=screenshot_dir / "list-filters-phone.png", full_page=True)
