"""The Paytrail client against a fake that checks requests and signs answers like Paytrail (§1-5).

No network: httpx.MockTransport routes every request to ``FakePaytrail``, which verifies the
request's signature with the merchant secret before it answers.
"""

import json
import logging
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from boxoffice.payments.paytrail import client as client_module
from boxoffice.payments.paytrail.client import (
    CreatedPayment,
    PaymentStatus,
    PaytrailClient,
    RefundResult,
    to_cents,
)
from boxoffice.payments.paytrail.credentials import Merchant
from boxoffice.payments.paytrail.errors import (
    PaytrailBadSignature,
    PaytrailError,
    PaytrailRejected,
    PaytrailUnavailable,
)
from boxoffice.payments.paytrail.signing import sign, verify

SECRET = "SAIPPUAKAUPPIAS"
MERCHANT = Merchant(account="375917", secret=SECRET)
BASE_URL = "https://paytrail.test/api"
PAYMENT_ID = "681538c4-fc84-11e9-83bc-2ffcef4c3453"
REFUND_ID = "258ad3a5-9711-44c3-be65-64a0ef462ba3"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

CREATE_BODY: dict[str, Any] = {
    "stamp": "order-ABC123-1",
    "reference": "ABC123",
    "amount": 1525,
    "currency": "EUR",
    "language": "FI",
    "items": [{"unitPrice": 1525, "units": 1, "vatPercentage": 14, "productCode": "day"}],
    "customer": {"email": "maija@example.com", "firstName": "Maija", "lastName": "Meikäläinen"},
    "redirectUrls": {"success": "https://t.example/ok", "cancel": "https://t.example/cancel"},
}
# Spec §8 V1, key order included.
V1_BODY: dict[str, Any] = {
    "stamp": "unique-identifier-for-merchant",
    "reference": "3759170",
    "amount": 1525,
    "currency": "EUR",
    "language": "FI",
    "items": [
        {
            "unitPrice": 1525,
            "units": 1,
            "vatPercentage": 25.5,
            "productCode": "#1234",
            "deliveryDate": "2018-09-01",
        }
    ],
    "customer": {"email": "test.customer@example.com"},
    "redirectUrls": {
        "success": "https://ecom.example.com/cart/success",
        "cancel": "https://ecom.example.com/cart/cancel",
    },
}
CREATED = {
    "transactionId": PAYMENT_ID,
    "href": f"https://pay.paytrail.com/pay/{PAYMENT_ID}",
    "reference": "809759248",
    "providers": [],
}
STATUS = {
    "transactionId": PAYMENT_ID,
    "status": "ok",
    "amount": 1525,
    "currency": "EUR",
    "stamp": "order-ABC123-1",
    "reference": "ABC123",
    "createdAt": "2019-11-01T10:48:39.979Z",
    "provider": "nordea",
}
REFUNDED = {"provider": "nordea", "status": "ok", "transactionId": REFUND_ID}
BALANCE_ERROR = {
    "status": "error",
    "message": "Refund amount exceeds the remaining refund balance",
    "meta": {"invalidRefunds": [{"remainingRefundBalance": 1000}]},
}
CALLBACKS = {"success": "https://t.example/cb/ok", "cancel": "https://t.example/cb/cancel"}


