"""Password guessing is stopped: per account and per address, a correct password included."""

import logging
from unittest import mock

import pytest
from django.test import Client

from boxoffice.accounts import login_throttle

from .pages import parse

LOGIN = "/accounts/login/"
EMAIL = "owner@example.com"


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.LOGIN_ACCOUNT_FAILURES = 3
    settings.LOGIN_ADDRESS_FAILURES = 5
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900


def attempt(client: Client, password: str, email: str = EMAIL, ip: str = "198.51.100.7"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def error(response) -> str:
    return parse(response).find("ul", class_="errorlist").text()


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_after_the_limit_even_the_right_password_is_refused(client, owner, password):
    for _ in range(3):
        assert error(attempt(client, "wrong")).startswith("Email or password is wrong.")
    response = attempt(client, password)

    assert response.status_code == 200
    assert error(response) == "Too many failed attempts. Try again in 15 minutes."
    assert not logged_in(client)
    assert client.get("/backoffice/orders/").status_code == 302


def test_a_locked_attempt_never_checks_the_password(client, owner, password):
    for _ in range(3):
        attempt(client, "wrong")
    with mock.patch("django.contrib.auth.forms.authenticate") as authenticate:
        response = attempt(client, password)
    authenticate.assert_not_called()
    assert "Too many failed attempts" in error(response)


def test_the_lockout_is_logged_once(client, owner, caplog):
    with caplog.at_level(logging.WARNING, logger="boxoffice.security"):
        for _ in range(5):
            attempt(client, "wrong")
    locks = [r for r in caplog.records if "login locked" in r.getMessage()]
    assert len(locks) == 1
    assert "account" in locks[0].getMessage()
    assert EMAIL not in locks[0].getMessage()  # the address is not written to the log


def test_a_correct_password_clears_the_count(client, owner, password):
    for _ in range(2):
        attempt(client, "wrong")
    assert attempt(client, password).status_code == 302
    client.logout()
    for _ in range(2):
        attempt(client, "wrong")

    assert attempt(client, password).status_code == 302
    assert logged_in(client)


def test_one_account_locked_leaves_the_others_open(client, owner, make_user, organizer, password):
    make_user("second@example.com", organizer)
    for _ in range(3):
        attempt(client, "wrong")

    assert attempt(client, password, email="second@example.com").status_code == 302


def test_one_address_trying_many_accounts_is_locked(client, owner, password):
    for n in range(5):
        attempt(client, "wrong", email=f"nobody{n}@example.com")

    locked = attempt(client, password)
    assert "Too many failed attempts" in error(locked)
    assert not logged_in(client)
    # Another address still gets in.
    assert attempt(Client(), password, ip="203.0.113.9").status_code == 302


def test_the_lock_ends_with_its_window(client, owner, password):
    for _ in range(3):
        attempt(client, "wrong")
    now = login_throttle.time.time()
    with mock.patch.object(login_throttle.time, "time", return_value=now + 901):
        assert attempt(client, password).status_code == 302


def test_a_failing_cache_never_locks_anyone_out(client, owner, password):
    with (
        mock.patch.object(login_throttle.cache, "get", side_effect=ConnectionError("down")),
        mock.patch.object(login_throttle.cache, "add", side_effect=ConnectionError("down")),
    ):
        attempt(client, "wrong")
        assert attempt(client, password).status_code == 302


def test_one_ipv6_network_counts_as_one_address(client, owner, password):
    for n in range(5):
        attempt(client, "wrong", email=f"nobody{n}@example.com", ip=f"2001:db8:1:2::{n + 1:x}")

    locked = attempt(client, password, ip="2001:db8:1:2:ffff::1")  # same /64, new address
    assert "Too many failed attempts" in error(locked)
    assert attempt(Client(), password, ip="2001:db8:1:3::1").status_code == 302  # next /64


def test_guessing_the_old_password_on_the_change_page_locks_like_a_login(
    login, owner, password, client
):
    session = login(owner)
    change = "/accounts/password/"
    new = {"new_password1": "a brand new passphrase 1", "new_password2": "a brand new passphrase 1"}
    for _ in range(3):
        response = session.post(change, {"old_password": "wrong", **new})
        assert "Your old password was entered incorrectly" in error(response)

    response = session.post(change, {"old_password": password, **new})

    assert error(response) == "Too many failed attempts. Try again in 15 minutes."
    owner.refresh_from_db()
    assert owner.check_password(password)  # unchanged
    assert "Too many failed attempts" in error(attempt(client, password))  # and the login too
