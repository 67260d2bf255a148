"""Logging in with email and password, and the back office being closed to anonymous visitors."""

from urllib.parse import quote

import pytest
from django.test import Client

from boxoffice.backoffice.urls import urlpatterns
from boxoffice.orders.models import OrderStatus

from .pages import page_text, parse
from .routes import (
    DOOR_LIST_URLS,
    EVENT_JOB_URLS,
    EVENT_URLS,
    LIST_URLS,
    MESSAGE_URLS,
    ORDER_URLS,
    OWNER_URLS,
    POST_DATA,
    STAFF_URLS,
    TOKEN_URLS,
    USER_URLS,
    ids,
    order_url,
)

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"


def login_error(response) -> str:
    return parse(response).find("ul", class_="errorlist").text()


def test_login_page_asks_for_email_and_password(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    form = parse(response).find("main").find("form")
    assert form.find("input", name="username").get("type") == "email"
    assert form.find("input", name="password").get("type") == "password"


def test_login_with_email_and_password_opens_the_order_list(client, owner, password):
    response = client.post(LOGIN, {"username": "owner@example.com", "password": password})

    assert response.status_code == 302
    assert response["Location"] == "/backoffice/orders/"
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert client.get("/backoffice/orders/").status_code == 200


@pytest.mark.parametrize("typed", ["OWNER@example.com", "Owner@Example.Com", " owner@EXAMPLE.com "])
def test_login_email_is_case_insensitive(client, owner, typed, password):
    response = client.post(LOGIN, {"username": typed, "password": password})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_wrong_password_shows_an_error_and_starts_no_session(client, owner):
    response = client.post(LOGIN, {"username": "owner@example.com", "password": "wrong"})

    assert response.status_code == 200
    assert login_error(response).startswith("Email or password is wrong.")
    assert "_auth_user_id" not in client.session
    # The email stays filled in; the password is never echoed back.
    form = parse(response).find("main").find("form")
    assert form.find("input", name="username").get("value") == "owner@example.com"
    assert form.find("input", name="password").get("value") == ""
    assert client.get("/backoffice/orders/").status_code == 302


def test_password_is_case_sensitive(client, owner, password):
    response = client.post(LOGIN, {"username": "owner@example.com", "password": password.upper()})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_unknown_email_gets_the_same_error_as_a_wrong_password(client, owner):
    wrong_password = client.post(LOGIN, {"username": "owner@example.com", "password": "x"})
    unknown_email = client.post(LOGIN, {"username": "nobody@example.com", "password": "x"})

    # Nothing tells an attacker which emails have accounts.
    assert login_error(unknown_email) == login_error(wrong_password)
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_log_in(client, make_user, organizer, password):
    make_user("gone@example.com", organizer, is_active=False)

    response = client.post(LOGIN, {"username": "gone@example.com", "password": password})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_field_accepts_only_an_email(client, owner, password):
    response = client.post(LOGIN, {"username": "owner", "password": password})

    assert response.status_code == 200
    assert "Enter a valid email address." in page_text(response)
    assert "_auth_user_id" not in client.session


def test_login_returns_to_the_page_asked_for(client, owner, order_in, password):
    order = order_in(OrderStatus.PAID)
    detail = f"/backoffice/orders/{order.code}/"

    first = client.get(detail)
    assert first.status_code == 302
    assert first["Location"] == f"{LOGIN}?next={quote(detail)}"
    login_page = client.get(first["Location"])
    assert parse(login_page).find("main").find("input", name="next").get("value") == detail

    response = client.post(
        LOGIN, {"username": "owner@example.com", "password": password, "next": detail}
    )

    assert response.status_code == 302
    assert response["Location"] == detail


def test_login_ignores_a_next_url_on_another_site(client, owner, password):
    response = client.post(
        LOGIN,
        {"username": "owner@example.com", "password": password, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/backoffice/orders/"


def test_logged_in_user_opening_login_goes_to_the_orders(login, owner):
    response = login(owner).get(LOGIN)

    assert response.status_code == 302
    assert response["Location"] == "/backoffice/orders/"


def test_logout_is_post_only(login, owner):
    client = login(owner)

    assert client.get(LOGOUT).status_code == 405
    assert client.session["_auth_user_id"] == str(owner.pk)  # a link or prefetch cannot log out

    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert client.get("/backoffice/orders/").status_code == 302


def test_every_page_offers_logout_as_a_post_form(login, owner):
    response = login(owner).get("/backoffice/orders/")

    logout_form = parse(response).find("form", action=LOGOUT)
    assert logout_form.get("method") == "post"
    assert logout_form.find_all("input", name="csrfmiddlewaretoken")


# -- closed to anonymous visitors ------------------------------------------------------------


def test_every_backoffice_url_is_classified():
    # A new URL must be added to routes.py, which puts it under the login and tenancy tests.
    assert {p.name for p in urlpatterns} == {
        *LIST_URLS,
        *(name for name, _method in EVENT_URLS),
        *DOOR_LIST_URLS,
        *TOKEN_URLS,
        *USER_URLS,
        *EVENT_JOB_URLS,
        *MESSAGE_URLS,
        *OWNER_URLS,
        *STAFF_URLS,
        *(name for name, _, _ in ORDER_URLS),
    }


@pytest.mark.parametrize("path", ["/backoffice/orders/", "/backoffice/orders/?q=maija&page=2"])
def test_anonymous_order_list_redirects_to_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={quote(path)}"


def test_anonymous_backoffice_home_ends_at_login(client, db):
    response = client.get("/backoffice/", follow=True)

    assert response.redirect_chain[-1][0].startswith(f"{LOGIN}?next=")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("name", "method", "status"), ORDER_URLS, ids=ids(ORDER_URLS))
def test_anonymous_order_urls_redirect_to_login_and_change_nothing(
    client, order_in, snapshot, name, method, status
):
    order = order_in(status)
    url = order_url(name, order)
    before = snapshot(order)

    response = client.get(url) if method == "GET" else client.post(url, POST_DATA[name])

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={quote(url)}"
    assert snapshot(order) == before


def test_anonymous_unknown_order_redirects_to_login_rather_than_404(client, db):
    # Anonymous visitors learn nothing about which codes exist.
    response = client.get("/backoffice/orders/ZZZZZZ/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_client_without_a_session_cookie_is_anonymous(owner, order_in):
    order = order_in(OrderStatus.PAID)

    response = Client().get(f"/backoffice/orders/{order.code}/")

    assert response.status_code == 302