class FakePaytrail:
    """Plays Paytrail: checks each request as Paytrail would, then answers ``self.answer``."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answer: Callable[[httpx.Request], httpx.Response] = self.default_answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert_like_paytrail_accepts(request)
        return self.answer(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def default_answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith("/refund"):
            return paytrail_response(request, 201, REFUNDED)
        if request.method == "POST":
            return paytrail_response(request, 201, CREATED)
        return paytrail_response(request, 200, STATUS)

    def replies(self, status: int, body: object, **kw: Any) -> None:
        self.answer = lambda request: paytrail_response(request, status, body, **kw)


def assert_like_paytrail_accepts(request: httpx.Request) -> None:
    headers = request.headers
    body = request.content.decode("utf-8")
    verify(dict(headers.items()), body, SECRET, headers.get("signature"))
    assert headers["checkout-account"] == MERCHANT.account
    assert headers["checkout-algorithm"] == "sha256"
    assert headers["checkout-method"] == request.method
    assert uuid.UUID(headers["checkout-nonce"]).version == 4
    assert TIMESTAMP.match(headers["checkout-timestamp"])
    assert headers["platform-name"] == "boxoffice"
    path_id = re.fullmatch(r".*/payments/([^/]+)(/refund)?", request.url.raw_path.decode())
    if path_id:
        assert headers["checkout-transaction-id"] == unquote(path_id.group(1))
    else:
        assert request.url.path.endswith("/payments")
        assert "checkout-transaction-id" not in headers
    if request.method == "POST":
        assert headers["content-type"] == "application/json; charset=utf-8"
        # Compact, unescaped JSON: what the client signed is what went over the wire.
        compact = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
        assert request.content == compact.encode("utf-8")
    else:
        assert request.content == b""
        assert "content-type" not in headers


def paytrail_response(
    request: httpx.Request,
    status: int,
    body: object,
    *,
    signed: bool = True,
    secret: str = SECRET,
    algorithm: str = "sha256",
) -> httpx.Response:
    """An answer shaped like Paytrail's: echoed checkout-* headers, a request-id, a signature."""
    if isinstance(body, bytes):
        content = body
    else:
        content = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    text = content.decode("utf-8", errors="replace")
    headers = {"request-id": "req-42", "content-type": "application/json; charset=utf-8"}
    if signed:
        checkout = {
            key: value for key, value in request.headers.items() if key.startswith("checkout-")
        }
        checkout.pop("checkout-nonce")  # Paytrail echoes neither nonce nor timestamp (§1.2)
        checkout.pop("checkout-timestamp")
        checkout["checkout-algorithm"] = algorithm
        headers |= checkout
        headers["signature"] = sign(checkout, text, secret, algorithm)
    return httpx.Response(status, headers=headers, content=content)


@pytest.fixture
def fake() -> FakePaytrail:
    return FakePaytrail()


@pytest.fixture
def client(fake: FakePaytrail) -> PaytrailClient:
    return PaytrailClient(MERCHANT, base_url=BASE_URL, transport=httpx.MockTransport(fake))


def refund(client: PaytrailClient, **kw: Any) -> RefundResult:
    args: dict[str, Any] = {
        "amount": 1000,
        "refund_stamp": "6f1c3e1e-refund",
        "refund_reference": "ABC123",
        "callback_urls": CALLBACKS,
        "email": "maija@example.com",
    }
    return client.refund(PAYMENT_ID, **(args | kw))


# -- happy paths -------------------------------------------------------------------------------


def test_create_payment(client: PaytrailClient, fake: FakePaytrail) -> None:
    created = client.create_payment(CREATE_BODY)

    assert created == CreatedPayment(
        transaction_id=PAYMENT_ID,
        href=f"https://pay.paytrail.com/pay/{PAYMENT_ID}",
        reference="809759248",
        raw=CREATED,
    )
    assert fake.last.method == "POST"
    assert str(fake.last.url) == "https://paytrail.test/api/payments"
    assert json.loads(fake.last.content) == CREATE_BODY


def test_create_payment_signs_exactly_the_compact_utf8_bytes_sent(
    client: PaytrailClient, fake: FakePaytrail
) -> None:
    client.create_payment(CREATE_BODY)

    sent = fake.last.content
    assert b", " not in sent and b'": ' not in sent
    assert "Meikäläinen".encode() in sent  # not \u00e4-escaped
    assert fake.last.headers["signature"] == sign(fake.last.headers, sent.decode(), SECRET)


