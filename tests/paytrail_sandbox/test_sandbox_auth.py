"""Every API call is verified (spec §6.1) and every answer signed (§6.2), for each merchant kind."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from boxoffice.payments.paytrail.signing import SignatureError, sign
from boxoffice.paytrail_sandbox import control
from boxoffice.paytrail_sandbox.models import SandboxPayment
from boxoffice.paytrail_sandbox.testing import api_calls, sandbox_payment, signed_headers

from .helpers import JSON, ROOT, Merchant, payment_body, refund_body


def _post(client: Client, path: str, text: str, headers: dict[str, str]) -> Any:
    return client.post(ROOT + path, text, content_type=JSON, headers=headers)


def _assert_401(response: Any) -> None:
    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert response.json()["message"]
    # Unsigned: the sandbox cannot know which secret the caller holds.
    assert "signature" not in response.headers
    assert response.headers["request-id"]


def test_a_wrong_secret_is_refused(client: Client) -> None:
    text = json.dumps(payment_body())
    headers = signed_headers("POST", text, secret="not-the-secret")
    _assert_401(_post(client, "/payments", text, headers))
    assert SandboxPayment.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(client: Client) -> None:
    text = json.dumps(payment_body())
    headers = signed_headers("POST", text)
    _assert_401(_post(client, "/payments", text.replace("4050", "4051"), headers))
    # Re-encoding the same JSON with other separators breaks the signature too (spec §8 V7).
    compact = json.dumps(payment_body(), separators=(",", ":"))
    _assert_401(_post(client, "/payments", compact, headers))
    assert SandboxPayment.objects.count() == 0


def test_checkout_method_must_be_the_http_verb(client: Client) -> None:
    text = json.dumps(payment_body())
    response = _post(client, "/payments", text, signed_headers("GET", text))
    _assert_401(response)
    assert "checkout-method" in response.json()["message"]


def test_transaction_id_header_must_match_the_path(merchant: Merchant, client: Client) -> None:
    tid = merchant.create()["transactionId"]
    other = merchant.create(stamp="order-2")["transactionId"]
    _assert_401(
        client.get(f"{ROOT}/payments/{tid}", headers=merchant.headers("GET", transaction_id=other))
    )
    _assert_401(client.get(f"{ROOT}/payments/{tid}", headers=merchant.headers("GET")))
    text = json.dumps(refund_body())
    headers = merchant.headers("POST", text, transaction_id=other)
    _assert_401(_post(client, f"/payments/{tid}/refund", text, headers))


@pytest.mark.parametrize("missing", ["checkout-nonce", "checkout-timestamp", "signature"])
def test_a_missing_header_is_refused(client: Client, missing: str) -> None:
    text = json.dumps(payment_body())
    headers = signed_headers("POST", text)
    del headers[missing]
    _assert_401(_post(client, "/payments", text, headers))


def test_an_unknown_account_is_refused(client: Client) -> None:
    text = json.dumps(payment_body())
    _assert_401(_post(client, "/payments", text, signed_headers("POST", text, account="999999")))


def test_answers_are_signed_with_the_request_algorithm(client: Client) -> None:
    text = json.dumps(payment_body())
    response = _post(client, "/payments", text, signed_headers("POST", text, algorithm="sha512"))
    assert response.status_code == 201
    assert response.headers["checkout-algorithm"] == "sha512"
    assert len(response.headers["signature"]) == 128
    assert response.headers["checkout-account"] == "375917"
    assert response.headers["checkout-method"] == "POST"
    assert response.headers["checkout-transaction-id"] == response.json()["transactionId"]
    assert response.headers["request-id"]
    Merchant(client).verify(response)
    # Its callbacks and redirects use the create request's algorithm too.
    assert sandbox_payment(response.json()["transactionId"]).algorithm == "sha512"


def test_success_and_error_answers_verify(merchant: Merchant) -> None:
    tid = merchant.create()["transactionId"]
    ok = merchant.get(tid)
    merchant.verify(ok)
    assert ok.headers["checkout-transaction-id"] == tid
    assert ok.headers["checkout-method"] == "GET"
    not_found = merchant.get("00000000-0000-0000-0000-000000000000")
    assert not_found.status_code == 404
    merchant.verify(not_found)
    invalid = merchant.post("/payments", payment_body(currency="SEK"))
    assert invalid.status_code == 400
    merchant.verify(invalid)
    with pytest.raises(SignatureError):
        Merchant(merchant.client, secret="wrong").verify(ok)


def test_the_platform_merchant_from_the_settings(client: Client, settings: Any) -> None:
    settings.PAYTRAIL_MERCHANT_ID, settings.PAYTRAIL_SECRET = "123456", "PLATFORM-SECRET"
    platform = Merchant(client, "123456", "PLATFORM-SECRET")
    tid = platform.create()["transactionId"]
    response = platform.get(tid)
    assert response.status_code == 200
    platform.verify(response)
    # The public test merchant still works beside it.
    assert Merchant(client).create()["transactionId"]


def test_an_organizers_own_merchant(client: Client, make_organizer: Any) -> None:
    make_organizer(paytrail_merchant_id="777001", paytrail_secret="ORGANIZER-SECRET")
    own = Merchant(client, "777001", "ORGANIZER-SECRET")
    tid = own.create()["transactionId"]
    response = own.get(tid)
    assert response.status_code == 200
    own.verify(response)
    assert Merchant(client, "777001", "SAIPPUAKAUPPIAS").get(tid).status_code == 401


def test_another_merchants_transaction_is_not_found(
    client: Client, merchant: Merchant, make_organizer: Any, paid: Any
) -> None:
    make_organizer(paytrail_merchant_id="777001", paytrail_secret="ORGANIZER-SECRET")
    tid = paid()
    stranger = Merchant(client, "777001", "ORGANIZER-SECRET")
    assert stranger.get(tid).status_code == 404
    assert stranger.refund(tid).status_code == 404
    assert merchant.get(tid).status_code == 200


def test_wrong_http_verb_is_405(client: Client) -> None:
    response = client.get(f"{ROOT}/payments")
    assert response.status_code == 405
    assert response.json()["status"] == "error"


def test_clock_skew_rejection_is_off_by_default_and_can_be_switched_on(client: Client) -> None:
    text = json.dumps(payment_body())
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    assert _post(client, "/payments", text, _stale(text, two_hours_ago)).status_code == 201
    with control.switches(max_clock_skew_seconds=300):
        response = _post(client, "/payments", text, _stale(text, two_hours_ago))
        assert _post(client, "/payments", text, signed_headers("POST", text)).status_code == 201
    _assert_401(response)
    assert "clock" in response.json()["message"]


def test_nonce_replay_rejection_is_off_by_default_and_can_be_switched_on(client: Client) -> None:
    text = json.dumps(payment_body())
    headers = signed_headers("POST", text)
    assert _post(client, "/payments", text, headers).status_code == 201
    assert _post(client, "/payments", text, headers).status_code == 201
    with control.switches(reject_nonce_replay=True):
        _assert_401(_post(client, "/payments", text, headers))
        fresh = signed_headers("POST", text)
        assert _post(client, "/payments", text, fresh).status_code == 201
    assert [call.status_code for call in api_calls()] == [201, 201, 401, 201]


def _stale(text: str, timestamp: str) -> dict[str, str]:
    """Signed headers with another checkout-timestamp."""
    headers = {**signed_headers("POST", text), "checkout-timestamp": timestamp}
    del headers["signature"]
    return {**headers, "signature": sign(headers, text, "SAIPPUAKAUPPIAS")}
