"""The hosted payment page: settles the payment, calls back signed and redirects signed (§3)."""

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from boxoffice.payments.paytrail.signing import verify
from boxoffice.paytrail_sandbox.testing import (
    CallbackRecorder,
    callback_log,
    complete_payment,
    deliver_synchronously,
    recorded_callbacks,
    sandbox_payment,
)

from .helpers import ROOT, Merchant, pay, payment_body

SECRET = "SAIPPUAKAUPPIAS"


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def _verified(params: dict[str, str]) -> dict[str, str]:
    verify(params, "", SECRET, params.get("signature"))
    return params


def test_the_page_shows_merchant_amount_items_and_methods(
    merchant: Merchant, client: Client
) -> None:
    tid = merchant.create()["transactionId"]
    response = client.get(f"{ROOT}/pay/{tid}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Paytrail sandbox — no real money moves" in html
    assert "Boxoffice" in html  # the platform's merchant account (settings)
    assert "40,50\xa0€" in html  # FI payment: Finnish money format
    assert "Day ticket" in html and "parking" in html
    for name in ("Nordea", "OP", "S-Pankki", "Visa / Mastercard"):
        assert name in html
    for label in ("Pay 40,50\xa0€", "Fail", "Leave pending"):
        assert label in html
    assert "<script" not in html  # works without JavaScript


def test_the_page_names_an_organizers_merchant_and_formats_english(
    client: Client, make_organizer: Any
) -> None:
    make_organizer(name="Tuska Oy", paytrail_merchant_id="777001", paytrail_secret="S")
    own = Merchant(client, "777001", "S")
    tid = own.create(language="EN")["transactionId"]
    html = client.get(f"{ROOT}/pay/{tid}").content.decode()
    assert "Tuska Oy" in html
    assert "€40.50" in html


def test_pay_redirects_with_a_signed_query_and_calls_back(
    merchant: Merchant, client: Client, callbacks: CallbackRecorder
) -> None:
    tid = merchant.create()["transactionId"]
    response = pay(client, tid, "pay", "osuuspankki")
    assert response.status_code == 302
    location = response["Location"]
    # The merchant's URL already had ?order=1: the sandbox extends it with &.
    assert location.startswith("https://shop.example.com/ok?order=1&checkout-account=375917&")
    redirect = _verified(_query(location))
    expected = {
        "order": "1",
        "checkout-account": "375917",
        "checkout-algorithm": "sha256",
        "checkout-amount": "4050",
        "checkout-stamp": "order-1",
        "checkout-reference": "ABC123",
        "checkout-transaction-id": tid,
        "checkout-status": "ok",
        "checkout-provider": "osuuspankki",
    }
    assert {k: v for k, v in redirect.items() if k != "signature"} == expected
    assert len(callbacks.urls) == 1
    assert callbacks.urls[0].startswith("https://shop.example.com/cb/ok?checkout-account=")
    callback = _verified(callbacks.params(0))
    assert {k: v for k, v in callback.items() if k != "signature"} == {
        k: v for k, v in expected.items() if k != "order"
    }
    payment = sandbox_payment(tid)
    assert (payment.status, payment.provider) == ("ok", "osuuspankki")
    assert payment.paid_at is not None
    [entry] = callback_log(tid)
    assert (entry.status_code, entry.attempt, entry.about) == (200, 1, "payment")
    assert entry.delivered_at is not None


def test_fail_goes_to_the_cancel_urls(
    merchant: Merchant, client: Client, callbacks: CallbackRecorder
) -> None:
    tid = merchant.create()["transactionId"]
    response = pay(client, tid, "fail", "nordea")
    assert response["Location"].startswith("https://shop.example.com/cancel?checkout-account=")
    assert _verified(_query(response["Location"]))["checkout-status"] == "fail"
    assert callbacks.urls[0].startswith("https://shop.example.com/cb/cancel?")
    assert _verified(callbacks.params(0))["checkout-status"] == "fail"
    assert sandbox_payment(tid).status == "fail"


@pytest.mark.parametrize("action", ["pending", "delayed"])
def test_pending_and_delayed_go_to_success_and_complete_later(
    merchant: Merchant, client: Client, callbacks: CallbackRecorder, action: str
) -> None:
    tid = merchant.create()["transactionId"]
    response = pay(client, tid, action, "creditcard")
    assert _verified(_query(response["Location"]))["checkout-status"] == action
    assert _verified(callbacks.params(0))["checkout-status"] == action
    assert sandbox_payment(tid).status == action
    page = client.get(f"{ROOT}/pay/{tid}").content.decode()
    assert f"This payment is {action}" in page
    complete_payment(tid, "ok")
    assert len(callbacks.urls) == 2
    final = _verified(callbacks.params(1))
    assert (final["checkout-status"], final["checkout-provider"]) == ("ok", "creditcard")
    assert callbacks.urls[1].startswith("https://shop.example.com/cb/ok?")


def test_a_pending_payment_can_fail_later_with_a_cancel_callback(
    merchant: Merchant, client: Client, callbacks: CallbackRecorder
) -> None:
    tid = merchant.create()["transactionId"]
    pay(client, tid, "pending")
    complete_payment(tid, "fail")
    assert callbacks.urls[1].startswith("https://shop.example.com/cb/cancel?")
    assert _verified(callbacks.params(1))["checkout-status"] == "fail"


def test_a_settled_payment_cannot_be_paid_again(
    merchant: Merchant, client: Client, callbacks: CallbackRecorder
) -> None:
    tid = merchant.create()["transactionId"]
    pay(client, tid, "pay")
    again = pay(client, tid, "fail")
    assert again.status_code == 409
    assert "already settled" in again.content.decode()
    assert sandbox_payment(tid).status == "ok"
    assert len(callbacks.urls) == 1


def test_bad_form_input_and_unknown_payment(merchant: Merchant, client: Client) -> None:
    tid = merchant.create()["transactionId"]
    assert pay(client, tid, "steal").status_code == 400
    assert pay(client, tid, "pay", provider="bitcoin").status_code == 400
    assert sandbox_payment(tid).status == "new"
    missing = client.get(f"{ROOT}/pay/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert "Payment not found" in missing.content.decode()


def test_a_merchant_rendered_provider_form_opens_the_page_with_that_method(
    merchant: Merchant, client: Client
) -> None:
    data = merchant.create()
    spankki = next(p for p in data["providers"] if p["id"] == "spankki")
    fields = {param["name"]: param["value"] for param in spankki["parameters"]}
    response = client.post(spankki["url"], fields)
    assert response.status_code == 200
    assert 'value="spankki" checked' in response.content.decode()
    assert sandbox_payment(data["transactionId"]).status == "new"


def test_without_callback_urls_only_the_browser_is_redirected(
    merchant: Merchant, client: Client, callbacks: CallbackRecorder
) -> None:
    body = payment_body()
    del body["callbackUrls"]
    tid = merchant.post("/payments", body).json()["transactionId"]
    assert pay(client, tid).status_code == 302
    assert callbacks.urls == []


def test_callbacks_retry_until_2xx_and_give_up_after_five_attempts(
    merchant: Merchant, client: Client
) -> None:
    first = merchant.create()["transactionId"]
    second = merchant.create(stamp="order-2")["transactionId"]
    with recorded_callbacks(500, 503, 204) as flaky:
        pay(client, first)
    assert len(flaky.urls) == 3
    assert [(e.attempt, e.status_code) for e in callback_log(first)] == [
        (1, 500),
        (2, 503),
        (3, 204),
    ]
    with recorded_callbacks(500) as broken:
        pay(client, second)
    assert len(broken.urls) == 5
    assert [e.attempt for e in callback_log(second)] == [1, 2, 3, 4, 5]


def test_an_unreachable_callback_url_is_retried_and_logged(
    merchant: Merchant, client: Client
) -> None:
    def refuse(url: str, timeout: float) -> int:
        raise ConnectionRefusedError("nobody home")

    tid = merchant.create()["transactionId"]
    with deliver_synchronously(refuse):
        assert pay(client, tid).status_code == 302
    log = callback_log(tid)
    assert len(log) == 5
    assert all(e.status_code is None and "nobody home" in e.error for e in log)


def test_callback_delay_is_recorded_and_skipped_when_delivering_synchronously(
    merchant: Merchant, client: Client, callbacks: CallbackRecorder
) -> None:
    tid = merchant.create(callbackDelay=900)["transactionId"]
    pay(client, tid)
    assert len(callbacks.urls) == 1
    assert callback_log(tid)[0].delay_seconds == 900
