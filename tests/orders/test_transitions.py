"""order_transition: the one helper that moves an order along the DESIGN §4 table."""

import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from boxoffice.common.errors import TransitionNotAllowed
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import ActorKind, OrderEvent, OrderStatus
from boxoffice.orders.services import order_transition
from boxoffice.orders.states import TRANSITIONS, is_allowed, targets_from

from .helpers import mentions

S = OrderStatus

# A literal copy of DESIGN §4, so that changing the lifecycle is a deliberate, two-place edit.
DESIGN_TABLE = {
    ("reserved", "paid"): "paid",
    ("reserved", "cancelled"): "cancelled",
    ("invoicing", "paid"): "paid",
    ("invoicing", "cancelled"): "cancelled",
    ("paid", "cancelled"): "cancelled",
    ("paid", "return_requested"): "return_requested",
    ("return_requested", "paid"): "return_declined",
    ("return_requested", "cancelled"): "cancelled",
    ("cancelled", "returned"): "refunded",
}

STAMP_FIELD = {"paid": "paid_at", "cancelled": "cancelled_at", "returned": "returned_at"}

PAIRS = list(itertools.product(S.values, S.values))


def test_transition_table_equals_the_design_table():
    assert {(str(f), str(t)): str(k) for (f, t), k in TRANSITIONS.items()} == DESIGN_TABLE


def test_cancelled_and_returned_are_final():
    assert targets_from(S.CANCELLED) == {S.RETURNED}
    assert targets_from(S.RETURNED) == set()
    assert all(not is_allowed(S.RETURNED, to) for to in S.values)
    assert not is_allowed(S.CANCELLED, S.PAID)


def refusal_names(frm: str, to: str) -> tuple[str, ...]:
    """What the refusal must name: the current status, and the wanted one unless it is final."""
    if frm in ("cancelled", "returned"):
        return (str(S(frm).label),)
    return (str(S(frm).label), str(S(to).label))


@pytest.mark.parametrize(("frm", "to"), PAIRS, ids=[f"{f}->{t}" for f, t in PAIRS])
def test_transition_follows_the_table(frm, to, order_in, snapshot, actor, owner):
    order = order_in(frm)
    before = snapshot(order)
    started = timezone.now()

    if (frm, to) in DESIGN_TABLE:
        with transaction.atomic():
            event = order_transition(order=order, to=to, actor=actor)

        assert isinstance(event, OrderEvent)
        after = snapshot(order)
        new_rows = after["history"][len(before["history"]) :]
        assert after["history"][: len(before["history"])] == before["history"]
        # The status row, then the email it causes (notifications subscribes to the history);
        # a move to returned without an amount tells the customer nothing.
        emails = [] if to == S.RETURNED else ["email_queued"]
        assert [r["kind"] for r in new_rows[1:]] == emails
        row = new_rows[0]
        assert row["id"] == event.pk
        assert row["kind"] == DESIGN_TABLE[(frm, to)]
        assert row["data"] == {"from": frm, "to": to}
        assert row["actor_kind"] == ActorKind.USER
        assert row["actor_label"] == "Olli Omistaja"
        assert row["actor_user_id"] == owner.pk
        assert row["ticket_id"] is None
        assert started <= row["created_at"] <= timezone.now()

        # Only the status, its timestamp (first time only) and updated_at change.
        changed = {k for k in after["order"] if after["order"][k] != before["order"][k]}
        stamp = STAMP_FIELD.get(to)
        first_time = stamp is not None and before["order"][stamp] is None
        assert changed == {"status", "updated_at"} | ({stamp} if first_time else set())
        assert after["order"]["status"] == to
        if first_time:
            assert started <= after["order"][stamp] <= timezone.now()
        # The helper changes the status only: tickets and money are the services' business.
        for key in ("tickets", "payments", "refunds"):
            assert after[key] == before[key]
        # One status row; each email adds its own row, message and send task.
        n = len(emails)
        counts = dict(
            before["counts"],
            history=before["counts"]["history"] + 1 + n,
            emails=before["counts"]["emails"] + n,
            tasks=before["counts"]["tasks"] + n,
        )
        assert after["counts"] == counts
        # The caller's instance is brought up to date.
        assert order.status == to
        assert order.updated_at == after["order"]["updated_at"]

    elif frm == to:
        with transaction.atomic():
            assert order_transition(order=order, to=to, actor=actor) is None
        assert snapshot(order) == before
        assert order.status == frm

    else:
        with pytest.raises(TransitionNotAllowed) as refused, transaction.atomic():
            order_transition(order=order, to=to, actor=actor)
        assert mentions(refused.value, *refusal_names(frm, to))
        assert refused.value.message == str(refused.value)
        assert snapshot(order) == before
        assert order.status == frm


