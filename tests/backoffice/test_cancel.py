"""Cancel order: confirm what will happen, then void every ticket; final and repeat-safe."""

from decimal import Decimal

import pytest
from django.test import Client

from boxoffice.common.errors import CapacityExceeded
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.models import (
    ActorKind,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
    TicketState,
)
from boxoffice.payments.models import Payment, Refund

from .pages import links, messages, page_text, parse, post_forms


def url(order) -> str:
    return f"/backoffice/orders/{order.code}/cancel/"


def confirm_text(response) -> str:
    return parse(response).find("div", class_="confirm").text()


# -- the confirmation page -------------------------------------------------------------------


def test_confirmation_of_a_paid_order_says_what_will_happen(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.PAID)
    before = snapshot(order)

    response = owner_client.get(url(order))

    assert response.status_code == 200
    assert confirm_text(response) == (
        f"Cancel order {order.code}? "
        "The whole order of maija.meikalainen@example.com for Tuska Festival will be cancelled. "
        "You cannot cancel just one item. "
        "2 tickets will be voided and cannot be used at the event. "
        "The reserved products are released for sale. "
        "maija.meikalainen@example.com gets an email saying the order is cancelled, "
        "with your reason if you give one. "
        "Cancellation is final: the order cannot be reactivated. "
        "The customer paid €103.00 (service fees of €5.00 are not refunded). "
        "What happens to the money? "
        "Refund €98.00 now Paytrail returns the money to the customer's payment method "
        "(online bank, card), usually within a few business days. The customer gets an email "
        "when it is done. "
        "Cancel without a refund The customer gets nothing back now. The order stays cancelled "
        "with €98.00 not refunded until someone uses Refund order, or Mark as refunded once the "
        "money has been returned another way. "
        "Reason (optional; shown to the customer and kept in the order history) "
        "Do not email the customer a cancellation notice Cancel order Keep the order"
    )
    assert post_forms(response) == {"": ["money", "money", "reason", "skip_notice"]}
    # The seed's "Process Refund Immediately": the refund is what the page starts with.
    assert "checked" in parse(response).find("input", data_testid="money-refund").attrs
    assert "checked" not in parse(response).find("input", data_testid="money-keep").attrs
    assert snapshot(order) == before  # looking is never acting


def test_confirmation_of_an_unpaid_order_has_nothing_to_refund(owner_client, order_in):
    order = order_in(OrderStatus.RESERVED, quantity=1)

    text = confirm_text(owner_client.get(url(order)))

    assert "1 ticket will be voided and cannot be used at the event." in text
    assert "Nothing has been paid for this order, so there is nothing to refund." in text
    assert "The customer paid" not in text


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.RETURNED])
def test_confirmation_of_a_final_order_explains_instead_of_offering(
    owner_client, order_in, snapshot, status
):
    order = order_in(status)
    before = snapshot(order)

    response = owner_client.get(url(order))

    assert response.status_code == 200
    assert post_forms(response) == {}
    text = confirm_text(response)
    assert text.startswith("This order cannot be cancelled")
    assert order.get_status_display() in text
    assert "Cancellations and refunds are final." in text
    assert ("Back to order", f"/backoffice/orders/{order.code}/") in links(response)
    assert snapshot(order) == before


# -- cancelling ------------------------------------------------------------------------------


def test_cancel_voids_every_ticket_and_records_who_did_it(owner_client, owner, order_in):
    order = order_in(OrderStatus.PAID)
    payments_before = list(Payment.objects.values())
    before_rows = set(OrderEvent.objects.values_list("pk", flat=True))

    response = owner_client.post(url(order), {"reason": "Customer asked by phone", "money": "keep"})

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/orders/{order.code}/"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.cancelled_at is not None
    assert list(order.tickets.values_list("state", "voided_at")) == [
        (TicketState.VOID, order.cancelled_at),
        (TicketState.VOID, order.cancelled_at),
    ]
    new = OrderEvent.objects.exclude(pk__in=before_rows)
    assert list(
        new.values("order_id", "kind", "actor_kind", "actor_user", "actor_label", "data")
    ) == [
        {
            "order_id": order.pk,
            "kind": OrderEventKind.CANCELLED,
            "actor_kind": ActorKind.USER,
            "actor_user": owner.pk,
            "actor_label": "Olli Omistaja",
            "data": {
                "from": "paid",
                "to": "cancelled",
                "reason": "Customer asked by phone",
                "voided_tickets": 2,
                "cause": "organizer",
                "notify": True,
            },
        },
        {
            "order_id": order.pk,
            "kind": OrderEventKind.EMAIL_QUEUED,
            "actor_kind": ActorKind.USER,
            "actor_user": owner.pk,
            "actor_label": "Olli Omistaja",
            "data": {
                "email_kind": "cancellation",
                "to": order.customer_email,
                "message": EmailMessage.objects.get(order=order, kind="cancellation").pk,
            },
        },
    ]
    notice = EmailMessage.objects.get(order=order, kind="cancellation")
    assert (notice.state, notice.context["reason"]) == ("queued", "Customer asked by phone")
    # Cancelling refunds nothing by itself; the money is untouched.
    assert list(Payment.objects.values()) == payments_before
    assert Refund.objects.count() == 0


