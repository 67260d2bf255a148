"""An owner ticks orders on the list, chooses an action, reads the preview (what applies and
why the rest is skipped), confirms, and follows the job; the list with its boxes and the
preview fit a 390 px phone."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from site_pages import log_in

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.jobs import runner
from boxoffice.jobs.models import Job
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod

pytestmark = pytest.mark.e2e


def fits_a_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width


def test_tick_orders_preview_and_confirm(
    live_server: Any,
    new_page: Callable[..., Any],
    order_in: Callable[..., Order],
    place: Callable[..., Order],
    product: Product,
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    invoice = place(product, quantity=1, method=PaymentMethod.INVOICE)
    reserved = place(product, quantity=1, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    paid = order_in(OrderStatus.PAID)
    page = new_page()
    log_in(page, live_server.url, owner, password)
    page.goto(f"{live_server.url}/backoffice/orders/")
    page.get_by_label("Select every order on this page").check()
    page.get_by_label(f"Select order {paid.code}").uncheck()
    page.get_by_label("With the orders:").select_option("mark_paid")
    page.get_by_role("button", name="Ticked orders").click()
    expect(page.get_by_test_id("bulk-applies")).to_have_text(
        "Applies to 2 of the 2 selected orders."
    )
    page.get_by_label("Payment reference (optional)").fill("Bank batch 12")
    page.screenshot(path=screenshot_dir / "bulk-preview-desktop.png", full_page=True)
    page.get_by_test_id("bulk-confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bulk action: Mark as paid")
    assert runner.run(Job.objects.get().pk).endswith("done")  # the worker's turn
    page.reload()
    expect(page.get_by_test_id("job-state")).to_have_text("Done")
    expect(page.get_by_test_id("job-progress")).to_have_text("2 of 2")
    statuses = {Order.objects.get(pk=o.pk).status for o in (invoice, reserved)}
    assert statuses == {OrderStatus.PAID}
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.PAID  # untouched, as it was

    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server.url, owner, password)
    phone.goto(f"{live_server.url}/backoffice/orders/")
    fits_a_phone(phone)
    phone.screenshot(path=screenshot_dir / "bulk-list-phone.png", full_page=True)
    phone.get_by_label("With the orders:").select_option("cancel")
    phone.get_by_test_id("bulk-all").click()
    expect(phone.get_by_test_id("bulk-applies")).to_have_text(
        "Applies to 3 of the 3 selected orders."
    )
    fits_a_phone(phone)
    phone.screenshot(path=screenshot_dir / "bulk-preview-phone.png", full_page=True)