def test_create_payment_reproduces_the_documented_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    # Spec §8 V1: with its nonce and timestamp, our request must carry its published signature.
    monkeypatch.setattr(client_module, "_timestamp", lambda: "2018-07-06T10:01:31.904Z")
    monkeypatch.setattr(client_module.uuid, "uuid4", lambda: "564635208570151")
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return paytrail_response(request, 201, CREATED)

    client = PaytrailClient(MERCHANT, base_url=BASE_URL, transport=httpx.MockTransport(record))
    client.create_payment(V1_BODY)

    assert sent[0].headers["signature"] == (
        "9a4a7735279de4c99268e4566a5526ae887e73e6e58f2918cb2309ccac366129"
    )


def test_get_payment(client: PaytrailClient, fake: FakePaytrail) -> None:
    status = client.get_payment(PAYMENT_ID)

    assert status == PaymentStatus(
        transaction_id=PAYMENT_ID,
        status="ok",
        amount=1525,
        stamp="order-ABC123-1",
        reference="ABC123",
        provider="nordea",
        raw=STATUS,
    )
    assert fake.last.method == "GET"
    assert fake.last.url.path == f"/api/payments/{PAYMENT_ID}"
    assert fake.last.headers["checkout-transaction-id"] == PAYMENT_ID


def test_get_payment_of_a_new_payment_has_no_provider(
    client: PaytrailClient, fake: FakePaytrail
) -> None:
    new = {k: v for k, v in STATUS.items() if k != "provider"} | {"status": "new"}
    fake.replies(200, new)

    status = client.get_payment(PAYMENT_ID)

    assert (status.status, status.provider) == ("new", None)


def test_get_payment_quotes_the_transaction_id(client: PaytrailClient, fake: FakePaytrail) -> None:
    client.get_payment("a/../b")

    assert fake.last.url.raw_path == b"/api/payments/a%2F..%2Fb"


def test_refund(client: PaytrailClient, fake: FakePaytrail) -> None:
    result = refund(client)

    assert result == RefundResult(
        transaction_id=REFUND_ID, provider="nordea", status="ok", raw=REFUNDED
    )
    assert fake.last.url.path == f"/api/payments/{PAYMENT_ID}/refund"
    # The ORIGINAL payment's id, not the refund's (spec §5.1).
    assert fake.last.headers["checkout-transaction-id"] == PAYMENT_ID
    assert json.loads(fake.last.content) == {
        "amount": 1000,
        "refundStamp": "6f1c3e1e-refund",
        "refundReference": "ABC123",
        "callbackUrls": CALLBACKS,
        "email": "maija@example.com",
    }


def test_refund_without_email_sends_no_email(client: PaytrailClient, fake: FakePaytrail) -> None:
    refund(client, email=None)

    assert "email" not in json.loads(fake.last.content)


def test_refund_falling_back_to_email(client: PaytrailClient, fake: FakePaytrail) -> None:
    fake.replies(201, {"provider": "email refund", "status": "pending", "transactionId": REFUND_ID})

    result = refund(client)

    assert (result.provider, result.status) == ("email refund", "pending")


@pytest.mark.parametrize("amount", [0, -100, True])
def test_refund_of_no_positive_amount_is_not_sent(
    client: PaytrailClient, fake: FakePaytrail, amount: int
) -> None:
    with pytest.raises(ValueError):
        refund(client, amount=amount)
    assert fake.requests == []


def test_sha512_answers_are_verified(client: PaytrailClient, fake: FakePaytrail) -> None:
    fake.replies(200, STATUS, algorithm="sha512")

    assert client.get_payment(PAYMENT_ID).status == "ok"


def test_request_id_is_logged(client: PaytrailClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="boxoffice.payments.paytrail.client"):
        client.get_payment(PAYMENT_ID)

    assert "request-id=req-42" in caplog.text


def test_request_id_under_its_2019_name_is_logged(
    client: PaytrailClient, fake: FakePaytrail, caplog: pytest.LogCaptureFixture
) -> None:
    def old_name(request: httpx.Request) -> httpx.Response:
        response = paytrail_response(request, 200, STATUS)
        response.headers["cof-request-id"] = response.headers.pop("request-id")
        return response

    fake.answer = old_name
    with caplog.at_level(logging.INFO, logger="boxoffice.payments.paytrail.client"):
        client.get_payment(PAYMENT_ID)

    assert "request-id=req-42" in caplog.text


