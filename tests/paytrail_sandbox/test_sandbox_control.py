"""The switches: injected 5xx and hangs, duplicate and early callbacks, the log, the endpoint."""

import json
import threading
import time
from typing import Any

import pytest
from django.test import Client

from boxoffice.paytrail_sandbox import control
from boxoffice.paytrail_sandbox.callbacks import configured
from boxoffice.paytrail_sandbox.models import LogKind, SandboxLogEntry, SandboxPayment
from boxoffice.paytrail_sandbox.testing import (
    CallbackRecorder,
    api_calls,
    callback_log,
    reset_sandbox,
    sandbox_payment,
    sandbox_refunds_for,
)

from .helpers import ROOT, Merchant, pay, payment_body

CONTROL = f"{ROOT}/_control"


def test_the_next_calls_fail_with_500_and_do_nothing(merchant: Merchant) -> None:
    control.set_switches(fail_next_calls=2)
    for _ in range(2):
        response = merchant.post("/payments", payment_body())
        assert response.status_code == 500
        assert response.json()["status"] == "error"
        merchant.verify(response)
    assert SandboxPayment.objects.count() == 0
    assert merchant.post("/payments", payment_body()).status_code == 201
    assert control.get_control().fail_next_calls == 0


def test_a_hanging_call_waits_then_answers_having_done_its_work(
    merchant: Merchant, paid: Any
) -> None:
    tid = paid("osuuspankki")
    control.set_switches(hang_next_calls=1, hang_seconds=0.05)
    started = time.monotonic()
    response = merchant.refund(tid)
    assert time.monotonic() - started >= 0.05
    assert response.status_code == 201
    # Like a real timeout, the refund took effect even if the client gave up waiting.
    assert len(sandbox_refunds_for(tid)) == 1
    # Only the next call hangs: the switch is spent (no timing here, a loaded machine is slow).
    assert control.get_control().hang_next_calls == 0
    assert merchant.get(tid).status_code == 200


def test_duplicate_callbacks_deliver_each_twice(
    merchant: Merchant, client: Client, callbacks: CallbackRecorder
) -> None:
    tid = merchant.create()["transactionId"]
    with control.switches(duplicate_callbacks=True):
        pay(client, tid)
    assert len(callbacks.urls) == 2
    assert callbacks.urls[0] == callbacks.urls[1]
    assert [e.attempt for e in callback_log(tid)] == [1, 1]


def test_refund_callback_normally_comes_after_the_response(merchant: Merchant, paid: Any) -> None:
    tid = paid("osuuspankki")
    merchant.refund(tid)
    kinds = [e.kind for e in SandboxLogEntry.objects.filter(payment_transaction_id=tid)]
    assert kinds[-2:] == [LogKind.API, LogKind.CALLBACK]


def test_callback_before_response_reaches_the_merchant_first(merchant: Merchant, paid: Any) -> None:
    tid = paid("osuuspankki")
    seen: list[tuple[int, int]] = []

    def merchant_endpoint(url: str, timeout: float) -> int:
        # What the merchant could know when its callback handler runs.
        refund_posts = [c for c in api_calls(method="POST") if "/refund" in c.path]
        seen.append((len(sandbox_refunds_for(tid)), len(refund_posts)))
        return 200

    with control.switches(callback_before_response=True), configured(sender=merchant_endpoint):
        response = merchant.refund(tid)
    assert response.status_code == 201
    # The refund existed (a GET would find it), but its API call had not been answered yet.
    assert seen == [(1, 0)]
    kinds = [e.kind for e in SandboxLogEntry.objects.filter(payment_transaction_id=tid)]
    assert kinds[-2:] == [LogKind.CALLBACK, LogKind.API]


@pytest.mark.django_db(transaction=True)
def test_callbacks_are_delivered_in_a_background_thread_after_the_response(
    merchant: Merchant, client: Client
) -> None:
    delivered = threading.Event()

    def sender(url: str, timeout: float) -> int:
        delivered.set()
        return 200

    tid = merchant.create()["transactionId"]
    with configured(sender=sender, synchronous=False):
        response = pay(client, tid)
        assert response.status_code == 302
        assert delivered.wait(5)
    for _ in range(50):  # the thread logs right after the sender returns
        if callback_log(tid):
            break
        time.sleep(0.02)
    assert [e.status_code for e in callback_log(tid)] == [200]


def test_record_off_keeps_no_log(merchant: Merchant, client: Client) -> None:
    control.set_switches(record=False)
    tid = merchant.create()["transactionId"]
    pay(client, tid)
    assert SandboxLogEntry.objects.count() == 0
    control.set_switches(record=True)
    merchant.get(tid)
    assert [(c.method, c.status_code) for c in api_calls()] == [("GET", 200)]


def test_api_calls_are_logged_with_their_bodies(merchant: Merchant) -> None:
    merchant.create()
    merchant.post("/payments", {"stamp": "x"})
    ok, bad = api_calls()
    assert (ok.method, ok.path, ok.status_code, ok.account) == (
        "POST",
        f"{ROOT}/payments",
        201,
        "375917",
    )
    assert ok.authenticated and ok.nonce and ok.request_id
    assert json.loads(ok.request_body)["stamp"] == "order-1"
    assert bad.status_code == 400
    assert "Validation failed" in bad.response_body


# -- the control endpoint and page ----------------------------------------------------------


def _control(client: Client, data: Any) -> Any:
    return client.post(CONTROL, json.dumps(data), content_type="application/json")


