"""Through the bundled Paytrail sandbox over real HTTP (a live server on a random port).

The customer pays a reserved order on the sandbox's hosted page; the organizer cancels and
refunds it; the worker sends the refund; the sandbox's signed callbacks reach our endpoints.
Nothing is faked between our code and the sandbox: signatures, redirects and callbacks are real.
"""

import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sandbox_http import pay_on_hosted_page, paytrail_tid

from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus
from boxoffice.payments.models import Refund, RefundState
from boxoffice.payments.paytrail import refunds as paytrail_refunds
from boxoffice.payments.services import order_cancel_and_refund
from boxoffice.paytrail_sandbox import testing as sandbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_pay_cancel_and_refund_through_the_sandbox(site, place, product, owner, run_tasks):
    order = place(product, quantity=2)  # 2 x 49.00 + 2 x 2.50 service fees = 103.00

    shown = pay_on_hosted_page(site, order)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert "Thank you! Your payment was received." in shown.text
    tid = paytrail_tid(order)
    assert sandbox.sandbox_payment(tid).status == "ok"

    refund = order_cancel_and_refund(order=order, actor=Actor.for_user(owner), reason="moved")
    assert refund is not None
    run_tasks()

    order.refresh_from_db()
    refund.refresh_from_db()
    [seen] = sandbox.sandbox_refunds_for(tid)
    assert seen.amount == 9800  # service fees kept
    assert refund.state == RefundState.SUCCEEDED
    assert refund.provider_transaction_id == seen.transaction_id
    assert order.status == OrderStatus.RETURNED
    # Each status change queues the customer's email with it. The worker runs after the
    # cancellation, so the confirmation fails (void tickets) and the cancellation notice goes
    # out; the refund notice is queued on return and sent in the same run.
    assert list(order.history.order_by("pk").values_list("kind", flat=True)) == [
        OrderEventKind.PLACED,
        OrderEventKind.PAYMENT_STARTED,
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
    assert list(order.emails.order_by("pk").values_list("kind", "state")) == [
        ("confirmation", "skipped"),
        ("cancellation", "sent"),
        ("refund", "sent"),
    ]
    assert len(sandbox.refund_calls(tid)) == 1


def test_failed_payment_on_hosted_page_keeps_the_reservation(site, place, product):
    order = place(product, quantity=1)
    shown = pay_on_hosted_page(site, order, action="fail")
    order.refresh_from_db()
    assert order.status == OrderStatus.RESERVED
    assert "The payment was not completed. You can try again." in shown.text


@pytest.fixture
def paid_and_cancelled(site, place, product, owner):
    def make() -> tuple[Order, str]:
        order = place(product, quantity=2)
        pay_on_hosted_page(site, order)
        tid = paytrail_tid(order)
        from boxoffice.orders.services import order_cancel

        order = order_cancel(order=order, actor=Actor.for_user(owner))
        return order, tid

    return make


def refund_once(order: Order, owner: Any, run_tasks: Any) -> Refund:
    from boxoffice.payments.services import refund_request

    refund = refund_request(order=order, actor=Actor.for_user(owner))
    run_tasks()
    # The sandbox's callback goes out right after its answer: give it a moment to land.
    settle(refund)
    order.refresh_from_db()
    return refund


def settle(refund: Refund, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    refund.refresh_from_db()
    while refund.state == RefundState.PROCESSING and time.monotonic() < deadline:
        time.sleep(0.1)
        refund.refresh_from_db()


def test_paytrail_500_is_never_resent_and_goes_to_the_platform(
    paid_and_cancelled, owner, run_tasks, settings
):
    """A 500 may come after Paytrail made the refund: we never POST it again. Here the sandbox
    did nothing, no callback comes, and after the give-up time platform staff take it over."""
    order, tid = paid_and_cancelled()
    sandbox.set_switches(fail_next_calls=1)

    refund = refund_once(order, owner, run_tasks)
    assert (refund.state, refund.attempts) == (RefundState.PROCESSING, 1)

    settings.PAYTRAIL_REFUND_GIVE_UP_SECONDS = 0
    assert paytrail_refunds.check(refund.pk) == "handed to a person"
    refund.refresh_from_db()
    assert refund.state == RefundState.MANUAL_REQUESTED
    assert len(sandbox.refund_calls(tid)) == 1
    assert sandbox.sandbox_refunds_for(tid) == []


def test_timeout_is_settled_by_the_callback_not_a_second_post(
    paid_and_cancelled, owner, run_tasks, settings
):
    order, tid = paid_and_cancelled()
    settings.PAYTRAIL_TIMEOUT_SECONDS = 0.5
    sandbox.set_switches(hang_next_calls=1, hang_seconds=1.5)

    refund = refund_once(order, owner, run_tasks)

    # Our call timed out (outcome unknown, so no second POST); the sandbox did refund, and its
    # callback, sent once its slow answer was out, settled the refund.
    assert refund.state == RefundState.SUCCEEDED
    assert refund.attempts == 1
    assert len(sandbox.refund_calls(tid)) == 1
    assert len(sandbox.sandbox_refunds_for(tid)) == 1


@pytest.mark.parametrize(
    ("switches", "state", "reason"),
    [
        ({"refund_outcome": "fail"}, RefundState.FAILED, "Paytrail could not make the refund."),
        (
            {"refund_outcome": "low_balance"},
            RefundState.FAILED,
            "Paytrail could not make the refund: the merchant account balance is too low.",
        ),
        ({"duplicate_callbacks": True}, RefundState.SUCCEEDED, ""),
        ({"callback_before_response": True}, RefundState.SUCCEEDED, ""),
    ],
    ids=["fail callback", "low balance", "duplicate callbacks", "callback before response"],
)
def test_refund_outcomes_from_the_sandbox(
    paid_and_cancelled, owner, run_tasks, switches, state, reason
):
    order, tid = paid_and_cancelled()
    sandbox.set_switches(refund_outcome_times=1, **switches)

    refund = refund_once(order, owner, run_tasks)

    assert (refund.state, refund.failure_text) == (state, reason)
    assert len(sandbox.refund_calls(tid)) == 1
    events = order.history.filter(
        kind__in=[OrderEventKind.REFUND_SUCCEEDED, OrderEventKind.REFUND_FAILED]
    )
    assert events.count() == 1  # duplicate callbacks write one history row
    expected = OrderStatus.RETURNED if state == RefundState.SUCCEEDED else OrderStatus.CANCELLED
    assert order.status == expected


def test_forged_callback_over_http_changes_nothing(paid_and_cancelled, owner, site):
    order, _tid = paid_and_cancelled()
    from boxoffice.payments.services import refund_request

    refund = refund_request(order=order, actor=Actor.for_user(owner))  # not sent yet
    forged = {
        "checkout-account": "375917",
        "checkout-algorithm": "sha256",
        "checkout-amount": "9800",
        "checkout-stamp": str(refund.stamp),
        "checkout-reference": order.code,
        "checkout-transaction-id": "forged",
        "checkout-status": "ok",
        "checkout-provider": "nordea",
        "signature": "f" * 64,
    }
    answer = httpx.get(f"{site}/payments/paytrail/refund/success/", params=forged)
    assert answer.status_code == 400
    refund.refresh_from_db()
    assert (refund.state, refund.amount) == (RefundState.PENDING, Decimal("98.00"))
