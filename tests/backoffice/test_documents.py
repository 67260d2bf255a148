"""The seed's Receipts section: download tickets (all or one), download receipt, resend tickets."""

import pytest

from boxoffice.accounts.models import Role
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.models import OrderEventKind, OrderStatus

from .pages import messages, parse


def test_download_tickets_gives_a_pdf_and_writes_history(owner_client, owner, order_in):
    order = order_in(OrderStatus.PAID)

    response = owner_client.get(f"/backoffice/orders/{order.code}/tickets.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="tickets-{order.code}.pdf"' in response["Content-Disposition"]
    event = order.history.get(kind=OrderEventKind.TICKETS_DOWNLOADED)
    assert (event.actor_user, event.ticket) == (owner, None)


def test_download_one_ticket(owner_client, order_in):
    order = order_in(OrderStatus.PAID)
    ticket = order.tickets.order_by("pk").last()

    response = owner_client.get(f"/backoffice/orders/{order.code}/tickets/{ticket.pk}.pdf")

    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert order.history.get(kind=OrderEventKind.TICKETS_DOWNLOADED).ticket == ticket


def test_cancelled_order_has_no_ticket_download(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.CANCELLED)
    before = snapshot(order)

    page = owner_client.get(f"/backoffice/orders/{order.code}/")
    response = owner_client.get(f"/backoffice/orders/{order.code}/tickets.pdf", follow=True)

    assert "Download tickets" not in page.content.decode()
    assert response.redirect_chain[-1][0] == f"/backoffice/orders/{order.code}/"
    assert len(messages(response)) == 1
    assert snapshot(order) == before


def test_download_receipt_of_a_paid_order(owner_client, order_in):
    order = order_in(OrderStatus.PAID)
    response = owner_client.get(f"/backoffice/orders/{order.code}/receipt.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert order.history.filter(kind=OrderEventKind.RECEIPT_DOWNLOADED).count() == 1


def test_unpaid_order_has_no_receipt(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.RESERVED)
    before = snapshot(order)
    page = owner_client.get(f"/backoffice/orders/{order.code}/")
    response = owner_client.get(f"/backoffice/orders/{order.code}/receipt.pdf", follow=True)
    assert "Download receipt" not in page.content.decode()
    assert len(messages(response)) == 1
    assert snapshot(order) == before


def test_receipts_section_buttons(owner_client, order_in):
    order = order_in(OrderStatus.PAID)
    section = parse(owner_client.get(f"/backoffice/orders/{order.code}/")).find(
        "section", aria_labelledby="receipts-h"
    )
    assert [a.text() for a in section.find_all("a")] == [
        "Resend tickets",
        "Download tickets",
        "Download receipt",
    ]


def test_resend_to_the_customer_queues_one_email(owner_client, order_in):
    order = order_in(OrderStatus.PAID)

    response = owner_client.post(
        f"/backoffice/orders/{order.code}/resend/", {"to": ""}, follow=True
    )

    # The confirmation was queued when the order was paid; the resend is one more message.
    confirmation, email = EmailMessage.objects.filter(order=order).order_by("pk")
    assert confirmation.kind == "confirmation"
    assert (email.to, email.kind, email.state) == (order.customer_email, "resend_tickets", "queued")
    assert messages(response) == [f"The tickets are on their way to {order.customer_email}."]
    assert list(
        order.history.filter(kind=OrderEventKind.EMAIL_QUEUED)
        .order_by("pk")
        .values_list("data", flat=True)
    ) == [
        {"email_kind": "confirmation", "to": order.customer_email, "message": confirmation.pk},
        {"email_kind": "resend_tickets", "to": order.customer_email, "message": email.pk},
    ]


def test_resend_to_another_address(owner_client, order_in):
    order = order_in(OrderStatus.PAID)
    owner_client.post(f"/backoffice/orders/{order.code}/resend/", {"to": "friend@example.org"})
    # After the confirmation queued at payment, to the customer.
    assert list(
        EmailMessage.objects.filter(order=order).order_by("pk").values_list("kind", "to")
    ) == [("confirmation", order.customer_email), ("resend_tickets", "friend@example.org")]


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.RETURNED])
def test_resend_of_a_cancelled_or_returned_order_is_refused_and_queues_nothing(
    owner_client, order_in, snapshot, status
):
    order = order_in(status)
    before = snapshot(order)
    label = "cancelled" if status == OrderStatus.CANCELLED else "returned"
    reason = f"This order is {label}: its tickets are no longer valid."
    page = owner_client.get(f"/backoffice/orders/{order.code}/")
    assert "/resend/" not in page.content.decode()  # no button to press, and the reason why
    assert parse(page).find(data_testid="tickets-refusal").text() == reason
    response = owner_client.post(
        f"/backoffice/orders/{order.code}/resend/", {"to": ""}, follow=True
    )
    assert messages(response) == [reason]
    assert snapshot(order) == before


def test_resend_to_an_invalid_address_is_a_form_error(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.PAID)
    before = snapshot(order)
    response = owner_client.post(f"/backoffice/orders/{order.code}/resend/", {"to": "not-an-email"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    # Only the confirmation queued when the order was paid.
    assert list(EmailMessage.objects.values_list("kind", flat=True)) == ["confirmation"]
    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("role", "can_resend"), [(Role.SUPPORT, True), (Role.VIEWER, False), (Role.MANAGER, True)]
)
def test_roles(make_user, organizer, login, order_in, role, can_resend):
    order = order_in(OrderStatus.PAID)
    client = login(make_user(f"{role}@example.com", organizer, role))
    assert client.get(f"/backoffice/orders/{order.code}/tickets.pdf").status_code == 200
    resend = client.post(f"/backoffice/orders/{order.code}/resend/", {"to": ""})
    assert resend.status_code == (302 if can_resend else 404)
    # The confirmation queued when the order was paid, then the resend if allowed.
    assert list(EmailMessage.objects.order_by("pk").values_list("kind", flat=True)) == (
        ["confirmation", "resend_tickets"] if can_resend else ["confirmation"]
    )
