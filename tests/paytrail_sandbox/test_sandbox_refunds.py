"""Refunds (spec §5, §6.5): balance, items, provider rules, outcomes, callbacks, repeated stamps."""

from typing import Any

import pytest
from django.test import Client

from boxoffice.payments.paytrail.signing import verify
from boxoffice.paytrail_sandbox import control
from boxoffice.paytrail_sandbox.testing import (
    CallbackRecorder,
    complete_refund,
    refund_calls,
    remaining_refund_balance,
    sandbox_refunds_for,
)

from .helpers import Merchant, pay, refund_body

BALANCE = "Refund amount exceeds the remaining refund balance"


def _signed(params: dict[str, str]) -> dict[str, str]:
    verify(params, "", "SAIPPUAKAUPPIAS", params.get("signature"))
    return {k: v for k, v in params.items() if k != "signature"}


def test_an_ok_refund_answers_201_and_calls_the_success_url(
    merchant: Merchant, paid: Any, callbacks: CallbackRecorder
) -> None:
    tid = paid("osuuspankki")
    callbacks.urls.clear()
    response = merchant.refund(tid, amount=1500)
    assert response.status_code == 201
    merchant.verify(response)
    assert response.headers["checkout-transaction-id"] == tid
    data = response.json()
    assert data["provider"] == "osuuspankki"
    assert data["status"] == "ok"
    refund_tid = data["transactionId"]
    assert refund_tid != tid
    # The merchant's refund URL had ?r=1 already: extended with &.
    assert callbacks.urls[0].startswith("https://shop.example.com/refund/ok?r=1&checkout-")
    assert _signed(callbacks.params(0)) == {
        "r": "1",
        "checkout-account": "375917",
        "checkout-algorithm": "sha256",
        "checkout-amount": "1500",
        "checkout-stamp": "refund-1",
        "checkout-reference": "R-1",
        "checkout-transaction-id": refund_tid,
        "checkout-status": "ok",
        "checkout-provider": "osuuspankki",
    }
    assert remaining_refund_balance(tid) == 4050 - 1500


def test_get_answers_for_the_refund_transaction(merchant: Merchant, paid: Any) -> None:
    tid = paid("osuuspankki")
    refund_tid = merchant.refund(tid, amount=700).json()["transactionId"]
    response = merchant.get(refund_tid)
    assert response.status_code == 200
    merchant.verify(response)
    data = response.json()
    assert data["transactionId"] == refund_tid
    assert (data["status"], data["amount"], data["stamp"], data["reference"]) == (
        "ok",
        700,
        "refund-1",
        "R-1",
    )
    # The payment itself is unchanged by a partial refund.
    assert merchant.get(tid).json()["status"] == "ok"


def test_only_an_ok_payment_can_be_refunded(
    merchant: Merchant, client: Client, callbacks: CallbackRecorder
) -> None:
    new = merchant.create()["transactionId"]
    failed = merchant.create(stamp="2")["transactionId"]
    pay(client, failed, "fail")
    pending = merchant.create(stamp="3")["transactionId"]
    pay(client, pending, "pending")
    callbacks.urls.clear()
    for tid in (new, failed, pending):
        response = merchant.refund(tid)
        assert response.status_code == 400
        assert response.json()["status"] == "error"
        assert sandbox_refunds_for(tid) == []
    assert callbacks.urls == []


def test_refund_of_an_unknown_transaction_is_404(merchant: Merchant) -> None:
    assert merchant.refund("00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_remaining_balance_is_enforced_with_paytrails_message(
    merchant: Merchant, paid: Any
) -> None:
    tid = paid("osuuspankki")
    assert merchant.refund(tid, amount=3050, refundStamp="a").status_code == 201
    over = merchant.refund(tid, amount=1001, refundStamp="b")
    assert over.status_code == 400
    merchant.verify(over)
    assert over.json() == {
        "status": "error",
        "message": BALANCE,
        "meta": {"invalidRefunds": [{"remainingRefundBalance": 1000}]},
    }
    assert merchant.refund(tid, amount=1000, refundStamp="c").status_code == 201
    full = merchant.refund(tid, amount=1, refundStamp="d")
    assert full.json()["meta"] == {"invalidRefunds": [{"remainingRefundBalance": 0}]}
    assert [r.refund_stamp for r in sandbox_refunds_for(tid)] == ["a", "c"]


