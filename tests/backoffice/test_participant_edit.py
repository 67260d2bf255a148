"""Correcting who a ticket is for ("View participant")."""

import pytest

from boxoffice.orders.models import ActorKind, OrderEvent, OrderEventKind, OrderStatus, Ticket
from boxoffice.orders.services import Participant
from boxoffice.payments.marking import order_mark_paid

from .pages import history, messages, page_text, parse, post_forms


@pytest.fixture
def order(place, product, actor):
    order = place(
        product,
        quantity=2,
        participants=(
            Participant(
                name="Liisa Lahtinen",
                email="liisa@example.com",
                fields={"Diet": "vegan", "T-shirt size": "M"},
            ),
        ),
    )
    order = order_mark_paid(order=order, actor=actor)
    return order


@pytest.fixture
def ticket(order) -> Ticket:
    return order.tickets.order_by("pk").first()


def url(order, ticket) -> str:
    return f"/backoffice/orders/{order.code}/tickets/{ticket.pk}/"


VALID = {
    "name": "Liisa Laine",
    "email": "liisa.laine@example.com",
    "field:Diet": "vegan",
    "field:T-shirt size": "L",
}


def field_values(response) -> dict[str, str]:
    form = parse(response).find("main").find("form")
    return {
        el.get("name"): el.get("value")
        for el in form.find_all("input")
        if el.get("name") != "csrfmiddlewaretoken"
    }


def test_participant_page_shows_the_ticket_and_a_prefilled_form(owner_client, order, ticket):
    response = owner_client.get(url(order, ticket))

    assert response.status_code == 200
    assert "Product Day ticket Price €49.00 Event Tuska Festival" in page_text(response)
    assert field_values(response) == {
        "name": "Liisa Lahtinen",
        "email": "liisa@example.com",
        "field:Diet": "vegan",
        "field:T-shirt size": "M",
    }
    labels = [lab.text() for lab in parse(response).find("main").find("form").find_all("label")]
    assert labels == ["Name", "Email", "Diet", "T-shirt size"]


def test_ticket_without_participant_has_empty_form(owner_client, order):
    second = order.tickets.order_by("pk").last()

    response = owner_client.get(url(order, second))

    assert field_values(response) == {"name": "", "email": ""}


def test_valid_change_is_saved_with_a_history_row(owner_client, owner, order, ticket):
    other = order.tickets.exclude(pk=ticket.pk).values().get()
    order_before = type(order).objects.filter(pk=order.pk).values().get()
    before_rows = set(OrderEvent.objects.values_list("pk", flat=True))

    response = owner_client.post(url(order, ticket), VALID)

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/orders/{order.code}/"
    ticket.refresh_from_db()
    assert (ticket.participant_name, ticket.participant_email, ticket.participant_fields) == (
        "Liisa Laine",
        "liisa.laine@example.com",
        {"Diet": "vegan", "T-shirt size": "L"},
    )
    new = OrderEvent.objects.exclude(pk__in=before_rows)
    assert list(new.values("order_id", "kind", "actor_kind", "actor_user", "ticket", "data")) == [
        {
            "order_id": order.pk,
            "kind": OrderEventKind.PARTICIPANT_UPDATED,
            "actor_kind": ActorKind.USER,
            "actor_user": owner.pk,
            "ticket": ticket.pk,
            "data": {
                "changes": {
                    "participant_name": ["Liisa Lahtinen", "Liisa Laine"],
                    "participant_email": ["liisa@example.com", "liisa.laine@example.com"],
                    "participant_fields": [
                        {"Diet": "vegan", "T-shirt size": "M"},
                        {"Diet": "vegan", "T-shirt size": "L"},
                    ],
                }
            },
        }
    ]
    # The other ticket is untouched; of the order, only what search finds it by changes.
    assert order.tickets.exclude(pk=ticket.pk).values().get() == other
    assert type(order).objects.filter(pk=order.pk).values().get() == dict(
        order_before,
        search_text="maija.meikalainen@example.com\nmaijameikalainenexamplecom"
        "\nmaija meikalainen\nmaijameikalainen"
        "\nliisa laine\nliisalaine\nliisa.laine@example.com\nliisalaineexamplecom",
    )


