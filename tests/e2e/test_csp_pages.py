"""Pages that no workflow test walks through still work under the CSP.

The page fixture fails a test on any refusal chromium reports, so opening a page is the check;
the assertions say it rendered what its script or stylesheet draws.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from boxoffice.accounts.models import User
from boxoffice.orders.models import Order, OrderStatus

pytestmark = pytest.mark.e2e


def _log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/backoffice/"))


def test_api_docs_and_order_page_scripts_run_under_the_policy(
    live_server: Any,
    page: Page,
    owner: User,
    password: str,
    order_in: Callable[..., Order],
) -> None:
    order = order_in(OrderStatus.PAID)
    base = live_server.url
    _log_in(page, base, owner.email, password)

    # The order page: the payment link selects itself on focus (app.js, no inline handler).
    page.goto(f"{base}/backoffice/orders/{order.code}/")
    link = page.locator("#payment-url")
    link.focus()
    assert page.evaluate("document.activeElement.selectionEnd") == len(link.input_value())

    # The Swagger UI draws the operations from the schema with its own static script.
    page.goto(f"{base}/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)

    # A confirmation page lays out from the stylesheet: .narrow, not a style attribute.
    page.goto(f"{base}/backoffice/orders/{order.code}/cancel/")
    rem = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    card = page.locator(".card.confirm.narrow")
    expect(card).to_have_css("max-width", f"{46 * rem:g}px")
