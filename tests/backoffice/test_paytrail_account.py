"""The payment account page: an owner enters the organizer's Paytrail merchant account.

The credentials are checked with a signed call to the bundled Paytrail sandbox (over HTTP, the
``site`` fixture) before anything is saved; the secret is stored encrypted and shown masked.
"""

import logging

import pytest
from django.db import connection

from boxoffice.accounts.models import Organizer, Role
from boxoffice.paytrail_sandbox.models import SandboxLogEntry

from .pages import page_text

URL = "/backoffice/payment-account/"
TEST_MERCHANT = {"merchant_id": "375917", "secret": "SAIPPUAKAUPPIAS"}


def form(organizer: Organizer, **fields: str) -> dict[str, str]:
    data = {"organizer": str(organizer.pk)}
    data.update({f"o{organizer.pk}-{name}": value for name, value in fields.items()})
    return data


def stored(organizer: Organizer) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT paytrail_merchant_id, paytrail_secret FROM accounts_organizer WHERE id = %s",
            [organizer.pk],
        )
        return cursor.fetchone()


def test_owner_sees_the_account_is_missing_and_what_it_blocks(owner_client, organizer, make_event):
    make_event(organizer, default_funds_manager="platform")
    organizer.paytrail_merchant_id = organizer.paytrail_secret = ""
    organizer.save()

    response = owner_client.get(URL)

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    text = page_text(response)
    assert "Not set up. Events whose funds manager is the platform are not affected." in text
    assert 'href="/backoffice/payment-account/"' in response.content.decode()  # in the nav


def test_the_count_of_blocked_events_is_shown(owner_client, organizer, make_event):
    make_event(organizer, default_funds_manager="organizer")
    make_event(organizer, default_funds_manager="organizer", name="Ruisrock")
    organizer.paytrail_merchant_id = organizer.paytrail_secret = ""
    organizer.save()

    text = page_text(owner_client.get(URL))

    assert (
        "Not set up: 2 events take their money into this account and cannot take online "
        "payments until it is set." in text
    )


def test_checked_credentials_are_saved_encrypted_and_shown_masked(
    site, owner_client, organizer, caplog
):
    caplog.set_level(logging.WARNING, logger="boxoffice.payments.paytrail.account")

    response = owner_client.post(URL, form(organizer, **TEST_MERCHANT))

    assert response.status_code == 302
    assert response["Location"] == URL
    organizer.refresh_from_db()
    assert (organizer.paytrail_merchant_id, organizer.paytrail_secret) == (
        "375917",
        "SAIPPUAKAUPPIAS",
    )
    merchant_id, raw_secret = stored(organizer)
    assert merchant_id == "375917"
    assert raw_secret.startswith("gAAAAA") and "SAIPPUAKAUPPIAS" not in raw_secret
    # Paytrail (the sandbox) saw exactly one signed status lookup, which it accepted.
    calls = list(
        SandboxLogEntry.objects.values_list("method", "account", "authenticated", "status_code")
    )
    assert calls == [("GET", "375917", True, 404)]
    page = owner_client.get(URL)
    html = page.content.decode()
    assert "SAIPPUAKAUPPIAS" not in html
    assert "••••••••" + "UPPIAS"[-4:] in page_text(page)
    assert "Paytrail accepted the credentials; Demo Events Oy can take online payments." in (
        page_text(page)
    )
    assert any("set to 375917" in r.getMessage() for r in caplog.records)
    assert all("SAIPPUAKAUPPIAS" not in r.getMessage() for r in caplog.records)


def test_a_wrong_secret_is_a_form_error_and_nothing_is_saved(site, owner_client, organizer):
    organizer.paytrail_merchant_id = organizer.paytrail_secret = ""
    organizer.save()

    response = owner_client.post(URL, form(organizer, merchant_id="375917", secret="WRONG-KEY"))

    assert response.status_code == 200
    text = page_text(response)
    assert (
        "The credentials were not saved. Paytrail did not accept this merchant ID and secret "
        "key. Check both in Paytrail's Merchant Panel." in text
    )
    assert "WRONG-KEY" not in response.content.decode()  # the secret is never echoed back
    assert stored(organizer) == ("", "")


def test_replacing_keeps_the_old_account_when_paytrail_refuses(site, owner_client, organizer):
    organizer.paytrail_merchant_id = "375917"
    organizer.paytrail_secret = "SAIPPUAKAUPPIAS"
    organizer.save()
    before = stored(organizer)

    owner_client.post(URL, form(organizer, merchant_id="123456", secret="SAIPPUAKAUPPIAS"))

    assert stored(organizer) == before


def test_paytrail_unreachable_saves_nothing(owner_client, organizer, settings):
    settings.PAYTRAIL_API_URL = "http://127.0.0.1:9/paytrail"  # nothing listens on port 9
    settings.PAYTRAIL_TIMEOUT_SECONDS = 2
    organizer.paytrail_merchant_id = organizer.paytrail_secret = ""
    organizer.save()

    response = owner_client.post(URL, form(organizer, **TEST_MERCHANT))

    assert response.status_code == 200
    assert "Could not connect to Paytrail; nothing was sent." in page_text(response)
    assert stored(organizer) == ("", "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"merchant_id": "37 5917", "secret": "X"}, "A Paytrail merchant ID is digits only"),
        ({"merchant_id": "abc", "secret": "X"}, "A Paytrail merchant ID is digits only"),
        ({"merchant_id": "375917", "secret": "two words"}, "no spaces or line breaks"),
        ({"merchant_id": "375917", "secret": "ä" * 10}, "no spaces or line breaks"),
        ({"merchant_id": "375917", "secret": "x" * 201}, "at most 200 characters"),
        ({"merchant_id": "375917", "secret": ""}, "This field is required."),
        ({"merchant_id": "", "secret": "X"}, "This field is required."),
    ],
    ids=["space", "letters", "spaced-secret", "non-ascii", "long", "no-secret", "no-id"],
)
def test_odd_input_is_a_field_error_before_any_call(owner_client, organizer, fields, message):
    response = owner_client.post(URL, form(organizer, **fields))

    assert response.status_code == 200
    assert message in page_text(response)
    assert not SandboxLogEntry.objects.exists()
    assert stored(organizer)[1] != "two words"


def test_the_public_test_secret_is_refused_outside_the_sandbox(owner_client, organizer, settings):
    settings.PAYTRAIL_SANDBOX = False
    organizer.paytrail_merchant_id = organizer.paytrail_secret = ""
    organizer.save()

    response = owner_client.post(URL, form(organizer, **TEST_MERCHANT))

    assert "This is Paytrail's public test secret" in page_text(response)
    assert stored(organizer) == ("", "")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SUPPORT, Role.VIEWER])
def test_only_owners_have_the_page(role, make_user, organizer, login):
    client = login(make_user(f"{role}@example.com", organizer, role))

    assert client.get(URL).status_code == 404
    assert client.post(URL, form(organizer, **TEST_MERCHANT)).status_code == 404
    assert URL not in client.get("/backoffice/orders/").content.decode()


def test_platform_staff_do_not_set_organizers_accounts(login, staff_user, organizer):
    client = login(staff_user)

    assert client.post(URL, form(organizer, **TEST_MERCHANT)).status_code == 404


def test_another_organizers_owner_gets_404_and_changes_nothing(site, login, other_owner, organizer):
    before = stored(organizer)

    response = login(other_owner).post(URL, form(organizer, **TEST_MERCHANT))

    assert response.status_code == 404
    assert stored(organizer) == before
    assert not SandboxLogEntry.objects.exists()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
