"""Corrections: the customer's details and a ticket's participant, with before/after history."""

import pytest

from boxoffice.common.errors import DomainError
from boxoffice.orders.models import OrderStatus
from boxoffice.orders.services import (
    Participant,
    order_cancel,
    order_update_customer,
    ticket_update_participant,
)

from .helpers import mentions

S = OrderStatus

EMAIL = "maija.meikalainen@example.com"
NAME = "Maija Meikäläinen"


@pytest.fixture
def order(place, product):
    return place(
        product,
        quantity=2,
        phone="+358 40 123 4567",
        language="fi",
        participants=(Participant(name="Matti", email="matti@example.com", fields={"size": "M"}),),
    )


def update_customer(order, actor, **kw):
    current = {
        "email": order.customer_email,
        "name": order.customer_name,
        "phone": order.customer_phone,
        "language": order.language,
    }
    current.update(kw)
    return order_update_customer(order=order, actor=actor, **current)


# -- customer ---------------------------------------------------------------------------------


def test_update_customer_records_only_changed_fields(order, snapshot, actor, owner):
    before = snapshot(order)

    changes = update_customer(order, actor, email=" maija@example.fi ", name=f"  {NAME} ")

    assert changes == {"customer_email": (EMAIL, "maija@example.fi")}
    after = snapshot(order)
    stored = after["order"]
    assert {k for k in stored if stored[k] != before["order"][k]} == {
        "customer_email",
        "search_text",
        "updated_at",
    }
    assert stored["customer_email"] == "maija@example.fi"
    assert order.customer_email == EMAIL  # the caller's copy is left as it was
    # What search finds it by follows: the new address instead of the old one (each field
    # folded, then its letters and digits alone).
    assert stored["search_text"].split("\n") == [
        "maija@example.fi",
        "maijaexamplefi",
        "maija meikalainen",
        "maijameikalainen",
        "+358 40 123 4567",
        "358401234567",
        "matti",
        "matti@example.com",
        "mattiexamplecom",
    ]
    assert after["tickets"] == before["tickets"]
    assert after["history"][:-1] == before["history"]
    row = after["history"][-1]
    assert row["kind"] == "customer_updated"
    assert row["data"] == {"changes": {"customer_email": [EMAIL, "maija@example.fi"]}}
    assert (row["actor_kind"], row["actor_label"], row["actor_user_id"], row["ticket_id"]) == (
        "user",
        "Olli Omistaja",
        owner.pk,
        None,
    )
    assert after["counts"] == dict(before["counts"], history=before["counts"]["history"] + 1)


def test_update_customer_records_every_changed_field_in_one_row(order, actor):
    changes = update_customer(
        order, actor, email="m@example.fi", name="Maija M", phone="", language="en"
    )

    assert changes == {
        "customer_email": (EMAIL, "m@example.fi"),
        "customer_name": (NAME, "Maija M"),
        "customer_phone": ("+358 40 123 4567", ""),
        "language": ("fi", "en"),
    }
    order.refresh_from_db()
    assert (order.customer_email, order.customer_name, order.customer_phone, order.language) == (
        "m@example.fi",
        "Maija M",
        "",
        "en",
    )
    assert order.history.filter(kind="customer_updated").get().data == {
        "changes": {
            "customer_email": [EMAIL, "m@example.fi"],
            "customer_name": [NAME, "Maija M"],
            "customer_phone": ["+358 40 123 4567", ""],
            "language": ["fi", "en"],
        }
    }


def test_update_customer_without_changes_writes_nothing(order, snapshot, actor):
    before = snapshot(order)

    changes = update_customer(order, actor, email=f" {EMAIL}", name=f"{NAME}  ")

    assert changes == {}
    assert snapshot(order) == before


def test_each_customer_edit_is_its_own_history_row(order, actor):
    update_customer(order, actor, name="First")
    update_customer(order, actor, name="Second")
    assert [r.data for r in order.history.filter(kind="customer_updated").order_by("id")] == [
        {"changes": {"customer_name": [NAME, "First"]}},
        {"changes": {"customer_name": ["First", "Second"]}},
    ]