def test_cancel_without_emailing_the_customer(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.PAID)
    before = snapshot(order)

    response = owner_client.post(
        url(order), {"reason": "Test order", "skip_notice": "on", "money": "keep"}
    )

    assert response.status_code == 302
    after = snapshot(order)
    assert after["order"]["status"] == OrderStatus.CANCELLED
    assert [row["kind"] for row in after["history"][len(before["history"]) :]] == ["cancelled"]
    assert after["emails"] == before["emails"]
    assert after["counts"]["tasks"] == before["counts"]["tasks"]


def test_the_confirmation_says_the_customer_is_emailed(owner_client, order_in):
    order = order_in(OrderStatus.PAID)
    response = owner_client.get(url(order))
    text = confirm_text(response)
    assert f"{order.customer_email} gets an email saying the order is cancelled" in text
    assert "Do not email the customer a cancellation notice" in text


def test_after_cancelling_the_order_page_confirms_and_offers_the_refund(owner_client, order_in):
    order = order_in(OrderStatus.PAID)

    response = owner_client.post(url(order), {"reason": "", "money": "keep"}, follow=True)

    assert messages(response) == [
        f"Order {order.code} is cancelled and its tickets are void. €98.00 has not been "
        "refunded: use Refund order or Mark as refunded when the money goes back."
    ]
    assert parse(response).find(data_testid="order-status").text() == "Cancelled"
    assert "has not been refunded yet" in page_text(response)


def test_cancel_without_reason(owner_client, order_in):
    order = order_in(OrderStatus.RESERVED)

    owner_client.post(url(order), {"reason": ""})

    event = order.history.get(kind=OrderEventKind.CANCELLED)
    assert event.data == {
        "from": "reserved",
        "to": "cancelled",
        "reason": "",
        "voided_tickets": 2,
        "cause": "organizer",
        "notify": True,
    }


def test_cancel_releases_the_places_for_sale(owner_client, place, make_product, event):
    last_two = make_product(event, name="Last seats", capacity=2)
    order = place(last_two, quantity=2)

    with pytest.raises(CapacityExceeded):
        place(last_two, quantity=1, email="second@example.com")

    owner_client.post(url(order), {"reason": ""})

    again = place(last_two, quantity=2, email="second@example.com")
    assert again.tickets.filter(state=TicketState.VALID).count() == 2


@pytest.mark.parametrize(
    "status", [OrderStatus.RESERVED, OrderStatus.INVOICING, OrderStatus.RETURN_REQUESTED]
)
def test_every_cancellable_status_can_be_cancelled(owner_client, order_in, status):
    order = order_in(status)

    owner_client.post(url(order), {"reason": "", "money": "keep"})

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.history.get(kind=OrderEventKind.CANCELLED).data["from"] == status


def test_free_order_cancel(owner_client, place, make_product, event):
    free = make_product(event, price=Decimal("0"), service_fee=Decimal("0"))
    order = place(free, quantity=3, method=PaymentMethod.FREE)

    assert "there is nothing to refund" in confirm_text(owner_client.get(url(order)))
    owner_client.post(url(order), {"reason": ""})

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.tickets.filter(state=TicketState.VOID).count() == 3


# -- repeats and refusals --------------------------------------------------------------------


def test_double_post_cancels_once(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.PAID)

    first = owner_client.post(url(order), {"reason": "first", "money": "keep"})
    after_first = snapshot(order)
    second = owner_client.post(url(order), {"reason": "second", "money": "keep"}, follow=True)

    assert first.status_code == 302
    assert second.redirect_chain[0][1] == 302
    assert snapshot(order) == after_first
    assert order.history.filter(kind=OrderEventKind.CANCELLED).count() == 1
    assert messages(second)[-1] == (
        f"Order {order.code} was already cancelled. Use Refund order to return the money."
    )


def test_post_on_a_cancelled_order_is_harmless(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.CANCELLED)
    before = snapshot(order)

    response = owner_client.post(url(order), {"reason": "again"})

    assert response.status_code == 302
    assert snapshot(order) == before


