"""A manager sets up two-step verification on a phone, then logs in with a code."""

import re
from base64 import b32decode
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from boxoffice.accounts.models import User

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _code(key: str, drift: int = 0) -> str:
    """What an authenticator app shows for the key typed in by hand."""
    secret = key.replace(" ", "")
    return f"{totp(b32decode(secret + '=' * (-len(secret) % 8)), drift=drift):06d}"


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_enrol_on_a_phone_then_log_in_with_a_code(
    live_server: Any, new_page: Any, owner: User, password: str, screenshot_dir: Path
) -> None:
    base = live_server.url
    page: Page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/backoffice/orders/")

    page.get_by_role("button", name="Menu").click()  # a phone folds the header's links
    page.get_by_role("link", name="Two-step verification").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    _fits(page)
    page.screenshot(path=screenshot_dir / "second-factor-setup-phone.png", full_page=True)
    key = page.get_by_test_id("otp-key").inner_text()
    page.get_by_label("Code").fill(_code(key))
    page.get_by_role("button", name="Turn on").click()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    _fits(page)
    page.screenshot(path=screenshot_dir / "second-factor-codes-phone.png", full_page=True)
    page.get_by_role("link", name="Done").click()
    expect(page).to_have_url(f"{base}/backoffice/orders/")

    page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{base}/backoffice/orders/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/\?next=%2Fbackoffice%2Forders%2F$"))
    _fits(page)
    page.get_by_label("Code").fill(_code(key, 1))  # the next step's code: this one was used
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/backoffice/orders/")
