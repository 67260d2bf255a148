"""The back office's header is kept per look (backoffice_nav.backoffice_topbar): what differs
per request (the CSRF token, the language switch's return path) is put in afresh."""

import pytest
from django.test import Client

from boxoffice.backoffice.templatetags import backoffice_nav

from .pages import parse


@pytest.fixture(autouse=True)
def empty():
    backoffice_nav._headers.clear()


def header(response):
    return parse(response).find("header", class_="topbar")


def test_the_return_path_is_each_pages_own(owner_client):
    for query in ("?q=a%26b&status=paid", "?page=2"):
        response = owner_client.get(f"/backoffice/orders/{query}")
        lang = header(response).find("form", class_="lang-switch")
        assert lang.find("input", name="next").get("value") == f"/backoffice/orders/{query}"
    assert len(backoffice_nav._headers) == 1  # one look, kept once


def test_the_kept_header_posts_with_a_valid_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for _ in range(2):  # the second page gets the kept header
        page = client.get("/backoffice/orders/")
        form = header(page).find("form", action="/accounts/logout/")
        token = form.find("input", name="csrfmiddlewaretoken").get("value")
        assert token and "\x00" not in page.content.decode()
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_highlighted_entry_and_the_person_follow_the_page(owner_client, login, make_user):
    orders = header(owner_client.get("/backoffice/orders/"))
    returns = header(owner_client.get("/backoffice/orders/?status=return_requested"))
    assert orders.find("a", aria_current="page").text() == "Orders"
    assert returns.find("a", aria_current="page").text() == "Return requests"
    other = login(make_user("someone@example.com"))
    assert "someone@example.com" in header(other.get("/backoffice/orders/")).text()
    assert "someone@example.com" not in header(owner_client.get("/backoffice/orders/")).text()


def test_the_language_is_part_of_the_look(owner_client):
    owner_client.cookies["django_language"] = "fi"
    assert "Kirjaudu ulos" in header(owner_client.get("/backoffice/orders/")).text()
    owner_client.cookies["django_language"] = "sv"
    assert "Logga ut" in header(owner_client.get("/backoffice/orders/")).text()
