"""Refunding a cancelled Paytrail order: request, send, response, callbacks, faults.

The order of `order_in("cancelled")` paid 103.00 (2 x 49.00 + 2 x 2.50 service fees) through
Paytrail transaction "PT-1": 98.00 is refundable.
"""

from decimal import Decimal

import httpx
import pytest
from django.test import Client

from boxoffice.common.errors import DomainError
from boxoffice.orders.models import ActorKind, OrderEventKind, OrderStatus
from boxoffice.payments.marking import order_mark_refunded
from boxoffice.payments.models import Refund, RefundSource, RefundState
from boxoffice.payments.paytrail import refunds as paytrail_refunds
from boxoffice.payments.services import order_cancel_and_refund, refund_request

CALLBACK = "/payments/paytrail/refund/{}/"


def kinds(order) -> list[str]:
    return list(order.history.order_by("pk").values_list("kind", flat=True))


@pytest.fixture
def cancelled(order_in):
    return order_in(OrderStatus.CANCELLED)


def test_refund_order_sends_refundable_amount_and_returns_the_order(
    cancelled, actor, paytrail, run_tasks
):
    refund = refund_request(order=cancelled, actor=actor)

    assert (refund.state, refund.amount, refund.source) == (
        RefundState.PENDING,
        Decimal("98.00"),
        RefundSource.PAYTRAIL,
    )
    assert paytrail.refunds == []  # nothing is sent inside the request's transaction
    run_tasks()

    [sent] = paytrail.refunds
    assert sent["amount"] == 9800  # service fees (5.00) stay with the organizer
    assert sent["refundStamp"] == str(refund.stamp)
    assert sent["refundReference"] == cancelled.code
    assert sent["email"] == cancelled.customer_email
    assert sent["callbackUrls"]["success"].endswith(CALLBACK.format("success"))
    refund.refresh_from_db()
    cancelled.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert refund.provider_transaction_id == sent["transactionId"]
    assert refund.attempts == 1
    assert cancelled.status == OrderStatus.RETURNED
    # Each status change queues the customer's email; the worker sends what was queued in
    # order, so the confirmation goes out only after the cancellation and fails (void tickets).
    assert kinds(cancelled) == [
        OrderEventKind.PLACED,
        OrderEventKind.PAID,
        OrderEventKind.EMAIL_QUEUED,  # confirmation
        OrderEventKind.CANCELLED,
        OrderEventKind.EMAIL_QUEUED,  # cancellation notice
        OrderEventKind.REFUND_REQUESTED,
        OrderEventKind.EMAIL_SKIPPED,  # confirmation: overtaken by the cancellation
        OrderEventKind.EMAIL_SENT,  # cancellation notice
        OrderEventKind.REFUND_SUCCEEDED,
        OrderEventKind.REFUNDED,
        OrderEventKind.EMAIL_QUEUED,  # refund notice
        OrderEventKind.EMAIL_SENT,  # refund notice
    ]
    assert list(cancelled.emails.order_by("pk").values_list("kind", "state")) == [
        ("confirmation", "skipped"),
        ("cancellation", "sent"),
        ("refund", "sent"),
    ]
    notice = cancelled.history.filter(kind=OrderEventKind.EMAIL_QUEUED).latest("pk")
    assert (notice.actor_kind, notice.actor_label, notice.data) == (
        ActorKind.SYSTEM,
        "Paytrail",
        {
            "email_kind": "refund",
            "to": cancelled.customer_email,
            "message": cancelled.emails.get(kind="refund").pk,
        },
    )
    assert cancelled.emails.get(kind="refund").context == {"amount": "98.00"}
    # The request, Paytrail's answer, the return and the refund notice are one action.
    assert refund.action is not None
    assert list(
        cancelled.history.filter(action=refund.action).order_by("pk").values_list("kind", flat=True)
    ) == [
        OrderEventKind.REFUND_REQUESTED,
        OrderEventKind.REFUND_SUCCEEDED,
        OrderEventKind.REFUNDED,
        OrderEventKind.EMAIL_QUEUED,
        OrderEventKind.EMAIL_SENT,
    ]
    done = cancelled.history.get(kind=OrderEventKind.REFUND_SUCCEEDED)
    assert (done.actor_kind, done.actor_label) == (ActorKind.SYSTEM, "Paytrail")
    assert done.data["amount"] == "98.00"


def test_double_click_refunds_once(cancelled, actor, paytrail, run_tasks):
    first = refund_request(order=cancelled, actor=actor)
    second = refund_request(order=cancelled, actor=actor)
    run_tasks()
    third = refund_request(order=cancelled, actor=actor)  # after it finished

    assert first.pk == second.pk == third.pk
    assert len(paytrail.refunds) == 1
    assert Refund.objects.filter(order=cancelled).count() == 1