def test_timeouts_come_from_settings(fake: FakePaytrail, settings: Any) -> None:
    settings.PAYTRAIL_TIMEOUT_SECONDS = 7
    settings.PAYTRAIL_API_URL = "https://configured.test/pt"

    with PaytrailClient(MERCHANT, transport=httpx.MockTransport(fake)) as client:
        client.create_payment(CREATE_BODY)

    assert str(fake.last.url) == "https://configured.test/pt/payments"
    assert fake.last.extensions["timeout"] == dict.fromkeys(("connect", "read", "write", "pool"), 7)


# -- answers that cannot be trusted ------------------------------------------------------------


def test_answer_signed_with_another_secret_is_refused(
    client: PaytrailClient, fake: FakePaytrail
) -> None:
    fake.replies(201, REFUNDED, secret="NOT-THE-SECRET")

    with pytest.raises(PaytrailBadSignature) as caught:
        refund(client)
    assert caught.value.status_code == 201
    assert caught.value.request_id == "req-42"


def test_answer_with_a_tampered_body_is_refused(client: PaytrailClient, fake: FakePaytrail) -> None:
    def tampered(request: httpx.Request) -> httpx.Response:
        genuine = paytrail_response(request, 200, STATUS)
        body = genuine.content.replace(b'"status": "ok"', b'"status": "fail"')
        assert body != genuine.content
        return httpx.Response(200, headers=genuine.headers, content=body)

    fake.answer = tampered

    with pytest.raises(PaytrailBadSignature):
        client.get_payment(PAYMENT_ID)


def test_unsigned_success_is_refused(client: PaytrailClient, fake: FakePaytrail) -> None:
    fake.replies(201, CREATED, signed=False)

    with pytest.raises(PaytrailBadSignature, match="not signed"):
        client.create_payment(CREATE_BODY)


def test_error_answer_with_a_wrong_signature_is_refused(
    client: PaytrailClient, fake: FakePaytrail
) -> None:
    fake.replies(400, BALANCE_ERROR, secret="NOT-THE-SECRET")

    with pytest.raises(PaytrailBadSignature):
        refund(client)


# -- Paytrail says no (4xx) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "paytrail_message", "meta"),
    [
        (401, {"status": "error", "message": "Invalid signature"}, "Invalid signature", None),
        (400, BALANCE_ERROR, BALANCE_ERROR["message"], BALANCE_ERROR["meta"]),
        (404, {"status": "error", "message": "Not found", "meta": []}, "Not found", []),
        (
            422,
            {"status": "error", "message": "Provider does not support refunds", "meta": ["x"]},
            "Provider does not support refunds",
            ["x"],
        ),
    ],
    ids=["401", "400-balance", "404", "422"],
)
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_refusals_carry_paytrails_message_and_meta(
    client: PaytrailClient,
    fake: FakePaytrail,
    status: int,
    body: dict[str, Any],
    paytrail_message: str,
    meta: object,
    signed: bool,
) -> None:
    fake.replies(status, body, signed=signed)

    with pytest.raises(PaytrailRejected) as caught:
        refund(client)

    error = caught.value
    assert (error.status_code, error.paytrail_message, error.meta) == (
        status,
        paytrail_message,
        meta,
    )
    assert str(error) == f"Paytrail refused the refund: {paytrail_message}"


def test_refusal_names_the_call(client: PaytrailClient, fake: FakePaytrail) -> None:
    fake.replies(400, {"status": "error", "message": "amount must be > 0"})

    with pytest.raises(PaytrailRejected) as caught:
        client.create_payment(CREATE_BODY)

    assert str(caught.value) == "Paytrail refused the payment: amount must be > 0"


