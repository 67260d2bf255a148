"""What a customer does behind the secret link: download, fix participants, ask for a return."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.pages import without_csrf
from boxoffice.catalog.models import Event
from boxoffice.orders.models import Order, OrderEvent, OrderStatus, Ticket
from boxoffice.orders.services import Participant, order_cancel
from boxoffice.payments.marking import order_mark_paid

pytestmark = pytest.mark.django_db


def base(order: Order, secret: str | None = None) -> str:
    return f"/o/{order.code}/{secret or order.secret}/"


@pytest.fixture
def paid(place, product, actor) -> Order:
    order = place(product, quantity=2, participants=(Participant(name="Liisa Lahtinen"),))
    order = order_mark_paid(order=order, actor=actor)
    return order


@pytest.fixture
def returnable(event: Event) -> Event:
    Event.objects.filter(pk=event.pk).update(
        returns_allowed=True, returns_deadline=timezone.now() + timedelta(days=7)
    )
    event.refresh_from_db()
    return event


def first_ticket(order: Order) -> Ticket:
    ticket = order.tickets.order_by("pk").first()
    assert ticket is not None
    return ticket


def latest(order: Order) -> OrderEvent:
    return order.history.order_by("-pk")[0]


# -- downloads ---------------------------------------------------------------------------------


def test_paid_order_downloads_tickets_and_receipt_and_logs_it(client, paid):
    tickets = client.get(base(paid) + "tickets.pdf")
    assert tickets.status_code == 200
    assert tickets["Content-Type"] == "application/pdf"
    assert tickets.content.startswith(b"%PDF")
    row = latest(paid)
    assert (row.kind, row.actor_kind, row.actor_label) == (
        "tickets_downloaded",
        "customer",
        paid.customer_email,
    )

    one = client.get(base(paid) + f"tickets/{first_ticket(paid).pk}.pdf")
    assert one.status_code == 200 and one.content.startswith(b"%PDF")
    assert latest(paid).ticket_id == first_ticket(paid).pk

    receipt = client.get(base(paid) + "receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert latest(paid).kind == "receipt_downloaded"


def test_unpaid_order_offers_no_download_and_refuses_one(client, place, product):
    order = place(product, quantity=1)
    page = client.get(base(order)).content.decode()
    assert "tickets.pdf" not in page and "receipt.pdf" not in page
    history_before = order.history.count()

    response = client.get(base(order) + "receipt.pdf", follow=True)

    assert response.redirect_chain == [(base(order), 302)]
    assert "only issued for an order that has been paid" in response.content.decode()
    assert order.history.count() == history_before


def test_cancelled_order_has_no_ticket_download(client, paid, actor):
    order_cancel(order=paid, actor=actor)
    assert "tickets.pdf" not in client.get(base(paid)).content.decode()
    response = client.get(base(paid) + "tickets.pdf")
    assert response.status_code == 302
    assert not paid.history.filter(kind="tickets_downloaded").exists()


def test_another_orders_ticket_is_404(client, paid, place, product):
    other = place(product, quantity=1)
    foreign = first_ticket(other)
    assert client.get(base(paid) + f"tickets/{foreign.pk}.pdf").status_code == 404
    assert client.get(base(paid) + f"tickets/{foreign.pk}/").status_code == 404


@pytest.mark.parametrize(
    "suffix", ["tickets.pdf", "receipt.pdf", "return", "pay", "tickets/1/", "tickets/1.pdf"]
)
def test_wrong_secret_is_the_same_404_on_every_page(client, paid, suffix):
    wrong_secret = client.get(base(paid, secret="x" * 32) + suffix)
    wrong_code = client.get(f"/o/ZZZZZZ/{paid.secret}/" + suffix)
    assert wrong_secret.status_code == wrong_code.status_code == 404
    assert without_csrf(wrong_secret) == without_csrf(wrong_code)


# -- participant details -----------------------------------------------------------------------


def test_customer_corrects_a_participant(client, paid):
    ticket = first_ticket(paid)
    form = client.get(base(paid) + f"tickets/{ticket.pk}/")
    assert form.status_code == 200
    assert 'value="Liisa Lahtinen"' in form.content.decode()

    response = client.post(
        base(paid) + f"tickets/{ticket.pk}/",
        {"name": "Liisa Laine", "email": "liisa@example.com"},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.participant_name, ticket.participant_email) == (
        "Liisa Laine",
        "liisa@example.com",
    )
    row = latest(paid)
    assert (row.kind, row.actor_kind, row.ticket_id) == (
        "participant_updated",
        "customer",
        ticket.pk,
    )
    assert row.data["changes"]["participant_name"] == ["Liisa Lahtinen", "Liisa Laine"]


def test_bad_participant_email_is_a_form_error_and_changes_nothing(client, paid, snapshot):
    ticket = first_ticket(paid)
    before = snapshot(paid)
    response = client.post(base(paid) + f"tickets/{ticket.pk}/", {"name": "X", "email": "nope"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert snapshot(paid) == before


def test_participants_are_frozen_once_the_event_starts(client, paid, snapshot):
    Event.objects.filter(pk=paid.event_id).update(starts_at=timezone.now() - timedelta(minutes=5))
    ticket = first_ticket(paid)
    assert "Edit participant" not in client.get(base(paid)).content.decode()
    before = snapshot(paid)

    response = client.post(base(paid) + f"tickets/{ticket.pk}/", {"name": "Late", "email": ""})

    assert response.status_code == 400
    assert "The event has started" in response.content.decode()
    assert snapshot(paid) == before


def test_void_tickets_cannot_be_edited(client, paid, actor, snapshot):
    order_cancel(order=paid, actor=actor)
    before = snapshot(paid)
    response = client.post(base(paid) + f"tickets/{first_ticket(paid).pk}/", {"name": "Z"})
    assert response.status_code == 400
    assert "no longer valid" in response.content.decode()
    assert snapshot(paid) == before


# -- returns -----------------------------------------------------------------------------------


def test_customer_requests_a_return(client, paid, returnable, organizer):
    page = client.get(base(paid)).content.decode()
    assert "Request a return" in page

    response = client.post(base(paid) + "return", {"reason": "Sairastuin"}, follow=True)

    paid.refresh_from_db()
    assert paid.status == OrderStatus.RETURN_REQUESTED
    text = response.content.decode()
    assert "Your return request was sent." in text
    assert "You have asked to return this order." in text
    notice = paid.emails.get(kind="return_requested")
    assert (notice.to, notice.context) == (organizer.support_email, {"reason": "Sairastuin"})
    row = paid.history.get(kind="return_requested")
    assert (row.actor_kind, row.data["reason"]) == ("customer", "Sairastuin")


def test_no_return_offered_when_the_event_does_not_allow_it(client, paid, snapshot):
    assert "Request a return" not in client.get(base(paid)).content.decode()
    assert "does not accept returns" in client.get(base(paid) + "return").content.decode()
    before = snapshot(paid)
    response = client.post(base(paid) + "return", {"reason": "x"}, follow=True)
    assert "does not accept returns" in response.content.decode()
    assert snapshot(paid) == before


def test_customer_writes_are_rate_limited(client, paid, returnable, settings, snapshot):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "customer_write": (2, 60)}
    ticket = first_ticket(paid)
    url = base(paid) + f"tickets/{ticket.pk}/"
    assert client.post(url, {"name": "A"}).status_code == 302
    assert client.post(url, {"name": "B"}).status_code == 302
    before = snapshot(paid)

    refused = client.post(url, {"name": "C"})

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert snapshot(paid) == before