def test_paid_order_is_not_refunded_before_cancelling(order_in, actor, paytrail, snapshot):
    order = order_in(OrderStatus.PAID)
    before = snapshot(order)
    with pytest.raises(Exception, match="Cancel the order first"):
        refund_request(order=order, actor=actor)
    assert snapshot(order) == before


def test_cancel_and_refund_in_one_step(order_in, actor, paytrail, run_tasks):
    order = order_in(OrderStatus.PAID)

    refund = order_cancel_and_refund(order=order, actor=actor, reason="event moved")
    run_tasks()

    order.refresh_from_db()
    assert refund is not None and refund.amount == Decimal("98.00")
    assert order.status == OrderStatus.RETURNED
    assert kinds(order) == [
        OrderEventKind.PLACED,
        OrderEventKind.PAID,
        OrderEventKind.EMAIL_QUEUED,  # confirmation
        OrderEventKind.CANCELLED,
        OrderEventKind.EMAIL_QUEUED,  # cancellation notice, in the same step
        OrderEventKind.REFUND_REQUESTED,
        OrderEventKind.EMAIL_SKIPPED,  # confirmation: overtaken by the cancellation
        OrderEventKind.EMAIL_SENT,  # cancellation notice
        OrderEventKind.REFUND_SUCCEEDED,
        OrderEventKind.REFUNDED,
        OrderEventKind.EMAIL_QUEUED,  # refund notice
        OrderEventKind.EMAIL_SENT,  # refund notice
    ]
    assert list(order.emails.order_by("pk").values_list("kind", "state", "context")) == [
        ("confirmation", "skipped", {}),
        (
            "cancellation",
            "sent",
            {"reason": "event moved", "expired": False, "return_accepted": False, "was_paid": True},
        ),
        ("refund", "sent", {"amount": "98.00"}),
    ]
    assert len(paytrail.refunds) == 1


def test_pending_answer_then_success_callback(cancelled, actor, paytrail, run_tasks, client):
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING

    params = paytrail.callback_params(str(refund.stamp), "ok", refund.provider_transaction_id)
    assert client.get(CALLBACK.format("success"), params).status_code == 200
    assert client.get(CALLBACK.format("success"), params).status_code == 200  # repeated

    refund.refresh_from_db()
    cancelled.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert cancelled.status == OrderStatus.RETURNED
    assert kinds(cancelled).count(OrderEventKind.REFUND_SUCCEEDED) == 1


def test_callback_before_the_response(cancelled, actor, paytrail, run_tasks, client):
    refund = refund_request(order=cancelled, actor=actor)

    def callback_first() -> None:
        params = paytrail.callback_params(str(refund.stamp), "ok", "tid-early")
        assert client.get(CALLBACK.format("success"), params).status_code == 200

    paytrail.replies = [callback_first, "ok"]
    run_tasks()

    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert refund.provider_transaction_id == "tid-early"
    assert kinds(cancelled).count(OrderEventKind.REFUND_SUCCEEDED) == 1
    assert len(paytrail.refunds) == 1


def test_fail_callback_marks_failed_and_offers_retry(cancelled, actor, paytrail, run_tasks, client):
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    params = paytrail.callback_params(str(refund.stamp), "fail", refund.provider_transaction_id)
    client.get(CALLBACK.format("cancel"), params)

    refund.refresh_from_db()
    cancelled.refresh_from_db()
    assert refund.state == RefundState.FAILED
    # Stored as a code, shown as a sentence in the reader's language.
    assert (refund.failure_reason, refund.failure_params) == ("refund_failed", {})
    assert refund.failure_text == "Paytrail could not make the refund."
    assert cancelled.status == OrderStatus.CANCELLED
    # A failed refund does not count: "Refund order" again sends a new one with a new stamp.
    retry = refund_request(order=cancelled, actor=actor)
    run_tasks()
    assert retry.pk != refund.pk and retry.amount == Decimal("98.00")
    cancelled.refresh_from_db()
    assert cancelled.status == OrderStatus.RETURNED
    assert [r["refundStamp"] for r in paytrail.refunds] == [str(refund.stamp), str(retry.stamp)]


def test_low_balance_cancel_callback_without_transaction_id(
    cancelled, actor, paytrail, run_tasks, client
):
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    params = paytrail.callback_params(str(refund.stamp), "fail", None)
    assert client.get(CALLBACK.format("cancel"), params).status_code == 200

    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    assert refund.failure_reason == "refund_low_balance"
    assert "balance is too low" in refund.failure_text


