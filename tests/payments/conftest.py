"""A scriptable fake Paytrail (httpx MockTransport) and a way to run the queued tasks."""

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from boxoffice.payments import paytrail_refunds
from boxoffice.payments.paytrail.client import PaytrailClient
from boxoffice.payments.paytrail.credentials import Merchant
from boxoffice.payments.paytrail.signing import sign, verify

Reply = str | int | type[Exception] | Callable[[], None]


@dataclass
class FakePaytrail:
    """Answers refund POSTs and GETs as Paytrail would; ``replies`` scripts the next answers.

    A reply is a refund status ("ok", "pending", "fail"), an HTTP error status (400, 500), an
    httpx exception class to raise (timeouts, connection errors), or a callable run before the
    answer (e.g. to deliver a callback first).
    """

    secret: str = "SAIPPUAKAUPPIAS"
    replies: list[Reply] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    lookups: dict[str, str] = field(default_factory=dict)

    def handler(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.startswith("checkout-")}
        verify(headers, request.content.decode(), self.secret, request.headers.get("signature"))
        if request.method == "GET":
            tid = request.url.path.rsplit("/", 1)[-1]
            if tid not in self.lookups:
                return httpx.Response(404, json={"status": "error", "message": "Not found"})
            return self._signed(
                200,
                {
                    "transactionId": tid,
                    "status": self.lookups[tid],
                    "amount": 1,
                    "stamp": "s",
                    "reference": "r",
                },
                headers,
            )
        reply: Reply = self.replies.pop(0) if self.replies else "ok"
        while callable(reply) and not isinstance(reply, type):
            reply()
            reply = self.replies.pop(0) if self.replies else "ok"
        if isinstance(reply, type):
            raise reply("scripted failure", request=request)
        if isinstance(reply, int):
            return httpx.Response(reply, json={"status": "error", "message": f"HTTP {reply}"})
        body = json.loads(request.content)
        tid = str(uuid.uuid4())
        self.refunds.append({**body, "transactionId": tid, "status": reply})
        return self._signed(
            201, {"transactionId": tid, "provider": "nordea", "status": reply}, headers
        )

    def _signed(
        self, status: int, data: dict[str, Any], request_headers: dict[str, str]
    ) -> httpx.Response:
        text = json.dumps(data)
        headers = {
            "checkout-account": request_headers["checkout-account"],
            "checkout-algorithm": "sha256",
            "checkout-method": request_headers["checkout-method"],
            "request-id": str(uuid.uuid4()),
        }
        headers["signature"] = sign(headers, text, self.secret)
        return httpx.Response(status, text=text, headers=headers)

    def callback_params(
        self, refund_stamp: str, status: str, transaction_id: str | None, amount: int = 1
    ) -> dict[str, str]:
        params = {
            "checkout-account": "375917",
            "checkout-algorithm": "sha256",
            "checkout-amount": str(amount),
            "checkout-stamp": refund_stamp,
            "checkout-reference": "ref",
            "checkout-status": status,
            "checkout-provider": "nordea",
        }
        if transaction_id:
            params["checkout-transaction-id"] = transaction_id
        params["signature"] = sign(params, "", self.secret)
        return params


@pytest.fixture
def paytrail(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[FakePaytrail]:
    settings.PAYTRAIL_RETRY_BASE_SECONDS = 0
    # Lookups are not due during a test unless it runs them itself (paytrail_refunds.check).
    settings.PAYTRAIL_REFUND_CONFIRM_SECONDS = 3600
    fake = FakePaytrail()

    def client(merchant: Merchant, **kwargs: Any) -> PaytrailClient:
        return PaytrailClient(merchant, transport=httpx.MockTransport(fake.handler))

    monkeypatch.setattr(paytrail_refunds, "PaytrailClient", client)
    yield fake