def test_transition_reads_the_locked_row_not_the_callers_stale_copy(order_in, snapshot, actor):
    order = order_in(S.RESERVED)
    stale = type(order).objects.get(pk=order.pk)
    with transaction.atomic():
        order_transition(order=order, to=S.PAID, actor=actor)
    before = snapshot(order)

    # The stale copy still says reserved: repeating the change is a no-op, not a second row.
    assert stale.status == S.RESERVED
    with transaction.atomic():
        assert order_transition(order=stale, to=S.PAID, actor=actor) is None
    assert snapshot(order) == before
    assert stale.status == S.PAID
    assert stale.paid_at == before["order"]["paid_at"]


def test_transition_refusal_from_a_stale_copy_is_judged_on_the_stored_status(
    order_in, snapshot, actor
):
    order = order_in(S.PAID)
    stale = type(order).objects.get(pk=order.pk)
    with transaction.atomic():
        order_transition(order=order, to=S.CANCELLED, actor=actor)
    before = snapshot(order)

    with pytest.raises(TransitionNotAllowed) as refused, transaction.atomic():
        order_transition(order=stale, to=S.RETURN_REQUESTED, actor=actor)
    assert mentions(refused.value, "cancelled")
    assert snapshot(order) == before
    assert stale.status == S.CANCELLED


def test_transition_keeps_the_first_paid_time_when_a_return_is_declined(order_in, actor):
    order = order_in(S.RETURN_REQUESTED)
    paid_at = order.paid_at
    assert paid_at is not None
    with transaction.atomic():
        event = order_transition(order=order, to=S.PAID, actor=actor)
    order.refresh_from_db()
    assert order.paid_at == paid_at
    assert event is not None
    assert (event.kind, event.data) == (
        "return_declined",
        {"from": "return_requested", "to": "paid"},
    )


def test_transition_records_explicit_kind_and_extra_data(order_in, actor):
    order = order_in(S.CANCELLED)
    with transaction.atomic():
        event = order_transition(
            order=order,
            to=S.RETURNED,
            actor=actor,
            kind="marked_refunded",
            data={"amount": "98.00"},
        )
    event.refresh_from_db()
    assert event.kind == "marked_refunded"
    assert event.data == {"from": "cancelled", "to": "returned", "amount": "98.00"}


@pytest.mark.parametrize(
    ("make_actor", "kind", "label", "has_user"),
    [
        (lambda owner: Actor.system("expiry job"), ActorKind.SYSTEM, "expiry job", False),
        (lambda owner: Actor.system(), ActorKind.SYSTEM, "system", False),
        (
            lambda owner: Actor.customer("asiakas@example.com"),
            ActorKind.CUSTOMER,
            "asiakas@example.com",
            False,
        ),
        (lambda owner: Actor.for_user(owner), ActorKind.USER, "Olli Omistaja", True),
    ],
    ids=["system-labelled", "system", "customer", "user"],
)
def test_transition_records_who_did_it(make_actor, kind, label, has_user, order_in, owner):
    order = order_in(S.RESERVED)
    with transaction.atomic():
        event = order_transition(order=order, to=S.CANCELLED, actor=make_actor(owner))
    event.refresh_from_db()
    assert (event.actor_kind, event.actor_label) == (kind, label)
    assert event.actor_user_id == (owner.pk if has_user else None)


def test_user_actor_without_a_name_is_labelled_by_email(order_in, make_user, organizer):
    user = make_user("nameless@example.com", organizer)
    order = order_in(S.RESERVED)
    with transaction.atomic():
        event = order_transition(order=order, to=S.CANCELLED, actor=Actor.for_user(user))
    event.refresh_from_db()
    assert (event.actor_kind, event.actor_label, event.actor_user_id) == (
        "user",
        "nameless@example.com",
        user.pk,
    )


def test_history_label_survives_the_user_being_renamed(order_in, owner, actor):
    order = order_in(S.RESERVED)
    with transaction.atomic():
        event = order_transition(order=order, to=S.CANCELLED, actor=actor)
    owner.full_name = "Someone Else"
    owner.save()
    event.refresh_from_db()
    assert event.actor_label == "Olli Omistaja"


def test_history_rows_are_append_only(order_in):
    order = order_in(S.RESERVED)
    row = order.history.get()
    row.data = {"tampered": True}
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    row.refresh_from_db()
    assert row.data["status"] == "reserved"


def test_transition_to_an_unknown_status_is_refused(order_in, snapshot, actor):
    order = order_in(S.RESERVED)
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed), transaction.atomic():
        order_transition(order=order, to="shipped", actor=actor)
    assert snapshot(order) == before