def test_forged_callback_is_rejected_and_changes_nothing(
    cancelled, actor, paytrail, run_tasks, client, snapshot
):
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    before = snapshot(cancelled)
    params = paytrail.callback_params(str(refund.stamp), "ok", "tid")
    params["checkout-amount"] = "999999"  # tampered after signing

    assert client.get(CALLBACK.format("success"), params).status_code == 400
    wrong_key = {**params, "signature": "0" * 64}
    assert client.get(CALLBACK.format("success"), wrong_key).status_code == 400
    assert snapshot(cancelled) == before


def test_paytrail_rejection_is_shown_with_its_reason(cancelled, actor, paytrail, run_tasks):
    paytrail.replies = [400]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    assert refund.failure_reason == "refund_refused"
    assert "HTTP 400" in refund.failure_text
    assert len(paytrail.refunds) == 0


def test_paytrail_503_is_retried_then_succeeds_once(cancelled, actor, paytrail, run_tasks):
    paytrail.replies = [503, 503, "ok"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert refund.attempts == 3
    assert len(paytrail.refunds) == 1


def test_paytrail_503_every_time_ends_failed(cancelled, actor, paytrail, run_tasks):
    paytrail.replies = [503] * 10
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    assert refund.attempts == 5
    assert paytrail.refunds == []


@pytest.mark.parametrize("status", [500, 502, 504])
def test_paytrail_500_is_not_resent_but_looked_into(cancelled, actor, paytrail, run_tasks, status):
    """Paytrail may have made the refund before failing: never POST it again."""
    paytrail.replies = [status, "ok"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert (refund.state, refund.attempts) == (RefundState.PROCESSING, 1)
    assert paytrail.refunds == []  # the only POST got the error; no second one


def test_connection_refused_is_retried(cancelled, actor, paytrail, run_tasks):
    paytrail.replies = [httpx.ConnectError, "ok"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert (refund.state, refund.attempts, len(paytrail.refunds)) == (RefundState.SUCCEEDED, 2, 1)


def test_timeout_is_never_resent_blindly(cancelled, actor, paytrail, run_tasks, client):
    """A read timeout: Paytrail may have made the refund. We wait for its callback."""
    paytrail.replies = [httpx.ReadTimeout]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING
    assert refund.attempts == 1

    run_tasks()  # nothing due: no second POST
    assert paytrail_refunds.check(refund.pk) == "still waiting"  # no id to look up yet
    params = paytrail.callback_params(str(refund.stamp), "ok", "tid-late")
    client.get(CALLBACK.format("success"), params)
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert paytrail.refunds == []  # the scripted timeout answered the only POST


def test_unconfirmed_refund_is_handed_to_a_person(cancelled, actor, paytrail, run_tasks, settings):
    paytrail.replies = [httpx.ReadTimeout]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    settings.PAYTRAIL_REFUND_GIVE_UP_SECONDS = 0
    assert paytrail_refunds.check(refund.pk) == "handed to a person"
    refund.refresh_from_db()
    # The platform's queue: still counted as on its way, so nobody refunds the order twice.
    assert refund.state == RefundState.MANUAL_REQUESTED
    assert refund.failure_params == {"stamp": str(refund.stamp)}
    assert "check the Paytrail Merchant Panel" in refund.failure_text
    with pytest.raises(DomainError, match="already on its way"):
        order_mark_refunded(order=cancelled, actor=actor)
    assert refund_request(order=cancelled, actor=actor).pk == refund.pk


def test_pending_refund_is_settled_by_lookup(cancelled, actor, paytrail, run_tasks):
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    paytrail.lookups[refund.provider_transaction_id] = "pending"
    assert paytrail_refunds.check(refund.pk) == "still pending at Paytrail"
    paytrail.lookups[refund.provider_transaction_id] = "ok"
    assert paytrail_refunds.check(refund.pk) == "succeeded"
    refund.refresh_from_db()
    cancelled.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert cancelled.status == OrderStatus.RETURNED


def test_success_after_failure_is_recorded(cancelled, actor, paytrail, run_tasks, client):
    """Money did move: a late success callback wins over an earlier failure."""
    paytrail.replies = ["fail"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    params = paytrail.callback_params(str(refund.stamp), "ok", refund.provider_transaction_id)
    client.get(CALLBACK.format("success"), params)
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED


def test_unknown_refund_stamp_callback_is_404(paytrail, db):
    params = paytrail.callback_params("00000000-0000-0000-0000-000000000000", "ok", "t")
    assert Client().get(CALLBACK.format("success"), params).status_code == 404