def test_item_refunds_track_each_items_balance(merchant: Merchant, paid: Any) -> None:
    tid = paid("osuuspankki")
    items_only = merchant.refund(tid, amount=None, items=[{"stamp": "item-day", "amount": 1525}])
    assert items_only.status_code == 201
    both = merchant.refund(
        tid, amount=1525, items=[{"stamp": "item-day", "amount": 1525}], refundStamp="2"
    )
    assert both.status_code == 201
    over = merchant.refund(tid, amount=None, items=[{"stamp": "item-day", "amount": 1}])
    assert over.status_code == 400
    assert over.json()["message"] == BALANCE
    assert over.json()["meta"] == {
        "invalidRefunds": [{"stamp": "item-day", "remainingRefundBalance": 0}]
    }
    assert sandbox_refunds_for(tid)[0].items == [{"stamp": "item-day", "amount": 1525}]
    assert remaining_refund_balance(tid) == 1000


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"amount": 1000, "items": [{"stamp": "item-day", "amount": 999}]}, "does not match"),
        ({"amount": None, "items": [{"stamp": "nope", "amount": 1}]}, "No item with stamp"),
        ({"amount": -100}, "amount must be between 1"),
        ({"amount": None}, "amount or items is required"),
        ({"callbackUrls": None}, "callbackUrls is required"),
        ({"email": "nope"}, "email is not a valid email address"),
        ({"refundStamp": "x" * 201}, "refundStamp must be at most 200"),
    ],
)
def test_refund_validation(
    merchant: Merchant, paid: Any, changes: dict[str, Any], problem: str
) -> None:
    tid = paid("osuuspankki")
    body = {k: v for k, v in changes.items() if v is not None}
    missing = [k for k, v in changes.items() if v is None]
    response = _refund_without(merchant, tid, missing, **body)
    assert response.status_code == 400
    assert any(problem in line for line in response.json()["meta"]), response.json()
    assert sandbox_refunds_for(tid) == []


def _refund_without(merchant: Merchant, tid: str, missing: list[str], **changes: Any) -> Any:
    body = refund_body(**changes)
    for key in missing:
        body.pop(key, None)
    return merchant.post(f"/payments/{tid}/refund", body, transaction_id=tid)


@pytest.mark.parametrize("provider", ["spankki", "alandsbanken"])
def test_email_only_banks_refund_by_email_or_answer_422(
    merchant: Merchant, paid: Any, callbacks: CallbackRecorder, provider: str
) -> None:
    tid = paid(provider)
    callbacks.urls.clear()
    no_email = _refund_without(merchant, tid, ["email"])
    assert no_email.status_code == 422
    assert sandbox_refunds_for(tid) == []
    response = merchant.refund(tid)
    assert response.status_code == 201
    assert response.json()["provider"] == "email refund"
    # Initiated, not confirmed (spec §5.2): pending, and a callback saying so.
    assert response.json()["status"] == "pending"
    assert _signed(callbacks.params(0))["checkout-status"] == "pending"
    assert _signed(callbacks.params(0))["checkout-provider"] == "email refund"
    complete_refund(response.json()["transactionId"], "ok")
    assert _signed(callbacks.params(1))["checkout-status"] == "ok"
    assert merchant.get(response.json()["transactionId"]).json()["status"] == "ok"


def test_nordea_allows_one_refund_then_email_or_422(merchant: Merchant, paid: Any) -> None:
    tid = paid("nordea")
    first = merchant.refund(tid, amount=1000, refundStamp="1")
    assert (first.status_code, first.json()["provider"]) == (201, "nordea")
    second = _refund_without(merchant, tid, ["email"], amount=1000, refundStamp="2")
    assert second.status_code == 422
    third = merchant.refund(tid, amount=1000, refundStamp="3")
    assert (third.status_code, third.json()["provider"]) == (201, "email refund")


