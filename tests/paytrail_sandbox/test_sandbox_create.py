"""POST /payments validates like spec §2.1 and answers like §2.2; GET /payments/{id} like §4."""

from typing import Any

import pytest
from django.test import Client

from boxoffice.paytrail_sandbox.models import SandboxPayment
from boxoffice.paytrail_sandbox.testing import complete_payment, sandbox_payment

from .helpers import ROOT, Merchant, payment_body

ITEM = {"unitPrice": 4050, "units": 1, "vatPercentage": 25.5, "productCode": "x"}


def _reference_is_valid(reference: str) -> bool:
    """Finnish bank reference check digit (7-3-1 weights)."""
    base, check = reference[:-1], int(reference[-1])
    weights = (7, 3, 1)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(base)))
    return (10 - total % 10) % 10 == check


def test_create_answers_201_with_the_hosted_page_and_methods(merchant: Merchant) -> None:
    response = merchant.post("/payments", payment_body())
    assert response.status_code == 201
    data = response.json()
    tid = data["transactionId"]
    # Built from the request, so it works on any host and port.
    assert data["href"] == f"http://testserver{ROOT}/pay/{tid}"
    assert data["reference"].isdigit() and _reference_is_valid(data["reference"])
    assert "terms" in data
    provider_ids = {p["id"] for p in data["providers"]}
    assert {"nordea", "osuuspankki", "spankki", "creditcard"} <= provider_ids
    nordea = next(p for p in data["providers"] if p["id"] == "nordea")
    assert nordea["url"] == data["href"]
    assert nordea["parameters"] == [{"name": "provider", "value": "nordea"}]
    assert {g["id"] for g in data["groups"]} == {"bank", "creditcard", "mobile"}
    payment = sandbox_payment(tid)
    assert (payment.status, payment.amount, payment.stamp) == ("new", 4050, "order-1")


def test_groups_limit_the_methods(merchant: Merchant) -> None:
    data = merchant.create(groups=["creditcard"])
    assert {p["id"] for p in data["providers"]} == {"creditcard"}
    assert [g["id"] for g in data["groups"]] == ["creditcard"]


