"""The project's own Paytrail client against the sandbox on a live server (a random port).

The contract test between the two: if either drifts from spec §1-5, this fails.
"""

import time
from typing import Any

import httpx
import pytest

from boxoffice.payments.paytrail.client import PaytrailClient
from boxoffice.payments.paytrail.credentials import Merchant
from boxoffice.payments.paytrail.errors import PaytrailRejected, PaytrailUnavailable
from boxoffice.paytrail_sandbox import control
from boxoffice.paytrail_sandbox.testing import CallbackRecorder, sandbox_refunds_for

from .helpers import payment_body

MERCHANT = Merchant(account="375917", secret="SAIPPUAKAUPPIAS")
CALLBACKS = {"success": "https://shop.example.com/r/ok", "cancel": "https://shop.example.com/r/no"}


@pytest.fixture
def api(live_server: Any) -> Any:
    def make(timeout: float = 5) -> PaytrailClient:
        return PaytrailClient(
            MERCHANT, base_url=f"{live_server.url}/paytrail-sandbox", timeout=timeout
        )

    return make


def _paid(client: PaytrailClient) -> str:
    created = client.create_payment(payment_body())
    page = httpx.get(created.href)
    assert page.status_code == 200
    pressed = httpx.post(created.href, data={"provider": "osuuspankki", "action": "pay"})
    assert pressed.status_code == 302
    assert pressed.headers["location"].startswith("https://shop.example.com/ok?order=1&")
    return created.transaction_id


def test_pay_look_up_and_refund_through_the_client(
    api: Any, live_server: Any, callbacks: CallbackRecorder
) -> None:
    with api() as client:
        created = client.create_payment(payment_body())
        assert created.href.startswith(f"{live_server.url}/paytrail-sandbox/pay/")
        assert client.get_payment(created.transaction_id).status == "new"
        tid = _paid(client)
        status = client.get_payment(tid)
        assert (status.status, status.amount, status.provider) == ("ok", 4050, "osuuspankki")
        refund = client.refund(
            tid, amount=1000, refund_stamp="rs-1", refund_reference="rr-1", callback_urls=CALLBACKS
        )
        assert (refund.status, refund.provider) == ("ok", "osuuspankki")
        assert refund.transaction_id
        looked_up = client.get_payment(refund.transaction_id)
        assert (looked_up.status, looked_up.amount, looked_up.stamp) == ("ok", 1000, "rs-1")
        with pytest.raises(PaytrailRejected) as over:
            client.refund(
                tid, amount=5000, refund_stamp="rs-2", refund_reference="", callback_urls=CALLBACKS
            )
        assert over.value.status_code == 400
        assert over.value.paytrail_message == "Refund amount exceeds the remaining refund balance"
    assert callbacks.urls[-1].startswith("https://shop.example.com/r/ok?")


def test_low_balance_gives_the_client_no_transaction_id(api: Any) -> None:
    with api() as client:
        tid = _paid(client)
        control.set_switches(refund_outcome="low_balance", refund_outcome_times=1)
        refund = client.refund(
            tid, amount=1000, refund_stamp="rs-1", refund_reference="", callback_urls=CALLBACKS
        )
    assert (refund.transaction_id, refund.status) == (None, "pending")


def test_injected_500_and_timeout_reach_the_client_as_unavailable(api: Any) -> None:
    with api(timeout=0.3) as client:
        tid = _paid(client)
        control.set_switches(fail_next_calls=1)
        with pytest.raises(PaytrailUnavailable) as failed:
            client.get_payment(tid)
        assert failed.value.status_code == 500
        control.set_switches(hang_next_calls=1, hang_seconds=0.8)
        with pytest.raises(PaytrailUnavailable) as timed_out:
            client.refund(
                tid, amount=1000, refund_stamp="rs-1", refund_reference="", callback_urls=CALLBACKS
            )
        assert timed_out.value.maybe_delivered is True
    # The call timed out at the client, but the sandbox did refund: exactly the case where a
    # blind retry would refund twice.
    assert len(sandbox_refunds_for(tid)) == 1
    time.sleep(0.6)  # let the hanging request finish before the database is flushed