def test_post_on_a_returned_order_is_refused_and_changes_nothing(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.RETURNED)
    before = snapshot(order)

    response = owner_client.post(url(order), {"reason": "again"}, follow=True)

    [message] = messages(response)
    assert "Returned" in message
    assert "Cancellations and refunds are final." in message
    assert parse(response).find("li", class_="msg").get("class") == "msg msg-error"
    assert snapshot(order) == before


def test_too_long_reason_is_refused_and_changes_nothing(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.PAID)
    before = snapshot(order)

    response = owner_client.post(url(order), {"reason": "x" * 501})

    assert response.status_code == 200
    assert "Ensure this value has at most 500 characters (it has 501)." in confirm_text(response)
    assert snapshot(order) == before


def test_unknown_order_is_404(owner_client, db):
    assert owner_client.post("/backoffice/orders/ZZZZZZ/cancel/", {"reason": ""}).status_code == 404


# -- CSRF ------------------------------------------------------------------------------------


def test_post_without_csrf_token_is_403_and_changes_nothing(owner, order_in, snapshot):
    order = order_in(OrderStatus.PAID)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = snapshot(order)

    response = client.post(url(order), {"reason": "forged", "money": "keep"})

    assert response.status_code == 403
    assert snapshot(order) == before

    # The same request with the token from the confirmation page goes through.
    page = client.get(url(order))
    token = parse(page).find("main").find("input", name="csrfmiddlewaretoken").get("value")
    response = client.post(
        url(order), {"reason": "real", "money": "keep", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_confirmation_page_cannot_be_framed(owner_client, order_in):
    # Clickjacking: another site must not overlay the "Cancel order" button.
    response = owner_client.get(url(order_in(OrderStatus.PAID)))

    assert response["X-Frame-Options"] == "DENY"


def test_post_with_header_token_and_no_body_cancels(owner, order_in):
    order = order_in(OrderStatus.RESERVED)  # nothing paid: nothing to choose
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(url(order))  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value

    response = client.post(url(order), HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


# -- what happens to the money -----------------------------------------------------------------


def test_a_paid_order_is_not_cancelled_until_the_money_is_decided(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.PAID)
    before = snapshot(order)

    response = owner_client.post(url(order), {"reason": "Event moved"})

    assert response.status_code == 200
    assert parse(response).find("p", id="money-error").text() == (
        "Choose whether to refund the money now."
    )
    assert snapshot(order) == before


def test_refund_now_cancels_and_refunds_through_paytrail(owner_client, order_in, paytrail):
    order = order_in(OrderStatus.PAID)

    response = owner_client.post(url(order), {"reason": "", "money": "refund"}, follow=True)

    assert messages(response) == [
        f"Order {order.code} is cancelled and its tickets are void. A refund of €98.00 is on "
        "its way through Paytrail; it reaches the customer in a few business days."
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.source) == (Decimal("98.00"), "paytrail")


def test_an_epassi_order_refunds_through_the_platform_queue(owner_client, place, product, actor):
    from boxoffice.payments.marking import order_mark_paid

    order = place(product, quantity=1, method=PaymentMethod.EPASSI)
    order = order_mark_paid(order=order, actor=actor, reference="EP-1")
    text = confirm_text(owner_client.get(url(order)))
    assert "Epassi payments cannot be refunded automatically" in text

    response = owner_client.post(url(order), {"reason": "", "money": "refund"}, follow=True)

    assert messages(response)[-1].endswith(
        "A refund of €49.00 is in the platform's refund queue; the platform returns the money."
    )
    refund = Refund.objects.get(order=order)
    assert (refund.state, refund.amount) == ("manual_requested", Decimal("49.00"))


def test_a_paid_reservation_offers_no_refund_and_says_why(owner_client, place, product, actor):
    from boxoffice.payments.marking import order_mark_paid

    order = place(product, quantity=1, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    order = order_mark_paid(order=order, actor=actor, reference="cash")
    response = owner_client.get(url(order))
    refund = parse(response).find("input", data_testid="money-refund")
    assert "disabled" in refund.attrs
    assert "checked" in parse(response).find("input", data_testid="money-keep").attrs
    assert parse(response).find("span", id="refund-refusal").text() == (
        "No service can refund Reserved by organizer payments: cancel without a refund, then "
        "use Mark as refunded once you have returned the money."
    )

    forged = owner_client.post(url(order), {"reason": "", "money": "refund"})

    assert forged.status_code == 200  # refused on the form: nothing changed
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Refund.objects.count() == 0
