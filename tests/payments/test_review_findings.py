"""Review findings on the money paths: each test demonstrates one bug and is expected to fail.

Orders of `order_in` / `reserved` are 2 x 49.00 + 2 x 2.50 service fees = 103.00; 98.00 of it is
refundable through Paytrail.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from boxoffice.common.money import ZERO
from boxoffice.orders.expiry import orders_expire
from boxoffice.orders.models import OrderEventKind, OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.payments.models import Payment, PaymentState, RefundState
from boxoffice.payments.paytrail import refunds as paytrail_refunds
from boxoffice.payments.paytrail.client import RefundResult
from boxoffice.payments.paytrail.signing import sign
from boxoffice.payments.services import order_cancel_and_refund, refund_request

REFUND_CALLBACK = "/payments/paytrail/refund/{}/"
PAYMENT_CALLBACK = "/payments/paytrail/payment/{}/"


def pay_url(order) -> str:
    return f"/o/{order.code}/{order.secret}/pay"


def succeeded_total(order) -> Decimal:
    return sum((r.amount for r in order.refunds.filter(state=RefundState.SUCCEEDED)), ZERO)


@pytest.fixture
def cancelled(order_in):
    return order_in(OrderStatus.CANCELLED)


@pytest.fixture
def reserved(place, product):
    return place(product, quantity=2)


@pytest.fixture
def paid_twice(client, reserved, paytrail):
    """The customer opened Pay in two tabs and paid both: the first paid the order, the second
    is an unwanted payment whose full refund (103.00) is queued but not yet run."""
    client.post(pay_url(reserved))
    client.post(pay_url(reserved))
    first, second = paytrail.payments
    assert client.get(PAYMENT_CALLBACK.format("success"), paytrail.payment_params(first, "ok"))
    assert client.get(PAYMENT_CALLBACK.format("success"), paytrail.payment_params(second, "ok"))
    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.PAID
    p1, p2 = Payment.objects.filter(order=reserved).order_by("pk")
    assert p1.state == p2.state == PaymentState.CONFIRMED
    [duplicate] = reserved.refunds.all()
    assert (duplicate.payment_id, duplicate.amount) == (p2.pk, Decimal("103.00"))
    return reserved, p1, p2, duplicate


# -- 1. A 5xx answer to a refund POST is re-sent with the same stamp -------------------------


def test_refund_answered_504_after_paytrail_made_it_is_not_sent_again(
    cancelled, actor, paytrail, run_tasks
):
    refund = refund_request(order=cancelled, actor=actor)

    def paytrail_makes_the_refund() -> None:
        # Paytrail did the refund; the gateway in front of it then timed out (HTTP 504).
        paytrail.refunds.append({"refundStamp": str(refund.stamp), "amount": 9800})

    paytrail.replies = [paytrail_makes_the_refund, 504, "ok"]
    run_tasks()

    sent = [r for r in paytrail.refunds if r["refundStamp"] == str(refund.stamp)]
    assert len(sent) == 1, f"refund POSTed {len(sent)} times with the same stamp"


# -- 2. A refund Paytrail says is still pending is given up as failed -------------------------


def test_refund_paytrail_reports_pending_is_not_failed_and_refunded_again(
    cancelled, actor, paytrail, run_tasks, settings, client
):
    paytrail.replies = ["pending"]
    first = refund_request(order=cancelled, actor=actor)
    run_tasks()
    first.refresh_from_db()
    paytrail.lookups[first.provider_transaction_id] = "pending"  # awaiting approval
    settings.PAYTRAIL_REFUND_GIVE_UP_SECONDS = 0  # (default: a day)
    paytrail_refunds.check(first.pk)

    # The order now offers "Refund order" again; somebody presses it.
    second = refund_request(order=cancelled, actor=actor)
    run_tasks()
    # The approver in the Merchant Panel approves the first refund: Paytrail calls back.
    params = paytrail.callback_params(str(first.stamp), "ok", first.provider_transaction_id)
    client.get(REFUND_CALLBACK.format("success"), params)

    assert second.pk == first.pk or succeeded_total(cancelled) <= Decimal("98.00"), (
        f"refunded {succeeded_total(cancelled)} of 98.00"
    )


# -- 3. Email refunds are recorded as completed -----------------------------------------------


def test_email_refund_is_not_recorded_as_money_returned(cancelled, actor, paytrail):
    refund = refund_request(order=cancelled, actor=actor)
    assert paytrail_refunds._claim(refund.pk) is not None  # step 2 sent it ...
    paytrail_refunds.record_response(  # ... and Paytrail fell back to an email refund
        refund.pk,
        RefundResult(transaction_id="tid-email", provider="email refund", status="ok", raw={}),
    )

    refund.refresh_from_db()
    cancelled.refresh_from_db()
    assert refund.state != RefundState.SUCCEEDED
    assert cancelled.status == OrderStatus.CANCELLED


# -- 4. Callbacks are trusted whichever merchant signed them ----------------------------------


def test_payment_callback_signed_by_another_merchant_is_refused(
    client, reserved, paytrail, other_organizer
):
    # Another organizer that collects its own money; it knows its own secret.
    other_organizer.paytrail_merchant_id = "695861"
    other_organizer.paytrail_secret = "OTHER-ORGANIZERS-SECRET"
    other_organizer.save()
    client.post(pay_url(reserved))  # a platform-collected order of a different organizer
    [created] = paytrail.payments
    # The attacker (as the customer) learns the stamp from the cancel redirect, then signs an
    # "ok" with its own organizer's merchant account instead of paying.
    params = {
        "checkout-account": "695861",
        "checkout-algorithm": "sha256",
        "checkout-amount": str(created["amount"]),
        "checkout-stamp": created["stamp"],
        "checkout-reference": created["reference"],
        "checkout-transaction-id": "forged",
        "checkout-status": "ok",
        "checkout-provider": "nordea",
    }
    params["signature"] = sign(params, "", "OTHER-ORGANIZERS-SECRET")

    response = client.get(PAYMENT_CALLBACK.format("success"), params)

    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.RESERVED
    # Refused like an unknown payment: this merchant has no such payment.
    assert response.status_code == 404


# -- 5-7. A customer who paid twice (two tabs) -------------------------------------------------


def test_refund_after_paying_twice_goes_through_the_payment_that_paid(paid_twice, actor, run_tasks):
    order, p1, _p2, duplicate = paid_twice
    run_tasks()
    duplicate.refresh_from_db()
    assert duplicate.state == RefundState.SUCCEEDED  # p2 is fully refunded

    order = order_cancel(order=order, actor=actor, reason="event cancelled")
    refund = refund_request(order=order, actor=actor)

    assert refund.amount == Decimal("98.00")
    assert refund.payment_id == p1.pk, "refund sent through the already-refunded duplicate"


def test_refund_after_failed_duplicate_refund_never_exceeds_its_payment(
    paid_twice, actor, paytrail, run_tasks
):
    order, _p1, _p2, duplicate = paid_twice
    paytrail.replies = [400]
    run_tasks()
    duplicate.refresh_from_db()
    assert duplicate.state == RefundState.FAILED

    order = order_cancel(order=order, actor=actor, reason="event cancelled")
    refund = refund_request(order=order, actor=actor)

    assert refund.amount <= refund.payment.amount, (
        f"{refund.amount} asked from a payment of {refund.payment.amount}"
    )


def test_cancel_and_refund_while_duplicate_refund_in_flight_refunds_the_order(
    paid_twice, actor, run_tasks
):
    order, _p1, _p2, duplicate = paid_twice  # duplicate refund is pending, not yet sent

    returned = order_cancel_and_refund(order=order, actor=actor, reason="event cancelled")
    run_tasks()

    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED, f"order left {order.status}, 98.00 unrefunded"
    assert returned is not None and returned.pk != duplicate.pk
    assert succeeded_total(order) == Decimal("103.00") + Decimal("98.00")


# -- 8. A signed payment with an unexpected amount vanishes -----------------------------------


def test_payment_with_unexpected_amount_is_kept_as_a_discrepancy(client, reserved, paytrail):
    client.post(pay_url(reserved))
    params = paytrail.payment_params(paytrail.payments[0], "ok")
    params["checkout-amount"] = "10000"  # Paytrail says 100.00 arrived, we asked 103.00
    del params["signature"]
    params["signature"] = sign(params, "", paytrail.secret)  # genuinely signed by Paytrail

    assert client.get(PAYMENT_CALLBACK.format("success"), params).status_code == 200
    orders_expire(now=timezone.now() + timedelta(hours=1))

    reserved.refresh_from_db()
    payment = Payment.objects.get(order=reserved)
    assert reserved.status == OrderStatus.CANCELLED
    # Not applied (the payment still expects 103.00), but on record for a person to act on.
    assert (payment.state, payment.amount) == (PaymentState.PENDING, Decimal("103.00"))
    [found] = reserved.discrepancies.all()
    assert (found.kind, found.expected, found.received) == ("amount", "10300", "10000")
    mismatch = reserved.history.get(kind=OrderEventKind.PAYMENT_MISMATCH)
    assert (mismatch.data["expected"], mismatch.data["received"]) == ("10300", "10000")
