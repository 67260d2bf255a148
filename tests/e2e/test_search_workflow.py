"""An organizer searches the order list the way people type: without accents, words in any
order, and sees how many matched and why a row with another customer's name is there."""

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
from boxoffice.orders.services import Participant

pytestmark = pytest.mark.e2e

# Demo-like customers (demo/names.py): Finnish names with and without their accents, and one
# order whose customer is someone else but whose participant is a Räsänen.
CUSTOMERS = [
    ("elina.rasanen@example.com", "Elina Räsänen", ()),
    ("pekka.virtanen@example.com", "Pekka Virtanen", ()),
    ("m.rasanen@example.fi", "MIKKO RÄSÄNEN", ()),
    ("anna.korhonen@example.com", "Anna Korhonen", ()),
    ("jenni.virtanen@example.com", "Jenni Virtanen", (Participant(name="Aino Räsänen"),)),
    ("sari.aberg@example.com", "Sari Åberg", ()),
    ("timo.hamalainen@example.com", "Timo Hämäläinen", ()),
    ("kalle@example.org", "Kalle Rasanen", ()),
]


def seed(place: Callable[..., Order], product: Product) -> dict[str, Order]:
    return {
        name: place(product, quantity=1 + len(participants), email=email, name=name,
                    participants=participants)
        for email, name, participants in CUSTOMERS
    }  # fmt: skip


def search(page: Page, q: str) -> None:
    box = page.get_by_role("searchbox")
    box.fill(q)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q="))


def test_search_forgives_accents_case_and_word_order(
    live_server: Any,
    page: Page,
    place: Callable[..., Order],
    product: Product,
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    orders = seed(place, product)
    log_in(page, live_server.url, owner, password)
    rows = page.locator("table.orders tbody tr")

    search(page, "rasanen")
    # Elina and MIKKO RÄSÄNEN, Kalle Rasanen, and Jenni Virtanen's order for Aino Räsänen.
    expect(page.get_by_test_id("result-count")).to_have_text("4 orders")
    expect(rows).to_have_count(4)
    jenni = rows.filter(has_text=orders["Jenni Virtanen"].code)
    expect(jenni.get_by_test_id("match-label")).to_have_text("participant: Aino Räsänen")
    # The customers who matched themselves need no explanation.
    expect(page.get_by_test_id("match-label")).to_have_count(1)
    page.screenshot(path=screenshot_dir / "search-forgiving.png", full_page=True)

    search(page, "RÄSÄNEN elina")
    expect(page.get_by_test_id("result-count")).to_have_text("1 order")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(orders["Elina Räsänen"].code)

    search(page, "aberg")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("sari.aberg@example.com")
