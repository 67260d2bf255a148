"""A customer pays a reserved Paytrail order: start, redirect, callbacks, late payments."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from boxoffice.orders.expiry import orders_expire
from boxoffice.orders.models import OrderEventKind, OrderStatus, PaymentMethod
from boxoffice.payments.models import Payment, PaymentState, RefundState

CALLBACK = "/payments/paytrail/payment/{}/"
RETURN = "/payments/paytrail/return/{}/"


def pay_url(order) -> str:
    return f"/o/{order.code}/{order.secret}/pay"


def kinds(order) -> list[str]:
    return list(order.history.order_by("pk").values_list("kind", flat=True))


@pytest.fixture
def reserved(place, product):
    return place(product, quantity=2)  # 2 x (49.00 + 2.50 fee) = 103.00


def test_pay_now_creates_a_paytrail_payment_and_redirects(client, reserved, paytrail):
    response = client.post(pay_url(reserved))

    [sent] = paytrail.payments
    assert response.status_code == 302
    assert response["Location"] == f"https://pay.example/pay/{sent['transactionId']}"
    payment = Payment.objects.get(order=reserved)
    assert (payment.state, payment.amount, payment.provider_reference) == (
        PaymentState.PENDING,
        Decimal("103.00"),
        sent["transactionId"],
    )
    assert sent["stamp"] == str(payment.stamp)
    assert sent["reference"] == reserved.code
    assert sent["amount"] == 10300
    assert sent["currency"] == "EUR" and sent["language"] == "FI"
    assert [(i["unitPrice"], i["units"], i["vatPercentage"]) for i in sent["items"]] == [
        (4900, 2, 10.0),
        (250, 2, 25.5),  # the service fee, its own line
    ]
    assert sum(i["unitPrice"] * i["units"] for i in sent["items"]) == sent["amount"]
    assert sent["redirectUrls"]["success"].endswith(RETURN.format("success"))
    assert sent["callbackUrls"]["cancel"].endswith(CALLBACK.format("cancel"))
    assert kinds(reserved) == [OrderEventKind.PLACED, OrderEventKind.PAYMENT_STARTED]


def test_successful_redirect_and_callback_pay_the_order_once(client, reserved, paytrail):
    client.post(pay_url(reserved))
    params = paytrail.payment_params(paytrail.payments[0], "ok")

    back = client.get(RETURN.format("success"), params, follow=True)
    assert client.get(CALLBACK.format("success"), params).status_code == 200
    assert client.get(CALLBACK.format("success"), params).status_code == 200

    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.PAID
    assert back.redirect_chain[-1][0] == f"/o/{reserved.code}/{reserved.secret}/"
    assert "Thank you! Your payment was received." in back.content.decode()
    assert kinds(reserved).count(OrderEventKind.PAID) == 1
    paid = reserved.history.get(kind=OrderEventKind.PAID)
    assert (paid.actor_label, paid.data["from"], paid.data["to"]) == (
        "Paytrail",
        "reserved",
        "paid",
    )
    assert Payment.objects.get(order=reserved).state == PaymentState.CONFIRMED


def test_failed_payment_leaves_the_order_reserved(client, reserved, paytrail):
    client.post(pay_url(reserved))
    params = paytrail.payment_params(paytrail.payments[0], "fail")

    back = client.get(RETURN.format("cancel"), params, follow=True)

    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.RESERVED
    assert Payment.objects.get(order=reserved).state == PaymentState.FAILED
    assert "The payment was not completed. You can try again." in back.content.decode()
    assert kinds(reserved)[-1] == OrderEventKind.PAYMENT_FAILED


def test_forged_callback_changes_nothing(client, reserved, paytrail, snapshot):
    client.post(pay_url(reserved))
    params = paytrail.payment_params(paytrail.payments[0], "ok")
    params["checkout-status"] = "ok"
    params["checkout-amount"] = "1"  # tampered
    before = snapshot(reserved)

    assert client.get(CALLBACK.format("success"), params).status_code == 400
    assert client.get(RETURN.format("success"), params).status_code == 400
    assert snapshot(reserved) == before


def test_payment_after_expiry_is_refunded_in_full(client, reserved, paytrail, run_tasks):
    client.post(pay_url(reserved))
    orders_expire(now=timezone.now() + timedelta(hours=1))
    params = paytrail.payment_params(paytrail.payments[0], "ok")

    client.get(CALLBACK.format("success"), params)
    run_tasks()

    reserved.refresh_from_db()
    refund = reserved.refunds.get()
    assert refund.amount == Decimal("103.00")  # fees too: the customer got nothing
    assert refund.state == RefundState.SUCCEEDED
    assert paytrail.refunds[0]["amount"] == 10300
    assert reserved.status == OrderStatus.RETURNED
    assert kinds(reserved) == [
        OrderEventKind.PLACED,
        OrderEventKind.PAYMENT_STARTED,
        OrderEventKind.CANCELLED,
        OrderEventKind.EMAIL_QUEUED,  # cancellation notice: the deadline passed
        OrderEventKind.PAYMENT_NOT_KEPT,  # the money came, the order could not take it
        OrderEventKind.REFUND_REQUESTED,
        OrderEventKind.EMAIL_SENT,  # cancellation notice
        OrderEventKind.REFUND_SUCCEEDED,
        OrderEventKind.REFUNDED,
        OrderEventKind.EMAIL_QUEUED,  # refund notice
        OrderEventKind.EMAIL_SENT,  # refund notice
    ]
    # Never paid while it was open: no confirmation; the late money comes back in full.
    assert list(reserved.emails.order_by("pk").values_list("kind", "state", "context")) == [
        (
            "cancellation",
            "sent",
            {"reason": "", "expired": True, "return_accepted": False, "was_paid": False},
        ),
        ("refund", "sent", {"amount": "103.00"}),
    ]


def test_paying_an_expired_reservation_is_refused(client, place, product, settings, paytrail):
    settings.ORDER_RESERVATION_MINUTES = -1
    order = place(product)

    response = client.post(pay_url(order), follow=True)

    assert paytrail.payments == []
    assert "The payment deadline has passed" in response.content.decode()


@pytest.mark.parametrize("method", [PaymentMethod.INVOICE, PaymentMethod.EPASSI])
def test_only_paytrail_orders_are_paid_online(client, place, product, paytrail, method):
    order = place(product, method=method)
    page = client.get(f"/o/{order.code}/{order.secret}/")
    response = client.post(pay_url(order), follow=True)
    assert 'data-testid="pay-now"' not in page.content.decode()
    assert "This order is not paid online." in response.content.decode()
    assert paytrail.payments == []


def test_paytrail_down_shows_a_clear_message(client, reserved, paytrail):
    paytrail.payment_replies = [503]
    response = client.post(pay_url(reserved), follow=True)
    assert "The payment service is not available right now" in response.content.decode()
    assert Payment.objects.get(order=reserved).state == PaymentState.FAILED
    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.RESERVED


def test_wrong_secret_cannot_start_a_payment(client, reserved, paytrail):
    response = client.post(f"/o/{reserved.code}/{'x' * len(reserved.secret)}/pay")
    assert response.status_code == 404
    assert paytrail.payments == []