@pytest.mark.parametrize(
    "body", ["<html>Bad Request</html>", "", "[1, 2]", '{"message": 42}', b"\xff\xfe"]
)
def test_refusal_without_a_readable_message(
    client: PaytrailClient, fake: FakePaytrail, body: str | bytes
) -> None:
    fake.replies(400, body, signed=False)

    with pytest.raises(PaytrailRejected) as caught:
        client.get_payment(PAYMENT_ID)

    assert caught.value.paytrail_message == ""
    assert caught.value.meta is None
    assert str(caught.value) == (
        "Paytrail refused the payment status lookup: no reason given (HTTP 400)"
    )


# -- Paytrail unreachable or broken (transient) --------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.parametrize(
    "body", ['{"status":"error","message":"Internal"}', "<html>Bad Gateway</html>", b"\xff\xfe"]
)
def test_server_errors_are_transient_and_may_have_been_delivered(
    client: PaytrailClient, fake: FakePaytrail, status: int, body: str | bytes
) -> None:
    fake.replies(status, body, signed=False)

    with pytest.raises(PaytrailUnavailable) as caught:
        refund(client)

    assert caught.value.maybe_delivered is True
    assert caught.value.status_code == status


@pytest.mark.parametrize(
    ("error", "maybe_delivered"),
    [
        (httpx.ConnectError("connection refused"), False),
        (httpx.ConnectTimeout("connect timed out"), False),
        (httpx.PoolTimeout("no free connection"), False),
        (httpx.ReadTimeout("read timed out"), True),
        (httpx.WriteTimeout("write timed out"), True),
        (httpx.RemoteProtocolError("server hung up"), True),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_transport_errors_say_whether_paytrail_may_have_the_request(
    client: PaytrailClient, fake: FakePaytrail, error: httpx.TransportError, maybe_delivered: bool
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    fake.answer = fail

    with pytest.raises(PaytrailUnavailable) as caught:
        refund(client)

    assert caught.value.maybe_delivered is maybe_delivered
    assert caught.value.__cause__ is error


# -- answers we cannot read ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({**STATUS, "amount": "1525"}),
        json.dumps({**STATUS, "amount": True}),
        json.dumps({k: v for k, v in STATUS.items() if k != "status"}),
    ],
    ids=["not json", "not an object", "amount as text", "amount as bool", "no status"],
)
def test_unreadable_success_is_an_error(
    client: PaytrailClient, fake: FakePaytrail, body: str
) -> None:
    fake.replies(200, body)

    with pytest.raises(PaytrailError) as caught:
        client.get_payment(PAYMENT_ID)

    assert type(caught.value) is PaytrailError
    assert str(caught.value).startswith("Paytrail's answer could not be read")


def test_redirect_is_not_followed_but_an_error(client: PaytrailClient, fake: FakePaytrail) -> None:
    fake.replies(302, "", signed=False)

    with pytest.raises(PaytrailError) as caught:
        client.get_payment(PAYMENT_ID)

    assert type(caught.value) is PaytrailError
    assert caught.value.status_code == 302


# -- to_cents ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (Decimal("49.90"), 4990),
        (Decimal("103"), 10300),
        (Decimal("0.01"), 1),
        (Decimal("0.10"), 10),
        (Decimal("1.500"), 150),
        (Decimal("-2.50"), -250),
        (Decimal("0"), 0),
        (Decimal("999999.99"), 99999999),
    ],
)
def test_to_cents(amount: Decimal, cents: int) -> None:
    assert to_cents(amount) == cents
    assert type(to_cents(amount)) is int


@pytest.mark.parametrize("amount", [Decimal("0.001"), Decimal("49.995"), Decimal("NaN")])
def test_to_cents_refuses_fractions_of_a_cent(amount: Decimal) -> None:
    with pytest.raises(ValueError):
        to_cents(amount)


def test_to_cents_refuses_floats() -> None:
    with pytest.raises(TypeError):
        to_cents(49.9)  # type: ignore[arg-type]
