"""Mark as paid: a person confirms money that arrived outside any payment provider."""

import pytest

from boxoffice.orders.actors import Actor
from boxoffice.orders.models import ActorKind, OrderEventKind, OrderStatus, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.models import PaymentState

from .pages import messages, parse


def url(order) -> str:
    return f"/backoffice/orders/{order.code}/mark-paid/"


def confirm_text(response) -> str:
    return parse(response).find("div", class_="confirm").text()


def test_confirmation_says_what_is_recorded(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.INVOICING)
    before = snapshot(order)

    response = owner_client.get(url(order))

    assert response.status_code == 200
    text = confirm_text(response)
    assert text.startswith(f"Mark order {order.code} as paid?")
    assert "A payment of €103.00 is recorded." in text
    assert snapshot(order) == before  # GET never changes anything


def test_post_records_one_payment_and_a_history_row(owner_client, owner, order_in):
    order = order_in(OrderStatus.INVOICING)

    response = owner_client.post(url(order), {"reference": " INV-2026-17 "}, follow=True)

    assert messages(response) == [f"Order {order.code} is marked as paid."]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.paid_at is not None
    payment = order.payments.get()
    assert (payment.method, payment.amount, payment.state, payment.provider_reference) == (
        PaymentMethod.INVOICE,
        order.total,
        PaymentState.CONFIRMED,
        "INV-2026-17",
    )
    event = order.history.get(kind=OrderEventKind.PAID)
    assert (event.actor_kind, event.actor_user, event.data) == (
        ActorKind.USER,
        owner,
        {"from": "invoicing", "to": "paid", "amount": "103.00"},
    )


def test_double_post_pays_once(owner_client, order_in):
    order = order_in(OrderStatus.INVOICING)

    owner_client.post(url(order), {"reference": "A"})
    second = owner_client.post(url(order), {"reference": "B"}, follow=True)

    assert order.payments.count() == 1
    assert order.history.filter(kind=OrderEventKind.PAID).count() == 1
    assert messages(second)[-1] == f"Order {order.code} was already paid."


@pytest.mark.parametrize(
    "method", [PaymentMethod.RESERVED_BY_ORGANIZER, PaymentMethod.RESERVED_BY_PLATFORM]
)
def test_reservations_can_be_marked_paid(owner_client, place, product, method):
    order = place(product, method=method)

    response = owner_client.post(url(order), {"reference": ""})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize(
    "method", [PaymentMethod.PAYTRAIL, PaymentMethod.EPASSI, PaymentMethod.SMARTUM]
)
def test_provider_payments_are_not_marked_paid_by_hand(
    owner_client, place, product, snapshot, method
):
    order = place(product, method=method)
    before = snapshot(order)

    page = owner_client.get(f"/backoffice/orders/{order.code}/")
    confirm = owner_client.get(url(order))
    response = owner_client.post(url(order), {"reference": "X"}, follow=True)

    assert "Mark as paid" not in page.content.decode()
    assert "confirmed by the payment service" in confirm_text(confirm)
    assert messages(response) == [
        f"{order.get_payment_method_display()} payments are confirmed by the payment service,"
        " not by hand."
    ]
    assert snapshot(order) == before


def test_cancelled_order_is_not_marked_paid(owner_client, place, product, owner, snapshot):
    order = place(product, method=PaymentMethod.INVOICE)
    order = order_cancel(order=order, actor=Actor.for_user(owner))
    before = snapshot(order)

    response = owner_client.post(url(order), {"reference": "X"}, follow=True)

    [message] = messages(response)
    assert "Cancelled" in message
    assert snapshot(order) == before
