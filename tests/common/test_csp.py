"""A strict Content-Security-Policy on every answer, and no page markup that it would refuse.

The browser tests (tests/e2e, whose pages fail on any CSP refusal chromium reports) show the
pages work under it; these tests pin the policy and keep inline code out of the templates.
"""

import re
from pathlib import Path

import pytest
from django.test import Client

from boxoffice.accounts.tokens import api_token_create
from boxoffice.orders.models import OrderStatus

SRC = Path(__file__).resolve().parents[2] / "src" / "boxoffice"
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def _policy(response) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {name: value for name, value in parts}


@pytest.mark.django_db
def test_every_kind_of_page_carries_the_policy(owner, order_in, organizer) -> None:
    order = order_in(OrderStatus.PAID)
    _token, value = api_token_create(organizer=organizer, role="viewer", name="t", created_by=None)
    staff = Client()
    staff.force_login(owner)
    answers = {
        "login": Client().get("/accounts/login/"),
        "order page": staff.get(f"/backoffice/orders/{order.code}/"),
        "secret link": Client().get(f"/o/{order.code}/{order.secret}/"),
        "api docs": staff.get("/api/v1/docs"),
        "api answer": Client().get(
            f"/api/v1/orders/{order.code}", headers={"Authorization": f"Bearer {value}"}
        ),
        "not found": Client().get("/no-such-page/"),
    }
    for name, response in answers.items():
        assert response.status_code in (200, 404), (name, response.status_code)
        assert _policy(response) == POLICY, name


# Emails are not pages: mail clients need inline styles, and no browser applies a CSP to them.
EMAIL_TEMPLATES = SRC / "notifications" / "templates"
REFUSED = [
    (re.compile(r"<style\b", re.I), "an inline <style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    # A <script> needs a src; data blocks (type="application/json") never run.
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I), "inline script"),
]


def _page_templates() -> list[Path]:
    templates = [p for p in SRC.rglob("templates/**/*.html") if EMAIL_TEMPLATES not in p.parents]
    assert len(templates) > 20  # the glob found the templates
    return templates


def test_no_page_template_has_inline_code() -> None:
    found = [
        f"{path.relative_to(SRC)}:{text[: m.start()].count(chr(10)) + 1}: {what}"
        for path in _page_templates()
        for pattern, what in REFUSED
        for text in [path.read_text()]
        for m in pattern.finditer(text)
    ]
    assert not found, "the CSP refuses these; move them to static files:\n" + "\n".join(found)


def test_the_scan_catches_what_it_looks_for(tmp_path) -> None:
    """The patterns above do match inline code (the test above could not otherwise fail)."""
    samples = [
        '<div style="color:red">',
        "<style>p{}</style>",
        '<input onfocus="this.select()">',
        "<script>alert(1)</script>",
        '<a href="javascript:void(0)">',
    ]
    for sample in samples:
        assert any(p.search(sample) for p, _ in REFUSED), sample
    allowed = ['<script src="/static/a.js" defer></script>', '<script type="application/json">']
    for sample in allowed:
        assert not any(p.search(sample) for p, _ in REFUSED), sample
