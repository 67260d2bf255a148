"""An owner cancels an event from the Events page: reads the preview, confirms by typing the
name, and follows the job to its end; the pages fit a 390 px phone."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from site_pages import log_in

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Event
from boxoffice.jobs import runner
from boxoffice.jobs.models import Job
from boxoffice.orders.models import Order, OrderStatus

pytestmark = pytest.mark.e2e


def fits_a_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width


def test_cancel_an_event_and_follow_the_job(
    live_server: Any,
    new_page: Callable[..., Any],
    order_in: Callable[..., Order],
    event: Event,
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    orders = [order_in(OrderStatus.RESERVED), order_in(OrderStatus.INVOICING)]
    # The wrong name is answered 400 with the form's error: the point of that step.
    page = new_page(expected_errors=[f"/backoffice/events/{event.pk}/cancel/"])
    log_in(page, live_server.url, owner, password)
    page.get_by_role("link", name="Events").click()
    page.get_by_role("link", name="Cancel event").click()
    expect(page.get_by_test_id("cancel-preview")).to_contain_text("Orders to cancel")
    page.get_by_label("Type the event's name to confirm").fill("Wrong name")
    page.get_by_role("button", name="Cancel the event and its orders").click()
    expect(page.locator(".error-text, .errorlist").first).to_contain_text("Type the event's name")
    page.screenshot(path=screenshot_dir / "event-cancel-desktop.png", full_page=True)

    page.get_by_label("Type the event's name to confirm").fill(event.name)
    page.get_by_label("Message to customers in Finnish").fill("Tapahtuma on peruttu.")
    page.get_by_role("button", name="Cancel the event and its orders").click()
    expect(page.get_by_test_id("job-state")).to_have_text("Queued")
    assert runner.run(Job.objects.get().pk).endswith("done")  # the worker's turn
    page.reload()
    expect(page.get_by_test_id("job-state")).to_have_text("Done")
    expect(page.get_by_test_id("job-progress")).to_have_text("2 of 2")
    page.screenshot(path=screenshot_dir / "event-cancel-job-desktop.png", full_page=True)
    assert {Order.objects.get(pk=o.pk).status for o in orders} == {OrderStatus.CANCELLED}

    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server.url, owner, password)
    phone.goto(f"{live_server.url}/backoffice/jobs/{Job.objects.get().pk}/")
    fits_a_phone(phone)
    phone.screenshot(path=screenshot_dir / "event-cancel-job-phone.png", full_page=True)
    phone.goto(f"{live_server.url}/backoffice/events/")
    fits_a_phone(phone)
    phone.screenshot(path=screenshot_dir / "events-phone.png", full_page=True)
