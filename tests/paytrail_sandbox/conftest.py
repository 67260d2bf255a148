"""Fixtures: a merchant calling the sandbox, paid payments, and recorded callbacks."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from boxoffice.paytrail_sandbox.testing import CallbackRecorder, recorded_callbacks

from .helpers import Merchant, pay


@pytest.fixture(autouse=True)
def callbacks(db: None) -> Iterator[CallbackRecorder]:
    """Every test delivers callbacks synchronously to a recorder: deterministic, no network."""
    with recorded_callbacks() as recorder:
        yield recorder


@pytest.fixture
def merchant(client: Client) -> Merchant:
    return Merchant(client)


@pytest.fixture
def paid(merchant: Merchant, client: Client) -> Any:
    """paid(provider="nordea", **body) -> transaction id of an ok payment of 40.50."""

    def make(provider: str = "nordea", **overrides: Any) -> str:
        transaction_id = str(merchant.create(**overrides)["transactionId"])
        assert pay(client, transaction_id, "pay", provider).status_code == 302
        return transaction_id

    return make


@pytest.fixture
def staff_client(staff_user: Any) -> Client:
    """Platform staff, logged in: the only people the control page serves."""
    client = Client()
    client.force_login(staff_user)
    return client