def test_a_payment_without_items_and_with_callback_delay(merchant: Merchant) -> None:
    body = payment_body(callbackDelay=5)
    del body["items"], body["callbackUrls"]
    response = merchant.post("/payments", body)
    assert response.status_code == 201
    payment = sandbox_payment(response.json()["transactionId"])
    assert (payment.items, payment.callback_delay, payment.callback_urls) == ([], 5, {})


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"stamp": None}, "stamp is required"),
        ({"stamp": "s" * 201}, "stamp must be at most 200 characters"),
        ({"reference": None}, "reference is required"),
        ({"amount": None}, "amount is required"),
        ({"amount": 0, "items": None}, "amount must be between 1 and 99999999"),
        ({"amount": -5, "items": None}, "amount must be between 1 and 99999999"),
        ({"amount": 40.5, "items": None}, "amount must be an integer"),
        ({"amount": 4000}, "amount 4000 does not match the item total 4050"),
        ({"currency": "SEK"}, "currency must be EUR"),
        ({"language": "DE"}, "language must be one of FI, SV, EN"),
        ({"customer": None}, "customer is required"),
        ({"customer": {}}, "customer.email is required"),
        ({"customer": {"email": "not-an-email"}}, "customer.email is not a valid email address"),
        ({"customer": {"email": "a@b.fi", "firstName": "x" * 51}}, "customer.firstName must"),
        ({"redirectUrls": None}, "redirectUrls is required"),
        ({"redirectUrls": {"success": "https://a.fi"}}, "redirectUrls.cancel is required"),
        (
            {"redirectUrls": {"success": "https://a.fi/" + "x" * 300, "cancel": "https://a.fi"}},
            "redirectUrls.success must be at most 300 characters",
        ),
        (
            {"callbackUrls": {"success": "/relative", "cancel": "https://a.fi"}},
            "callbackUrls.success must be an absolute http(s) URL",
        ),
        ({"callbackDelay": 901}, "callbackDelay must be between 0 and 900"),
        ({"items": []}, "items must be a non-empty list"),
        ({"items": [{**ITEM, "units": 0}]}, "items[0].units must be between 1"),
        ({"items": [{**ITEM, "vatPercentage": 25.55}]}, "items[0].vatPercentage must be 0-100"),
        ({"items": [{**ITEM, "vatPercentage": 101}]}, "items[0].vatPercentage must be 0-100"),
        ({"items": [{**ITEM, "productCode": "p" * 101}]}, "items[0].productCode must be at most"),
        (
            {"items": [{k: v for k, v in ITEM.items() if k != "productCode"}]},
            "items[0].productCode is required",
        ),
        (
            {
                "items": [{**ITEM, "units": 2, "unitPrice": 2025, "stamp": "a"}] * 1
                + [{**ITEM, "stamp": "a", "unitPrice": 0}]
            },
            "items[1].stamp must be unique among the items",
        ),
        (
            {"usePricesWithoutVat": True, "items": None},
            "items is required when usePricesWithoutVat",
        ),
        (
            {
                "deliveryAddress": {
                    "streetAddress": "x" * 51,
                    "postalCode": "00100",
                    "city": "H",
                    "country": "FI",
                }
            },
            "deliveryAddress.streetAddress must be at most 50",
        ),
        ({"groups": ["bank", "cash"]}, "groups must be a list of"),
    ],
)
def test_create_validation_errors(
    merchant: Merchant, changes: dict[str, Any], problem: str
) -> None:
    body = payment_body()
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    response = merchant.post("/payments", body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["status"] == "error"
    assert data["message"] == "Validation failed"
    assert any(line.startswith(problem) for line in data["meta"]), data["meta"]
    assert SandboxPayment.objects.count() == 0


def test_a_body_that_is_not_a_json_object_is_400(merchant: Merchant) -> None:
    assert merchant.post("/payments", "[1, 2]").status_code == 400
    assert merchant.post("/payments", "{not json").status_code == 400


def test_get_follows_the_payment_through_its_states(merchant: Merchant) -> None:
    data = merchant.create()
    tid = data["transactionId"]
    new = merchant.get(tid).json()
    assert new["status"] == "new"
    assert new["href"] == data["href"]
    assert (new["amount"], new["currency"], new["stamp"], new["reference"]) == (
        4050,
        "EUR",
        "order-1",
        "ABC123",  # ours here, unlike the create answer's bank reference
    )
    assert new["createdAt"].endswith("Z")
    assert "provider" not in new
    complete_payment(tid, "pending", provider="osuuspankki")
    pending = merchant.get(tid).json()
    assert (pending["status"], pending["provider"]) == ("pending", "osuuspankki")
    assert "href" not in pending
    complete_payment(tid, "ok")
    ok = merchant.get(tid).json()
    assert (ok["status"], ok["provider"]) == ("ok", "osuuspankki")
    assert ok["paidAt"]


def test_unknown_transaction_is_404(merchant: Merchant) -> None:
    response = merchant.get("no-such-transaction")
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Transaction not found"}


def test_state_machine_refuses_moves_out_of_final_states(merchant: Merchant) -> None:
    from boxoffice.paytrail_sandbox.payments import TransitionRefused

    ok = merchant.create()["transactionId"]
    complete_payment(ok, "ok")
    delayed = merchant.create(stamp="2")["transactionId"]
    complete_payment(delayed, "delayed")
    for tid, status in ((ok, "fail"), (ok, "pending"), (delayed, "fail"), (delayed, "pending")):
        with pytest.raises(TransitionRefused):
            complete_payment(tid, status)
    complete_payment(delayed, "ok")
    assert sandbox_payment(delayed).status == "ok"


def test_api_root_paths_have_no_trailing_slash(client: Client) -> None:
    # The client builds paths exactly as Paytrail's: /payments, /payments/{id}.
    assert client.post(f"{ROOT}/payments/").status_code == 404
