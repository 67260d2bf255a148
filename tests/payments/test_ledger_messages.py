"""Every Paytrail message is checked against the ledger before it is applied (issue 12, 2-3).

A signed message whose amount, transaction or status contradicts the payment or refund it
names is kept as a discrepancy with its own history row, and changes nothing else: it cannot
confirm a payment at the wrong amount, nor hide the genuine message that comes after it. A late
refund success is recorded as it happened, and an order refunded beyond what it received is
flagged over-refunded.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from boxoffice.orders.models import OrderEventKind, OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_refunded
from boxoffice.payments.models import Discrepancy, Payment, PaymentState, RefundState
from boxoffice.payments.paytrail.signing import sign
from boxoffice.payments.services import refund_request

PAYMENT_CALLBACK = "/payments/paytrail/payment/{}/"
RETURN = "/payments/paytrail/return/{}/"
REFUND_CALLBACK = "/payments/paytrail/refund/{}/"


def kinds(order) -> list[str]:
    return list(order.history.order_by("pk").values_list("kind", flat=True))


def resigned(params: dict[str, str], secret: str, **changes: str) -> dict[str, str]:
    """The message with ``changes``, signed again: genuine as far as the signature goes."""
    params = {k: v for k, v in params.items() if k != "signature"}
    params.update({f"checkout-{k.replace('_', '-')}": v for k, v in changes.items()})
    params["signature"] = sign(params, "", secret)
    return params


@pytest.fixture
def reserved(place, product):
    return place(product, quantity=2)  # 2 x (49.00 + 2.50 fee) = 103.00


@pytest.fixture
def started(client, reserved, paytrail):
    """The customer pressed Pay now: one pending payment, known to the fake Paytrail."""
    client.post(f"/o/{reserved.code}/{reserved.secret}/pay")
    return paytrail.payments[0]


def test_a_one_cent_ok_is_a_discrepancy_and_the_real_payment_still_pays(
    client, reserved, started, paytrail
):
    genuine = paytrail.payment_params(started, "ok")
    one_cent = resigned(genuine, paytrail.secret, amount="1")

    assert client.get(PAYMENT_CALLBACK.format("success"), one_cent).status_code == 200
    reserved.refresh_from_db()
    payment = Payment.objects.get(order=reserved)
    assert reserved.status == OrderStatus.RESERVED
    assert (payment.state, payment.amount) == (PaymentState.PENDING, Decimal("103.00"))
    [found] = Discrepancy.objects.filter(order=reserved)
    assert (found.kind, found.source, found.expected, found.received) == (
        "amount",
        "callback",
        "10300",
        "1",
    )
    assert found.payment_id == payment.pk and found.message["checkout-amount"] == "1"
    assert "signature" not in found.message
    assert kinds(reserved)[-1] == OrderEventKind.PAYMENT_MISMATCH

    # The customer's genuine full payment for the same stamp is not taken for a repeat.
    assert client.get(PAYMENT_CALLBACK.format("success"), genuine).status_code == 200
    reserved.refresh_from_db()
    payment.refresh_from_db()
    assert reserved.status == OrderStatus.PAID
    # Confirmed by the message; Paytrail's own word comes with reconciliation's lookup.
    assert (payment.state, payment.amount, payment.provider_status) == (
        PaymentState.CONFIRMED,
        Decimal("103.00"),
        "",
    )
    assert kinds(reserved).count(OrderEventKind.PAID) == 1
    assert Discrepancy.objects.filter(order=reserved).count() == 1  # still on record


def test_a_wrong_amount_after_the_payment_changes_nothing_but_is_recorded(
    client, reserved, started, paytrail, snapshot
):
    genuine = paytrail.payment_params(started, "ok")
    client.get(PAYMENT_CALLBACK.format("success"), genuine)
    before = snapshot(reserved, with_counts=False)

    wrong = resigned(genuine, paytrail.secret, amount="20600")
    assert client.get(PAYMENT_CALLBACK.format("success"), wrong).status_code == 200
    assert client.get(PAYMENT_CALLBACK.format("success"), wrong).status_code == 200  # again

    after = snapshot(reserved, with_counts=False)
    assert after["payments"] == before["payments"]
    assert after["order"] == before["order"]
    new_history = after["history"][len(before["history"]) :]
    assert [row["kind"] for row in new_history] == [OrderEventKind.PAYMENT_MISMATCH]
    assert new_history[0]["data"]["received"] == "20600"
    assert Discrepancy.objects.filter(order=reserved).count() == 1  # a repeat adds nothing


def test_another_transaction_for_our_stamp_is_a_discrepancy(client, reserved, started, paytrail):
    other = resigned(
        paytrail.payment_params(started, "ok"),
        paytrail.secret,
        transaction_id="4b300af6-9a22-11e8-9184-abb6de7fd2d0",
    )
    assert client.get(RETURN.format("success"), other, follow=True).status_code == 200

    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.RESERVED
    [found] = Discrepancy.objects.filter(order=reserved)
    assert (found.kind, found.source, found.expected) == (
        "transaction",
        "redirect",
        started["transactionId"],
    )


def test_a_fail_for_a_confirmed_payment_is_a_discrepancy(client, reserved, started, paytrail):
    client.get(PAYMENT_CALLBACK.format("success"), paytrail.payment_params(started, "ok"))
    client.get(PAYMENT_CALLBACK.format("cancel"), paytrail.payment_params(started, "fail"))

    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.PAID
    assert Payment.objects.get(order=reserved).state == PaymentState.CONFIRMED
    [found] = Discrepancy.objects.filter(order=reserved)
    assert (found.kind, found.expected, found.received) == ("status", "ok", "fail")


def test_a_late_pending_after_ok_is_an_old_message_not_a_discrepancy(
    client, reserved, started, paytrail
):
    client.get(PAYMENT_CALLBACK.format("success"), paytrail.payment_params(started, "ok"))
    client.get(PAYMENT_CALLBACK.format("success"), paytrail.payment_params(started, "pending"))

    assert Payment.objects.get(order=reserved).state == PaymentState.CONFIRMED
    assert not Discrepancy.objects.exists()


def test_the_full_amount_on_a_new_attempt_pays_after_a_wrong_amount_on_the_first(
    client, reserved, started, paytrail
):
    first = paytrail.payment_params(started, "ok")
    client.get(PAYMENT_CALLBACK.format("success"), resigned(first, paytrail.secret, amount="5"))
    client.post(f"/o/{reserved.code}/{reserved.secret}/pay")  # the customer tries again
    second = paytrail.payment_params(paytrail.payments[1], "ok")

    client.get(PAYMENT_CALLBACK.format("success"), second)

    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.PAID
    states = list(Payment.objects.filter(order=reserved).order_by("pk").values_list("state"))
    assert states == [(PaymentState.PENDING,), (PaymentState.CONFIRMED,)]


def test_a_message_signed_by_another_merchant_changes_nothing(
    client, reserved, started, paytrail, snapshot, organizer
):
    organizer.paytrail_merchant_id, organizer.paytrail_secret = "695861", "ORGANIZER-SECRET"
    organizer.save()  # a real merchant we know, but not the one this order's money goes to
    before = snapshot(reserved)
    foreign = resigned(paytrail.payment_params(started, "ok"), "ORGANIZER-SECRET", account="695861")

    assert client.get(PAYMENT_CALLBACK.format("success"), foreign).status_code == 404
    assert snapshot(reserved) == before


# -- refunds ----------------------------------------------------------------------------------


@pytest.fixture
def cancelled(order_in):
    return order_in(OrderStatus.CANCELLED)  # paid 103.00 through "PT-1"; 98.00 refundable


@pytest.fixture
def processing(cancelled, actor, paytrail, run_tasks):
    """A refund Paytrail took in and has not finished (its answer said pending)."""
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert (refund.state, refund.provider_status) == (RefundState.PROCESSING, "pending")
    return refund


@pytest.mark.parametrize(
    ("change", "kind"),
    [({"amount": "100"}, "amount"), ({"transaction_id": "someone-elses"}, "transaction")],
)
def test_a_refund_callback_that_contradicts_the_refund_is_not_applied(
    client, cancelled, processing, paytrail, change, kind
):
    params = paytrail.callback_params(
        str(processing.stamp), "ok", processing.provider_transaction_id
    )
    params = resigned(params, paytrail.secret, **change)

    assert client.get(REFUND_CALLBACK.format("success"), params).status_code == 200

    processing.refresh_from_db()
    cancelled.refresh_from_db()
    assert processing.state == RefundState.PROCESSING
    assert cancelled.status == OrderStatus.CANCELLED
    [found] = Discrepancy.objects.filter(order=cancelled)
    assert (found.kind, found.refund_id) == (kind, processing.pk)
    assert kinds(cancelled)[-1] == OrderEventKind.PAYMENT_MISMATCH


def test_a_fail_after_a_refund_succeeded_is_a_discrepancy(client, cancelled, processing, paytrail):
    tid = processing.provider_transaction_id
    client.get(
        REFUND_CALLBACK.format("success"),
        paytrail.callback_params(str(processing.stamp), "ok", tid),
    )
    client.get(
        REFUND_CALLBACK.format("cancel"),
        paytrail.callback_params(str(processing.stamp), "fail", tid),
    )

    processing.refresh_from_db()
    cancelled.refresh_from_db()
    assert (processing.state, cancelled.status) == (RefundState.SUCCEEDED, OrderStatus.RETURNED)
    [found] = Discrepancy.objects.filter(order=cancelled)
    assert (found.kind, found.expected, found.received) == ("status", "ok", "fail")


def test_fail_then_marked_refunded_then_ok_is_recorded_and_flagged_over_refunded(
    client, cancelled, processing, paytrail, actor
):
    tid = processing.provider_transaction_id
    stamp = str(processing.stamp)
    client.get(REFUND_CALLBACK.format("cancel"), paytrail.callback_params(stamp, "fail", tid))
    order_mark_refunded(order=cancelled, actor=actor, reference="BANK-1")
    ok = paytrail.callback_params(stamp, "ok", tid)

    assert client.get(REFUND_CALLBACK.format("success"), ok).status_code == 200
    assert client.get(REFUND_CALLBACK.format("success"), ok).status_code == 200  # repeated

    processing.refresh_from_db()
    cancelled.refresh_from_db()
    # The money did go out: recorded as it happened, not dropped.
    assert processing.state == RefundState.SUCCEEDED
    assert cancelled.status == OrderStatus.RETURNED
    refunds = list(cancelled.refunds.order_by("pk").values_list("source", "state", "amount"))
    assert refunds == [
        ("paytrail", "succeeded", Decimal("98.00")),
        ("external", "succeeded", Decimal("98.00")),
    ]
    over = cancelled.history.get(kind=OrderEventKind.OVER_REFUNDED)
    assert over.data == {"amount": "93.00", "received_total": "103.00", "refunded_total": "196.00"}
    late = cancelled.history.filter(kind=OrderEventKind.REFUND_SUCCEEDED).get()
    assert late.data["late"] == "after_failure"
    # One "your order was refunded" notice, from the manual mark; none for the late success.
    assert list(cancelled.emails.filter(kind="refund").values_list("context", flat=True)) == [
        {"amount": "98.00"}
    ]


def test_a_repeated_ok_settles_the_refund_once(client, cancelled, processing, paytrail):
    ok = paytrail.callback_params(str(processing.stamp), "ok", processing.provider_transaction_id)
    for _ in range(3):
        assert client.get(REFUND_CALLBACK.format("success"), ok).status_code == 200

    cancelled.refresh_from_db()
    assert kinds(cancelled).count(OrderEventKind.REFUND_SUCCEEDED) == 1
    assert cancelled.emails.filter(kind="refund").count() == 1
    assert not cancelled.history.filter(kind=OrderEventKind.OVER_REFUNDED).exists()


def test_an_ok_for_a_refund_already_settled_writes_nothing(client, cancelled, processing, paytrail):
    """The answer to our request usually settles the refund before Paytrail's callback comes."""
    ok = paytrail.callback_params(str(processing.stamp), "ok", processing.provider_transaction_id)
    assert client.get(REFUND_CALLBACK.format("success"), ok).status_code == 200
    processing.refresh_from_db()
    settled = (processing.state, processing.completed_at, processing.provider_status)

    with CaptureQueriesContext(connection) as q:
        assert client.get(REFUND_CALLBACK.format("success"), ok).status_code == 200

    writes = [x["sql"] for x in q.captured_queries if x["sql"].startswith(("UPDATE", "INSERT"))]
    assert writes == []
    processing.refresh_from_db()
    assert (processing.state, processing.completed_at, processing.provider_status) == settled


def test_an_order_paid_twice_is_not_over_refunded_by_its_two_refunds(
    client, reserved, paytrail, actor, run_tasks
):
    """Two tabs, two payments: the second is refunded in full, then the order is cancelled and
    refunded. 201.00 went back of 206.00 received: within the ledger, nothing flagged."""
    for _ in range(2):
        client.post(f"/o/{reserved.code}/{reserved.secret}/pay")
    for created in paytrail.payments:
        client.get(PAYMENT_CALLBACK.format("success"), paytrail.payment_params(created, "ok"))
    run_tasks()
    order_cancel(order=reserved, actor=actor)
    refund_request(order=reserved, actor=actor)
    run_tasks()

    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.RETURNED
    amounts = sorted(r["amount"] for r in paytrail.refunds)
    assert amounts == [9800, 10300]
    assert kinds(reserved).count(OrderEventKind.PAYMENT_NOT_KEPT) == 1
    assert not reserved.history.filter(kind=OrderEventKind.OVER_REFUNDED).exists()