def test_json_endpoint_sets_and_resets_switches(staff_client: Client) -> None:
    response = _control(staff_client, {"fail_next_calls": 3, "hang_seconds": 0.5})
    assert response.status_code == 200
    switches = response.json()["switches"]
    assert (switches["fail_next_calls"], switches["hang_seconds"]) == (3, 0.5)
    reset = _control(staff_client, {"reset": True, "duplicate_callbacks": True})
    assert reset.json()["switches"]["fail_next_calls"] == 0
    assert reset.json()["switches"]["duplicate_callbacks"] is True
    assert staff_client.get(CONTROL, headers={"accept": "application/json"}).json() == reset.json()


@pytest.mark.parametrize(
    "data",
    [
        {"no_such_switch": 1},
        {"refund_outcome": "maybe"},
        {"fail_next_calls": -1},
        {"refund_outcome_times": 0},
        {"complete": "x"},
        {"reset": True, "fail_next_calls": -1},
        {"fail_next_calls": 2, "complete": {"status": "ok"}},
    ],
)
def test_json_endpoint_refuses_bad_input_and_changes_nothing(
    staff_client: Client, data: Any
) -> None:
    control.set_switches(hang_seconds=1)
    before = control.as_dict(control.get_control())
    response = _control(staff_client, data)
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert control.as_dict(control.get_control()) == before


def test_json_endpoint_completes_payments_and_refunds(
    staff_client: Client, merchant: Merchant, paid: Any, callbacks: CallbackRecorder
) -> None:
    tid = merchant.create()["transactionId"]
    done = _control(staff_client, {"complete": {"transactionId": tid, "status": "pending"}})
    assert done.json()["completed"] == {
        "transactionId": tid,
        "kind": "payment",
        "status": "pending",
    }
    _control(staff_client, {"complete": {"transactionId": tid, "status": "ok"}})
    assert sandbox_payment(tid).status == "ok"
    assert [p["checkout-status"] for p in callbacks.calls] == ["pending", "ok"]
    refused = _control(staff_client, {"complete": {"transactionId": tid, "status": "fail"}})
    assert refused.status_code == 400
    spankki = paid("spankki")
    refund_tid = merchant.refund(spankki).json()["transactionId"]
    finished = _control(staff_client, {"complete": {"transactionId": refund_tid, "status": "ok"}})
    assert finished.json()["completed"]["status"] == "ok"
    unknown = _control(staff_client, {"complete": {"transactionId": "nope", "status": "ok"}})
    assert unknown.status_code == 404


def test_the_control_page_shows_and_sets_switches(
    staff_client: Client, merchant: Merchant, paid: Any
) -> None:
    tid = merchant.create()["transactionId"]
    page = staff_client.get(CONTROL)
    assert page.status_code == 200
    html = page.content.decode()
    for name in control.SWITCHES:
        assert name in html
    assert tid in html  # an open payment, with buttons to settle it
    assert "no real money moves" in html
    form = {name: "" for name in control.SWITCHES if name not in ("record",)}
    form.update(
        form="switches",
        fail_next_calls="2",
        hang_next_calls="0",
        hang_seconds="15",
        refund_outcome="pending",
        refund_stamp_policy="reject",
        duplicate_callbacks="on",
    )
    for box in ("callback_before_response", "reject_nonce_replay"):
        del form[box]
    response = staff_client.post(CONTROL, form)
    assert response.status_code == 302
    switches = control.get_control()
    assert (switches.fail_next_calls, switches.refund_outcome) == (2, "pending")
    assert switches.duplicate_callbacks is True
    assert switches.record is False  # an unticked box
    bad = staff_client.post(CONTROL, {**form, "refund_outcome": "maybe"})
    assert bad.status_code == 400
    staff_client.post(CONTROL, {"form": "complete", "transaction_id": tid, "status": "ok"})
    assert sandbox_payment(tid).status == "ok"
    staff_client.post(CONTROL, {"form": "reset"})
    assert control.get_control().fail_next_calls == 0


def test_reset_sandbox_forgets_everything(merchant: Merchant, paid: Any) -> None:
    paid()
    control.set_switches(fail_next_calls=5)
    reset_sandbox()
    assert SandboxPayment.objects.count() == 0
    assert SandboxLogEntry.objects.count() == 0
    assert control.get_control().fail_next_calls == 0


def test_anonymous_visitors_are_sent_to_login_and_change_nothing(client: Client) -> None:
    before = control.as_dict(control.get_control())
    for response in (
        client.get(CONTROL),
        _control(client, {"fail_next_calls": 3}),
        client.post(CONTROL, {"form": "reset"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert control.as_dict(control.get_control()) == before


def test_organizer_users_get_404_and_change_nothing(
    client: Client, owner: Any, merchant: Merchant
) -> None:
    tid = merchant.create()["transactionId"]
    client.force_login(owner)
    before = control.as_dict(control.get_control())
    assert client.get(CONTROL).status_code == 404
    assert _control(client, {"fail_next_calls": 3}).status_code == 404
    completing = {"complete": {"transactionId": tid, "status": "ok"}}
    assert _control(client, completing).status_code == 404
    assert control.as_dict(control.get_control()) == before
    assert sandbox_payment(tid).status == "new"


def test_a_post_without_the_csrf_token_is_refused(staff_user: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    before = control.as_dict(control.get_control())
    assert _control(browser, {"fail_next_calls": 3}).status_code == 403
    assert control.as_dict(control.get_control()) == before
