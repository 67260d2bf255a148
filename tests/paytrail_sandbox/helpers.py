"""Calling the sandbox as a merchant would, through Django's test client (no network)."""

import json
from typing import Any

from django.test import Client

from boxoffice.payments.paytrail.signing import verify
from boxoffice.paytrail_sandbox.testing import signed_headers

ROOT = "/paytrail-sandbox"
TEST_ACCOUNT, TEST_SECRET = "375917", "SAIPPUAKAUPPIAS"
JSON = "application/json; charset=utf-8"


def payment_body(**overrides: Any) -> dict[str, Any]:
    """A valid create request: 2 x 15.25 + 1 x 10.00 = 40.50 with item stamps."""
    body: dict[str, Any] = {
        "stamp": "order-1",
        "reference": "ABC123",
        "amount": 4050,
        "currency": "EUR",
        "language": "FI",
        "items": [
            {
                "unitPrice": 1525,
                "units": 2,
                "vatPercentage": 25.5,
                "productCode": "day",
                "description": "Day ticket",
                "stamp": "item-day",
            },
            {
                "unitPrice": 1000,
                "units": 1,
                "vatPercentage": 14,
                "productCode": "parking",
                "stamp": "item-parking",
            },
        ],
        "customer": {"email": "maija@example.com"},
        "redirectUrls": {
            "success": "https://shop.example.com/ok?order=1",
            "cancel": "https://shop.example.com/cancel",
        },
        "callbackUrls": {
            "success": "https://shop.example.com/cb/ok",
            "cancel": "https://shop.example.com/cb/cancel",
        },
    }
    body.update(overrides)
    return body


def refund_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": 1000,
        "refundStamp": "refund-1",
        "refundReference": "R-1",
        "email": "maija@example.com",
        "callbackUrls": {
            "success": "https://shop.example.com/refund/ok?r=1",
            "cancel": "https://shop.example.com/refund/cancel",
        },
    }
    body.update(overrides)
    return body


class Merchant:
    """Signed API calls as one merchant."""

    def __init__(self, client: Client, account: str = TEST_ACCOUNT, secret: str = TEST_SECRET):
        self.client, self.account, self.secret = client, account, secret

    def headers(self, method: str, body: str = "", **kw: Any) -> dict[str, str]:
        return signed_headers(method, body, account=self.account, secret=self.secret, **kw)

    def post(self, path: str, data: Any, *, transaction_id: str | None = None) -> Any:
        text = data if isinstance(data, str) else json.dumps(data)
        headers = self.headers("POST", text, transaction_id=transaction_id)
        return self.client.post(ROOT + path, text, content_type=JSON, headers=headers)

    def get(self, transaction_id: str) -> Any:
        headers = self.headers("GET", transaction_id=transaction_id)
        return self.client.get(f"{ROOT}/payments/{transaction_id}", headers=headers)

    def create(self, **overrides: Any) -> dict[str, Any]:
        response = self.post("/payments", payment_body(**overrides))
        assert response.status_code == 201, response.content
        return dict(response.json())

    def refund(self, transaction_id: str, **overrides: Any) -> Any:
        path = f"/payments/{transaction_id}/refund"
        return self.post(path, refund_body(**overrides), transaction_id=transaction_id)

    def verify(self, response: Any) -> None:
        """Raise SignatureError unless the answer is signed with this merchant's secret."""
        headers = {name.lower(): value for name, value in response.headers.items()}
        verify(headers, response.content.decode(), self.secret, headers.get("signature"))


def pay(client: Client, transaction_id: str, action: str = "pay", provider: str = "nordea") -> Any:
    """Press a button on the hosted payment page."""
    return client.post(f"{ROOT}/pay/{transaction_id}", {"provider": provider, "action": action})
