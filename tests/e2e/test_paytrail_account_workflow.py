"""An owner on a phone sets up the organizer's own Paytrail account: a typo first, then right."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from boxoffice.accounts.models import Organizer, User

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_owner_enters_the_merchant_account_on_a_phone(
    site: str,
    new_page: Any,
    owner: User,
    organizer: Organizer,
    make_event: Any,
    password: str,
    screenshot_dir: Path,
) -> None:
    make_event(organizer, default_funds_manager="organizer")
    organizer.paytrail_merchant_id = organizer.paytrail_secret = ""
    organizer.save()
    page: Page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("button", name="Menu").click()  # a phone folds the header's links
    page.get_by_role("link", name="Payment account").click()
    expect(page.get_by_test_id("no-account")).to_contain_text(
        "1 event takes its money into this account and cannot take online payments"
    )
    page.get_by_label("Merchant ID").fill("375917")
    page.get_by_label("Secret key").fill("SAIPPUAKAUPPIAZ")  # one letter wrong
    page.get_by_role("button", name="Check with Paytrail and save").click()
    expect(page.locator(".errorlist")).to_contain_text(
        "Paytrail did not accept this merchant ID and secret key."
    )
    assert page.get_by_label("Secret key").input_value() == ""  # never sent back
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshot_dir / "paytrail-account-refused-phone.png", full_page=True)
    organizer.refresh_from_db()
    assert organizer.paytrail_secret == ""

    page.get_by_label("Secret key").fill("SAIPPUAKAUPPIAS")
    page.get_by_role("button", name="Check with Paytrail and save").click()
    expect(page.get_by_text("Paytrail accepted the credentials")).to_be_visible()
    expect(page.get_by_test_id("masked-secret")).to_have_text("••••••••PIAS")
    expect(page.get_by_test_id("merchant-id")).to_have_text("375917")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshot_dir / "paytrail-account-saved-phone.png", full_page=True)
    organizer.refresh_from_db()
    assert (organizer.paytrail_merchant_id, organizer.paytrail_secret) == (
        "375917",
        "SAIPPUAKAUPPIAS",
    )