def test_the_deprecated_email_endpoint(merchant: Merchant, paid: Any) -> None:
    tid = paid("osuuspankki")
    path = f"/payments/{tid}/refund/email"
    without = refund_body()
    del without["email"]
    assert merchant.post(path, without, transaction_id=tid).status_code == 400
    response = merchant.post(path, refund_body(), transaction_id=tid)
    assert (response.status_code, response.json()["provider"]) == (201, "email refund")


def test_a_failing_refund_calls_the_cancel_url_and_frees_the_balance(
    merchant: Merchant, paid: Any, callbacks: CallbackRecorder
) -> None:
    tid = paid("osuuspankki")
    callbacks.urls.clear()
    with control.switches(refund_outcome="fail", refund_outcome_times=1):
        response = merchant.refund(tid, amount=4050)
    assert response.json()["status"] == "fail"
    refund_tid = response.json()["transactionId"]
    assert callbacks.urls[0].startswith("https://shop.example.com/refund/cancel?checkout-")
    params = _signed(callbacks.params(0))
    assert (params["checkout-status"], params["checkout-transaction-id"]) == ("fail", refund_tid)
    assert merchant.get(refund_tid).json()["status"] == "fail"
    assert remaining_refund_balance(tid) == 4050
    # refund_outcome_times=1: the next refund is ok again.
    assert merchant.refund(tid, amount=4050, refundStamp="again").json()["status"] == "ok"


def test_low_balance_cancels_without_a_transaction_id(
    merchant: Merchant, paid: Any, callbacks: CallbackRecorder
) -> None:
    tid = paid("osuuspankki")
    callbacks.urls.clear()
    with control.switches(refund_outcome="low_balance"):
        response = merchant.refund(tid, amount=1000)
    assert response.status_code == 201
    merchant.verify(response)
    # The refund transaction never came to exist: no id to answer with or to look up later.
    assert response.json() == {"provider": "osuuspankki", "status": "pending"}
    params = _signed(callbacks.params(0))
    assert callbacks.urls[0].startswith("https://shop.example.com/refund/cancel?")
    assert "checkout-transaction-id" not in params
    assert (params["checkout-status"], params["checkout-stamp"]) == ("fail", "refund-1")
    assert params["checkout-amount"] == "1000"
    [refund] = sandbox_refunds_for(tid)
    assert (refund.transaction_id, refund.outcome) == (None, "low_balance")
    assert remaining_refund_balance(tid) == 4050


def test_a_pending_refund_completes_later(
    merchant: Merchant, paid: Any, callbacks: CallbackRecorder
) -> None:
    tid = paid("osuuspankki")
    callbacks.urls.clear()
    with control.switches(refund_outcome="pending", refund_outcome_times=1):
        response = merchant.refund(tid, amount=1000)
    assert response.json()["status"] == "pending"
    assert callbacks.urls == []
    refund_tid = response.json()["transactionId"]
    assert merchant.get(refund_tid).json()["status"] == "pending"
    # In flight: it already counts against the balance.
    assert remaining_refund_balance(tid) == 3050
    complete_refund(refund_tid, "fail")
    assert _signed(callbacks.params(0))["checkout-status"] == "fail"
    assert callbacks.urls[0].startswith("https://shop.example.com/refund/cancel?")
    assert remaining_refund_balance(tid) == 4050


def test_a_repeated_refund_stamp_makes_a_second_refund_by_default(
    merchant: Merchant, paid: Any
) -> None:
    tid = paid("osuuspankki")
    assert merchant.refund(tid, amount=1000).status_code == 201
    assert merchant.refund(tid, amount=1000).status_code == 201
    refunds = sandbox_refunds_for(tid)
    assert [r.refund_stamp for r in refunds] == ["refund-1", "refund-1"]
    assert len({r.transaction_id for r in refunds}) == 2
    assert remaining_refund_balance(tid) == 2050


def test_a_repeated_refund_stamp_can_be_rejected(merchant: Merchant, paid: Any) -> None:
    tid = paid("osuuspankki")
    with control.switches(refund_stamp_policy="reject"):
        assert merchant.refund(tid, amount=1000).status_code == 201
        repeat = merchant.refund(tid, amount=1000)
    assert repeat.status_code == 400
    assert "refundStamp" in repeat.json()["message"]
    assert len(sandbox_refunds_for(tid)) == 1
    assert [c.status_code for c in refund_calls(tid)] == [201, 400]
