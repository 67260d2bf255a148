"""Internal comments in a real browser (issue 16, point 3), with the keyboard only: a refused
empty comment is announced and tied to its field, a comment is added and shows in the history
with its author and time, its author edits it ("edited HH:MM"), the page fits a 390 px phone
and passes axe, and the customer's page never shows it."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from site_pages import PHONE, log_in
from test_accessibility import blocking_violations

from boxoffice.accounts.models import User
from boxoffice.orders.models import Order, OrderComment, OrderStatus

pytestmark = pytest.mark.e2e

NOTE = "Called the buyer: she will collect the tickets at the door."
EDITED = "Called the buyer twice: she collects both tickets at the door, ID checked."


def test_a_comment_is_added_and_edited_with_the_keyboard(
    live_server: Any,
    new_page: Callable[..., Page],
    order_in: Callable[..., Order],
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    order = order_in(OrderStatus.PAID)
    base = live_server.url
    add_path = f"/backoffice/orders/{order.code}/comments/"
    page = new_page(expected_errors={add_path})  # the empty comment's 400 is the point
    log_in(page, base, owner, password)
    page.goto(f"{base}/backoffice/orders/{order.code}/")

    comments = page.get_by_test_id("comments")
    box = comments.get_by_label("Comment", exact=True)
    expect(box).to_have_accessible_description("For your team only: never shown to the customer.")

    # Nothing written: the refusal is announced and tied to the field.
    comments.get_by_role("button", name="Add comment").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}{add_path}")
    alert = comments.get_by_role("alert")
    expect(alert).to_contain_text("Please correct the error below.")
    box = page.get_by_test_id("comments").get_by_label("Comment", exact=True)
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(
        re.compile("Write something first: a comment cannot be empty.")
    )
    assert OrderComment.objects.count() == 0

    # Written and added from the keyboard.
    box.focus()
    page.keyboard.type(NOTE)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add comment")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/backoffice/orders/{order.code}/#comments")
    expect(page.locator(".messages, [role=status]").first).to_contain_text("Comment added.")
    entry = page.get_by_test_id("history-entry").first
    expect(entry.locator(".what")).to_have_text("Comment")
    expect(entry.locator(".when")).to_have_text(re.compile(r"\d.* · Olli Omistaja$"))
    expect(entry.get_by_test_id("comment-text")).to_have_text(NOTE)
    expect(entry.get_by_test_id("comment-edited")).to_have_count(0)
    comment = OrderComment.objects.get()
    assert (comment.text, comment.author_id) == (NOTE, owner.pk)

    # Its author opens Edit, rewrites it and saves, without a mouse.
    edit = entry.locator("details.comment-edit")
    edit.locator("summary").focus()
    page.keyboard.press("Enter")
    editor = edit.get_by_label("Your comment")
    expect(editor).to_be_visible()
    expect(editor).to_have_value(NOTE)
    editor.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(EDITED)
    page.keyboard.press("Tab")
    expect(edit.get_by_role("button", name="Save comment")).to_be_focused()
    page.screenshot(path=str(screenshot_dir / "comment-editing.png"), full_page=True)
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{base}/backoffice/orders/{order.code}/#comments")
    entry = page.get_by_test_id("history-entry").first
    expect(entry.get_by_test_id("comment-text")).to_have_text(EDITED)
    expect(entry.get_by_test_id("comment-edited")).to_have_text(re.compile(r"^edited \d\d:\d\d$"))
    expect(page.get_by_test_id("history").get_by_test_id("comment-text")).to_have_count(1)
    comment.refresh_from_db()
    assert comment.text == EDITED and comment.edited_at is not None
    assert order.history.filter(kind__startswith="comment_").count() == 2
    page.screenshot(path=str(screenshot_dir / "comment-in-history.png"), full_page=True)
    assert blocking_violations(page, "order with a comment") == []

    # On a 390 px phone: nothing scrolls sideways, the edit form open included.
    phone = new_page(viewport=PHONE)
    log_in(phone, base, owner, password)
    phone.goto(f"{base}/backoffice/orders/{order.code}/#comments")
    phone_entry = phone.get_by_test_id("history-entry").first
    phone_entry.locator("details.comment-edit summary").click()
    expect(phone_entry.get_by_label("Your comment")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 390 px phone"
    phone.screenshot(path=str(screenshot_dir / "comment-phone.png"), full_page=True)
    assert blocking_violations(phone, "order with a comment, phone") == []

    # The customer's own page knows nothing of it.
    customer = new_page()
    customer.goto(f"{base}/o/{order.code}/{order.secret}/")
    expect(customer.locator("main")).to_contain_text(order.code)
    expect(customer.locator("body")).not_to_contain_text("Called the buyer")
