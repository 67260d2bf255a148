"""Each reader in their own language, in a real browser.

A Swedish customer (browser in Swedish, as people in Finland's Swedish-speaking areas have it)
reads their order page in Swedish and can see Swedish is the chosen language. An English
organizer reads why a Paytrail refund failed in English, although the worker and Paytrail's
callback ran in the site's default language, Finnish (the reason is stored as a code).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect
from site_pages import log_in

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.links import customer_link
from boxoffice.orders.models import Order, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import RefundState
from boxoffice.payments.services import refund_request
from boxoffice.paytrail_sandbox import testing as sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"


def test_a_swedish_customer_reads_their_order_in_swedish(
    site: str,
    new_page: Callable[..., Page],
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    screenshot_dir: Path,
) -> None:
    order = place(product, quantity=2, method=PaymentMethod.INVOICE, language="sv")
    order = order_mark_paid(order=order, actor=actor, reference="BANK-7")
    link = customer_link(order)  # on the live server (SITE_URL)

    page = new_page(locale="sv-FI")
    page.goto(link)

    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_test_id("status-text")).to_have_text(
        "Betald. Dina biljetter är klara: visa dem vid ingången på papper eller i telefonen."
    )
    expect(page.get_by_test_id("download-tickets")).to_have_text("Ladda ner biljetterna (PDF)")
    expect(page.get_by_role("heading", name="Biljetter")).to_be_visible()
    total = f"{order.total:.2f}".replace(".", ",") + f"{NBSP}€"
    expect(page.get_by_text(total).first).to_be_visible()
    # The switcher offers Swedish beside Finnish and English, and marks it as the current one.
    switcher = page.locator(".lang-switch button")
    expect(switcher).to_have_text(["FI", "SV", "EN"])
    expect(page.locator('.lang-switch button[aria-current="true"]')).to_have_text("SV")
    page.screenshot(path=str(screenshot_dir / "language-sv-customer.png"), full_page=True)


def test_an_english_organizer_reads_a_failed_refunds_reason_in_english(
    site: str,
    settings: Any,
    new_page: Callable[..., Page],
    place: Callable[..., Order],
    product: Product,
    owner: User,
    password: str,
    run_tasks: Callable[[], None],
    screenshot_dir: Path,
    wait_until_settled: Callable[..., None],
) -> None:
    # As deployed: the worker and Paytrail's callbacks have no reader, so Finnish is active.
    settings.LANGUAGE_CODE = "fi"
    actor = Actor.for_user(owner)
    order = order_mark_paid(order=place(product, quantity=2), actor=actor, reference="PT-1")
    order = order_cancel(order=order, actor=actor)
    refund = refund_request(order=order, actor=actor)
    sandbox.set_switches(refund_outcome="fail", refund_outcome_times=1)
    _register_payment(order)
    with translation.override("fi"):
        run_tasks()
    wait_until_settled(refund)
    refund.refresh_from_db()
    assert (refund.state, refund.failure_reason) == (RefundState.FAILED, "refund_failed")

    page = new_page()  # an English browser
    log_in(page, site, owner, password)
    page.goto(f"{site}/backoffice/orders/{order.code}/")

    expect(page.get_by_test_id("attention-message")).to_have_text(
        "The refund of €98.00 failed: Paytrail could not make the refund. Refund the order "
        "again, or mark it as refunded once the money is back."
    )
    # The refund's row under Payments and refunds says it too.
    expect(page.locator(".error-text")).to_have_text(["Paytrail could not make the refund."])
    expect(page.get_by_text("Paytrail ei pystynyt")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "language-en-refund-reason.png"), full_page=True)

    # The same order for a Swedish-speaking colleague: the same reason, in Swedish.
    page.locator('.lang-switch button[value="sv"]').click()
    expect(page.get_by_test_id("attention-message")).to_contain_text(
        f"Återbetalningen på 98,00{NBSP}€ misslyckades: Paytrail kunde inte göra återbetalningen."
    )
    expect(page.locator(".error-text")).to_have_text(["Paytrail kunde inte göra återbetalningen."])


def _register_payment(order: Order) -> None:
    """The payment exists at the sandbox, as the demo registers its paid orders."""
    from boxoffice.demo.sandbox import mirror_paytrail_payments

    assert mirror_paytrail_payments([order]) == 1
