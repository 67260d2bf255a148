"""An organizer exports a list too big to download at once: the Exports page follows the job,
and once the worker is done the file downloads from there, on a desktop and on a phone."""

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from site_pages import log_in

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.exports import services
from boxoffice.jobs import runner
from boxoffice.jobs.models import Job
from boxoffice.orders.models import Order

pytestmark = pytest.mark.e2e


def test_a_large_export_is_followed_and_downloaded(
    live_server: Any,
    page: Page,
    new_page: Callable[..., Any],
    place: Callable[..., Order],
    product: Product,
    owner: User,
    password: str,
    screenshot_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "DOWNLOAD_LIMIT", 2)
    orders = [place(product, quantity=1, name=f"Customer {n}") for n in range(3)]
    log_in(page, live_server.url, owner, password)
    page.locator("[data-testid=export-links]").get_by_role("link", name="CSV").first.click()

    expect(page).to_have_url(f"{live_server.url}/backoffice/exports/")
    expect(page.locator(".msg")).to_contain_text("prepared in the background")
    row = page.locator("table.data tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Queued")
    page.screenshot(path=screenshot_dir / "exports-queued-desktop.png", full_page=True)

    assert runner.run(Job.objects.get().pk) == "done"  # the worker's turn
    page.reload()
    expect(row).to_contain_text("Ready")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    codes = [r[0] for r in csv.reader(io.StringIO(body))][1:]
    assert codes == [o.code for o in orders]
    page.screenshot(path=screenshot_dir / "exports-ready-desktop.png", full_page=True)

    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server.url, owner, password)
    phone.goto(f"{live_server.url}/backoffice/exports/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    phone.screenshot(path=screenshot_dir / "exports-phone.png", full_page=True)