def test_update_customer_from_a_stale_copy_diffs_against_the_stored_row(order, actor):
    stale = type(order).objects.get(pk=order.pk)
    update_customer(order, actor, name="First")

    changes = update_customer(stale, actor, name="Second")

    assert changes == {"customer_name": ("First", "Second")}
    assert type(order).objects.get(pk=order.pk).customer_name == "Second"


# -- participant ------------------------------------------------------------------------------


def test_update_participant_records_the_diff_on_the_ticket(order, snapshot, actor, owner):
    ticket = order.tickets.order_by("pk").first()
    before = snapshot(order)

    changes = ticket_update_participant(
        ticket=ticket, actor=actor, name=" Matti Virtanen ", email="matti@example.com"
    )

    assert changes == {"participant_name": ("Matti", "Matti Virtanen")}
    ticket.refresh_from_db()
    assert ticket.participant_name == "Matti Virtanen"
    after = snapshot(order)
    # Only the search text of the order changes: search now finds it by the new name.
    assert after["order"] == dict(
        before["order"],
        search_text=before["order"]["search_text"].replace(
            "\nmatti\n", "\nmatti virtanen\nmattivirtanen\n"
        ),
    )
    assert "\nmatti virtanen\n" in after["order"]["search_text"]
    assert after["tickets"][1:] == before["tickets"][1:]
    assert after["tickets"][0] == dict(before["tickets"][0], participant_name="Matti Virtanen")
    assert after["history"][:-1] == before["history"]
    row = after["history"][-1]
    assert row["kind"] == "participant_updated"
    assert row["ticket_id"] == ticket.pk
    assert row["data"] == {"changes": {"participant_name": ["Matti", "Matti Virtanen"]}}
    assert (row["actor_kind"], row["actor_label"], row["actor_user_id"]) == (
        "user",
        "Olli Omistaja",
        owner.pk,
    )
    assert after["counts"] == dict(before["counts"], history=before["counts"]["history"] + 1)


def test_update_participant_fields_and_email(order, actor):
    ticket = order.tickets.order_by("pk").last()

    changes = ticket_update_participant(
        ticket=ticket,
        actor=actor,
        name="Liisa",
        email="liisa@example.com",
        fields={"size": "L", "diet": "vegan"},
    )

    assert changes == {
        "participant_name": ("", "Liisa"),
        "participant_email": ("", "liisa@example.com"),
        "participant_fields": ({}, {"size": "L", "diet": "vegan"}),
    }
    ticket.refresh_from_db()
    assert ticket.participant_fields == {"size": "L", "diet": "vegan"}
    row = order.history.get(kind="participant_updated")
    assert row.ticket_id == ticket.pk
    assert row.data == {
        "changes": {
            "participant_name": ["", "Liisa"],
            "participant_email": ["", "liisa@example.com"],
            "participant_fields": [{}, {"size": "L", "diet": "vegan"}],
        }
    }


def test_update_participant_leaves_fields_alone_when_not_given(order, actor):
    ticket = order.tickets.order_by("pk").first()
    changes = ticket_update_participant(ticket=ticket, actor=actor, name="Matti", email="m@x.fi")
    assert changes == {"participant_email": ("matti@example.com", "m@x.fi")}
    ticket.refresh_from_db()
    assert ticket.participant_fields == {"size": "M"}


def test_update_participant_without_changes_writes_nothing(order, snapshot, actor):
    ticket = order.tickets.order_by("pk").first()
    before = snapshot(order)

    changes = ticket_update_participant(
        ticket=ticket, actor=actor, name=" Matti", email="matti@example.com ", fields={"size": "M"}
    )

    assert changes == {}
    assert snapshot(order) == before


def test_editing_a_void_ticket_is_refused(order, snapshot, actor):
    order = order_cancel(order=order, actor=actor)
    ticket = order.tickets.order_by("pk").first()
    before = snapshot(order)

    with pytest.raises(DomainError) as refused:
        ticket_update_participant(ticket=ticket, actor=actor, name="Someone", email="s@x.fi")

    assert mentions(refused.value, "void")
    assert snapshot(order) == before
    assert ticket.participant_name == "Matti"
