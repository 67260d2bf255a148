"""PAYTRAIL_SANDBOX_LATENCY_MS: every API call is answered that much later, as by the real
service; the hosted payment page (a browser's) is not slowed. No clocks: time.sleep is watched."""

from typing import Any

import pytest
from django.test import Client

from boxoffice.paytrail_sandbox import api

from .helpers import Merchant, pay


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(api.time, "sleep", waited.append)
    return waited


def test_each_api_call_waits_the_latency_then_does_its_work(
    merchant: Merchant, client: Client, settings: Any, sleeps: list[float]
) -> None:
    settings.PAYTRAIL_SANDBOX_LATENCY_MS = 150
    created = merchant.create()
    transaction_id = created["transactionId"]
    assert sleeps == [0.15]
    assert pay(client, transaction_id, "pay", "nordea").status_code == 302
    assert sleeps == [0.15]  # the hosted page answers at once
    response = merchant.refund(transaction_id, amount=1000)
    assert response.status_code == 201
    assert response.json()["status"] == "ok"
    assert merchant.get(transaction_id).status_code == 200
    assert sleeps == [0.15, 0.15, 0.15]


def test_no_latency_by_default(merchant: Merchant, paid: Any, sleeps: list[float]) -> None:
    transaction_id = paid()
    assert merchant.refund(transaction_id, amount=1000).status_code == 201
    assert sleeps == []
