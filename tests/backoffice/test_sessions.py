"""Back-office sessions: they end after a working day idle, and a new password ends the others."""

import time

from django.test import Client

from boxoffice.backoffice.middleware import SEEN_AT

from .pages import messages, parse

ORDERS = "/backoffice/orders/"
PASSWORD_PAGE = "/accounts/password/"
NEW_PASSWORD = "a-much-longer-passphrase-2026"


def _set_seen_at(client: Client, seconds_ago: int) -> None:
    session = client.session
    session[SEEN_AT] = int(time.time()) - seconds_ago
    session.save()


def test_a_session_idle_longer_than_the_limit_ends(owner_client, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 8 * 3600
    assert owner_client.get(ORDERS).status_code == 200
    _set_seen_at(owner_client, 8 * 3600 + 1)

    response = owner_client.get(ORDERS, follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "_auth_user_id" not in owner_client.session
    assert messages(response) == [
        "You were logged out after 8 hours without activity. Log in again to go on."
    ]


def test_a_session_used_within_the_limit_goes_on(owner_client, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 8 * 3600
    owner_client.get(ORDERS)
    _set_seen_at(owner_client, 8 * 3600 - 60)

    assert owner_client.get(ORDERS).status_code == 200
    # The request counts as activity: the clock starts again.
    assert abs(owner_client.session[SEEN_AT] - _now()) <= 2


def _now() -> int:
    return int(time.time())


def test_the_password_page_asks_for_the_old_and_the_new_password(owner_client):
    form = parse(owner_client.get(PASSWORD_PAGE)).find("main").find("form")
    names = [i.get("name") for i in form.find_all("input") if i.get("type") == "password"]
    assert names == ["old_password", "new_password1", "new_password2"]


def test_changing_the_password_ends_the_other_sessions_only(login, owner, password):
    here, elsewhere = login(owner), login(owner)

    response = here.post(
        PASSWORD_PAGE,
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == ORDERS
    assert messages(response) == [
        "Your password is changed. Your other sessions have been logged out."
    ]
    assert here.get(ORDERS).status_code == 200
    assert elsewhere.get(ORDERS).status_code == 302  # to the login page
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD) and not owner.check_password(password)


def test_a_wrong_old_password_changes_nothing(owner_client, owner, password):
    response = owner_client.post(
        PASSWORD_PAGE,
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "old password was entered incorrectly" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(password)


def test_the_password_page_needs_a_login(client):
    response = client.get(PASSWORD_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logging_in_starts_the_idle_clock(client, owner, password):
    client.post("/accounts/login/", {"username": "owner@example.com", "password": password})
    assert abs(client.session[SEEN_AT] - _now()) <= 2