def test_after_saving_the_order_page_confirms_and_shows_the_change(owner_client, order, ticket):
    response = owner_client.post(url(order, ticket), VALID, follow=True)

    assert messages(response) == ["Participant saved."]
    latest = history(response)[0]
    assert latest["what"] == "Participant information changed"
    assert latest["rows"] == [
        ["Participant name", "Liisa Lahtinen → Liisa Laine"],
        ["Participant email", "liisa@example.com → liisa.laine@example.com"],
        ["Additional information", "Diet: vegan, T-shirt size: M → Diet: vegan, T-shirt size: L"],
        ["Ticket", f"Day ticket #{ticket.pk}"],
    ]


def test_invalid_email_is_refused_and_changes_nothing(owner_client, order, ticket, snapshot):
    before = snapshot(order)

    response = owner_client.post(url(order, ticket), {**VALID, "email": "liisa.example.com"})

    assert response.status_code == 400
    assert "Enter a valid email address." in page_text(response)
    assert field_values(response)["email"] == "liisa.example.com"
    assert snapshot(order) == before


def test_unchanged_data_writes_no_history(owner_client, order, ticket, snapshot):
    same = {
        "name": "Liisa Lahtinen",
        "email": "liisa@example.com",
        "field:Diet": "vegan",
        "field:T-shirt size": "M",
    }
    before = snapshot(order)

    response = owner_client.post(url(order, ticket), same, follow=True)

    assert messages(response) == ["Nothing changed."]
    assert snapshot(order) == before


def test_participant_can_be_cleared(owner_client, order, ticket):
    owner_client.post(
        url(order, ticket), {"name": "", "email": "", "field:Diet": "", "field:T-shirt size": ""}
    )

    ticket.refresh_from_db()
    assert (ticket.participant_name, ticket.participant_email) == ("", "")
    assert ticket.participant_fields == {"Diet": "", "T-shirt size": ""}


def test_unknown_extra_fields_are_not_added(owner_client, order, ticket):
    owner_client.post(url(order, ticket), {**VALID, "field:Allergies": "nuts"})

    ticket.refresh_from_db()
    assert set(ticket.participant_fields) == {"Diet", "T-shirt size"}


# -- refused ---------------------------------------------------------------------------------


def test_void_ticket_shows_no_form_and_refuses_post(owner_client, order_in, snapshot):
    cancelled = order_in(OrderStatus.CANCELLED)
    void = cancelled.tickets.order_by("pk").first()
    before = snapshot(cancelled)

    page = owner_client.get(url(cancelled, void))
    post = owner_client.post(url(cancelled, void), VALID)

    assert page.status_code == 200
    assert post_forms(page) == {}
    assert "This ticket is void, so its participant can no longer be changed." in page_text(page)
    assert post.status_code == 404
    assert snapshot(cancelled) == before


def test_ticket_of_another_order_is_404(owner_client, order, place, product, snapshot):
    other = place(product, quantity=1, email="other@example.com")
    other_ticket = other.tickets.get()
    before = snapshot(order), snapshot(other)

    assert owner_client.get(url(order, other_ticket)).status_code == 404
    assert owner_client.post(url(order, other_ticket), VALID).status_code == 404
    assert (snapshot(order), snapshot(other)) == before


def test_unknown_ticket_is_404(owner_client, order, snapshot):
    before = snapshot(order)

    response = owner_client.post(f"/backoffice/orders/{order.code}/tickets/999999/", VALID)

    assert response.status_code == 404
    assert snapshot(order) == before


def test_other_methods_are_refused(owner_client, order, ticket, snapshot):
    before = snapshot(order)

    assert owner_client.put(url(order, ticket), VALID).status_code == 405
    assert owner_client.delete(url(order, ticket)).status_code == 405
    assert snapshot(order) == before
