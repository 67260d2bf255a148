"""An organizer finds an order, corrects the customer's email and cancels it, in a real browser."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.common.money import format_eur
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import (
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
    TicketState,
)
from boxoffice.payments.marking import order_mark_paid

pytestmark = pytest.mark.e2e

TARGET_EMAIL = "maija.meikalainen@example.com"
CORRECTED_EMAIL = "maija.meikalainen@example.org"
OTHER_CUSTOMERS = [
    ("pekka.virtanen@example.com", "Pekka Virtanen", PaymentMethod.PAYTRAIL, True),
    ("anna.korhonen@example.com", "Anna Korhonen", PaymentMethod.INVOICE, False),
    ("juha.nieminen@example.com", "Juha Nieminen", PaymentMethod.PAYTRAIL, False),
    ("liisa.makinen@example.com", "Liisa Mäkinen", PaymentMethod.EPASSI, True),
    ("timo.hamalainen@example.com", "Timo Hämäläinen", PaymentMethod.SMARTUM, True),
    ("sanna.laine@example.com", "Sanna Laine", PaymentMethod.PAYTRAIL, True),
    ("mikko.koskinen@example.com", "Mikko Koskinen", PaymentMethod.INVOICE, False),
]


def _seed_orders(
    place: Callable[..., Order], product: Product, owner: User, *, others: int
) -> Order:
    """Orders of several customers; the target (3 tickets, paid) sits in the middle."""
    actor = Actor.for_user(owner)
    target: Order | None = None
    for i, (email, name, method, paid) in enumerate(OTHER_CUSTOMERS[:others]):
        if i == others // 2:
            target = place(product, quantity=3, email=TARGET_EMAIL, name="Maija Meikäläinen")
            order_mark_paid(order=target, actor=actor, reference="PT-TARGET")
        order = place(product, quantity=1 + i % 3, method=method, email=email, name=name)
        if paid:
            order = order_mark_paid(order=order, actor=actor, reference=f"PT-{i}")
    assert target is not None
    target.refresh_from_db()
    return target


def _log_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/backoffice/orders/")
    # Anonymous: the back office sends people to the login page and back afterwards.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/backoffice/orders/$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base_url}/backoffice/orders/")


def _fact(page: Page, label: str) -> Any:
    """The value (<dd>) next to one exact label (<dt>) in the order details."""
    dt = page.locator("dt").filter(has_text=re.compile(rf"^{re.escape(label)}$"))
    return page.locator("#details-h + dl.facts > div").filter(has=dt).locator("dd")


def test_organizer_finds_corrects_and_cancels_an_order(
    live_server: Any,
    page: Page,
    place: Callable[..., Order],
    product: Product,
    owner: User,
    password: str,
    screenshot_dir: Path,
) -> None:
    target = _seed_orders(place, product, owner, others=7)
    assert Order.objects.count() == 8
    base = live_server.url

    _log_in(page, base, owner.email, password)

    # The stylesheet is served by the live server (WhiteNoise / staticfiles finders).
    expect(page.locator("header.topbar")).to_have_css("background-color", "rgb(24, 32, 47)")
    expect(page).to_have_title(re.compile(r"^Orders · "))
    expect(page.get_by_test_id("result-count")).to_have_text("8 orders")
    rows = page.locator("table.orders tbody tr")
    expect(rows).to_have_count(8)
    page.screenshot(path=screenshot_dir / "order-list.png", full_page=True)

    # Search with part of the email.
    search = page.get_by_role("searchbox")
    search.fill("meikalainen@exa")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=meikalainen%40exa"))
    expect(page.get_by_test_id("result-count")).to_have_text("1 order")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(TARGET_EMAIL)
    expect(rows.first).to_contain_text(target.code)
    expect(search).to_have_value("meikalainen@exa")

    # A click anywhere on the row (here the date cell, not the code link) opens the order.
    rows.first.locator("td").nth(1).click()
    detail_url = f"{base}/backoffice/orders/{target.code}/"
    expect(page).to_have_url(detail_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {target.code}")
    status = page.get_by_test_id("order-status")
    expect(status).to_have_text("Paid")
    expect(_fact(page, "Order code")).to_have_text(target.code)
    expect(_fact(page, "Customer email")).to_have_text(TARGET_EMAIL)
    expect(_fact(page, "Status")).to_have_text("Paid")
    expect(_fact(page, "Total price")).to_have_text(format_eur(target.total, "en"))
    expect(_fact(page, "Number of products")).to_have_text("3")
    expect(_fact(page, "Funds manager")).to_have_text(settings.PLATFORM_NAME)
    expect(page.locator("#products-h ~ .table-wrap tbody tr")).to_have_count(3)
    page.screenshot(path=screenshot_dir / "order-detail.png", full_page=True)

    # Correct the customer's email.
    customer = page.locator("section", has=page.locator("#customer-h"))
    email_input = customer.get_by_label("Email", exact=True)
    expect(email_input).to_have_value(TARGET_EMAIL)
    email_input.fill(CORRECTED_EMAIL)
    customer.get_by_role("button", name="Save customer information").click()
    expect(page).to_have_url(detail_url)
    expect(page.locator(".messages")).to_have_text("Customer information saved.")
    expect(_fact(page, "Customer email")).to_have_text(CORRECTED_EMAIL)
    expect(email_input).to_have_value(CORRECTED_EMAIL)

    # Cancel: the confirmation page says what will happen before anything does.
    page.get_by_role("link", name="Cancel order").click()
    expect(page).to_have_url(f"{base}/backoffice/orders/{target.code}/cancel/")
    confirm = page.locator(".card.confirm")
    expect(confirm.get_by_role("heading", level=1)).to_have_text(f"Cancel order {target.code}?")
    expect(confirm).to_contain_text("3 tickets will be voided and cannot be used at the event.")
    expect(confirm).to_contain_text(CORRECTED_EMAIL)
    target.refresh_from_db()
    assert target.status == OrderStatus.PAID  # opening the confirmation changed nothing
    # The money: refund now is preselected; this organizer returns it another way.
    expect(confirm.get_by_role("radio", name=re.compile("^Refund"))).to_be_checked()
    confirm.get_by_role("radio", name=re.compile("^Cancel without a refund")).check()
    page.screenshot(path=screenshot_dir / "order-cancel-confirm.png", full_page=True)
    confirm.get_by_role("button", name="Cancel order").click()

    expect(page).to_have_url(detail_url)
    expect(status).to_have_text("Cancelled")
    expect(status).to_have_class(re.compile(r"\bbadge-cancelled\b"))
    expect(page.locator(".messages")).to_have_text(
        f"Order {target.code} is cancelled and its tickets are void. €147.00 has not been "
        "refunded: use Refund order or Mark as refunded when the money goes back."
    )
    expect(page.get_by_role("link", name="Cancel order")).to_have_count(0)
    ticket_badges = page.locator("#products-h ~ .table-wrap tbody .badge")
    expect(ticket_badges).to_have_text(["Void", "Void", "Void"])

    history = page.get_by_test_id("history").locator("> li")
    changed = history.filter(has_text="Customer information changed")
    expect(changed).to_have_count(1)
    expect(changed.locator("del")).to_have_text(TARGET_EMAIL)
    expect(changed.locator("ins")).to_have_text(CORRECTED_EMAIL)
    cancelled = history.filter(has_text="Order cancelled")
    expect(cancelled).to_have_count(1)
    expect(cancelled).to_contain_text("Paid → Cancelled")
    # Newest first: the cancellation, and folded beneath it the customer's notice.
    expect(history.first.locator("summary .what")).to_have_text("Order cancelled")
    notice = history.first.locator("li.step").filter(has_text="Cancellation notice")
    expect(notice).to_contain_text(CORRECTED_EMAIL)
    page.screenshot(path=screenshot_dir / "order-cancelled.png", full_page=True)

    # The database agrees with what the page shows.
    target.refresh_from_db()
    assert target.status == OrderStatus.CANCELLED
    assert target.customer_email == CORRECTED_EMAIL
    assert target.cancelled_at is not None
    assert [t.state for t in target.tickets.all()] == [TicketState.VOID] * 3
    events = list(OrderEvent.objects.filter(order=target).order_by("id"))
    assert [e.kind for e in events] == [
        OrderEventKind.PLACED,
        OrderEventKind.PAID,
        OrderEventKind.EMAIL_QUEUED,  # the confirmation, to the address then on file
        OrderEventKind.CUSTOMER_UPDATED,
        OrderEventKind.CANCELLED,
        OrderEventKind.EMAIL_QUEUED,  # the cancellation notice, to the corrected address
    ]
    confirmation, cancellation = target.emails.order_by("pk")
    assert events[2].data == {
        "email_kind": "confirmation",
        "to": TARGET_EMAIL,
        "message": confirmation.pk,
    }
    assert events[3].data["changes"]["customer_email"] == [TARGET_EMAIL, CORRECTED_EMAIL]
    assert events[4].data["voided_tickets"] == 3
    assert events[5].data == {
        "email_kind": "cancellation",
        "to": CORRECTED_EMAIL,
        "message": cancellation.pk,
    }
    assert {e.actor_user_id for e in events[1:]} == {owner.pk}
    # The other customers' orders were not touched.
    assert not Order.objects.exclude(pk=target.pk).filter(status=OrderStatus.CANCELLED).exists()


def test_language_switch_and_no_javascript(
    live_server: Any,
    new_page: Callable[..., Page],
    place: Callable[..., Order],
    product: Product,
    owner: User,
    password: str,
) -> None:
    target = _seed_orders(place, product, owner, others=2)
    base = live_server.url
    page = new_page(java_script_enabled=False)

    _log_in(page, base, owner.email, password)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    row = page.locator("table.orders tbody tr").filter(has_text=TARGET_EMAIL)
    # Without JavaScript the row is not clickable, but the order code is a real link.
    row.get_by_role("link", name=target.code).click()
    detail_url = f"{base}/backoffice/orders/{target.code}/"
    expect(page).to_have_url(detail_url)

    # The language switch is a plain form: it works without JavaScript and comes back here.
    fi = page.locator("form.lang-switch button[value='fi']")
    expect(fi).to_have_text("FI")
    fi.click()
    expect(page).to_have_url(detail_url)
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(fi).to_have_attribute("aria-current", "true")
    expect(page.get_by_test_id("order-status")).to_have_class(re.compile(r"\bbadge-paid\b"))

    # Cancel through the confirmation page. Selectors avoid texts, which are now Finnish.
    page.locator(f"a[href='/backoffice/orders/{target.code}/cancel/']").click()
    expect(page).to_have_url(f"{base}/backoffice/orders/{target.code}/cancel/")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    page.locator("textarea[name='reason']").fill("Asiakas perui puhelimitse")
    page.locator("input[name='money'][value='keep']").check()
    page.locator(".card.confirm form button[type='submit']").click()

    expect(page).to_have_url(detail_url)
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_test_id("order-status")).to_have_class(re.compile(r"\bbadge-cancelled\b"))
    expect(page.locator(".messages .msg-warning")).to_have_count(1)
    expect(page.locator(f"a[href='/backoffice/orders/{target.code}/cancel/']")).to_have_count(0)

    target.refresh_from_db()
    assert target.status == OrderStatus.CANCELLED
    assert set(target.tickets.values_list("state", flat=True)) == {TicketState.VOID}
    cancelled = OrderEvent.objects.get(order=target, kind=OrderEventKind.CANCELLED)
    assert cancelled.data["reason"] == "Asiakas perui puhelimitse"
    assert cancelled.actor_user_id == owner.pk
