"""order_cancel: the whole order is cancelled, its tickets voided, its places released."""

import pytest
from django.utils import timezone

from boxoffice.common.errors import CapacityExceeded, TransitionNotAllowed
from boxoffice.orders.models import Order, OrderStatus, Ticket, TicketState
from boxoffice.orders.services import order_cancel

from .helpers import mentions

S = OrderStatus


def valid_count(product) -> int:
    return Ticket.objects.filter(product=product, state=TicketState.VALID).count()


def test_cancel_voids_tickets_and_frees_capacity(make_product, event, place, actor, counts):
    product = make_product(event, capacity=2)
    order = place(product, quantity=2)
    before = counts()
    with pytest.raises(CapacityExceeded) as refused:
        place(product, quantity=1)
    assert mentions(refused.value, "0", product.name)
    assert counts() == before

    order = order_cancel(order=order, actor=actor)

    assert set(order.tickets.values_list("state", flat=True)) == {TicketState.VOID}
    assert valid_count(product) == 0
    again = place(product, quantity=2)
    assert again.tickets.filter(state=TicketState.VALID).count() == 2
    assert valid_count(product) == 2


@pytest.mark.parametrize("status", [S.RESERVED, S.INVOICING, S.PAID, S.RETURN_REQUESTED])
def test_cancel_from_every_open_status(status, order_in, snapshot, actor, owner):
    order = order_in(status)
    before = snapshot(order)
    started = timezone.now()

    result = order_cancel(order=order, actor=actor, reason="  Event moved; customer asked  ")

    # The service answers with the row it locked and wrote; the caller's copy is left alone.
    assert result is not order and result.pk == order.pk
    assert order.status == status
    after = snapshot(order)
    stored = after["order"]
    assert stored["status"] == "cancelled"
    assert started <= stored["cancelled_at"] <= timezone.now()
    changed = {k for k in stored if stored[k] != before["order"][k]}
    assert changed == {"status", "cancelled_at", "updated_at"}
    assert (result.status, result.cancelled_at) == ("cancelled", stored["cancelled_at"])

    # Every ticket void, at the moment of cancellation; nothing else about them changes.
    assert len(after["tickets"]) == 2
    for old, new in zip(before["tickets"], after["tickets"], strict=True):
        assert new == dict(old, state="void", voided_at=stored["cancelled_at"])

    # Money is untouched: refunding is a separate step.
    assert after["payments"] == before["payments"]
    assert after["refunds"] == before["refunds"] == []

    # Two history rows: the cancellation, then the customer's notice queued with it.
    assert after["history"][:-2] == before["history"]
    row, notice = after["history"][-2:]
    assert row["kind"] == "cancelled"
    assert row["data"] == {
        "from": str(status),
        "to": "cancelled",
        "reason": "Event moved; customer asked",
        "voided_tickets": 2,
        "cause": "organizer",
        "notify": True,
    }
    assert (row["actor_kind"], row["actor_label"], row["actor_user_id"]) == (
        "user",
        "Olli Omistaja",
        owner.pk,
    )
    assert row["ticket_id"] is None
    [email] = after["emails"][len(before["emails"]) :]
    assert (notice["kind"], notice["data"]) == (
        "email_queued",
        {"email_kind": "cancellation", "to": order.customer_email, "message": email["id"]},
    )
    # One action: the notice (and later its send) joins the cancellation's entry.
    assert notice["action"] == row["action"] == email["action"] is not None
    assert (email["kind"], email["to"], email["state"]) == (
        "cancellation",
        order.customer_email,
        "queued",
    )
    assert email["context"] == {
        "reason": "Event moved; customer asked",
        "expired": False,
        "return_accepted": False,
        "was_paid": status in (S.PAID, S.RETURN_REQUESTED),
    }
    assert after["counts"] == dict(
        before["counts"],
        history=before["counts"]["history"] + 2,
        emails=before["counts"]["emails"] + 1,
        tasks=before["counts"]["tasks"] + 1,
    )


def test_cancel_without_notice_queues_no_email(order_in, snapshot, actor):
    order = order_in(S.PAID)
    before = snapshot(order)

    order = order_cancel(order=order, actor=actor, reason="test order", notify=False)

    after = snapshot(order)
    assert [row["kind"] for row in after["history"][len(before["history"]) :]] == ["cancelled"]
    assert after["emails"] == before["emails"]
    assert after["counts"] == dict(before["counts"], history=before["counts"]["history"] + 1)


def test_cancel_without_reason_records_an_empty_reason(order_in, actor):
    order = order_in(S.RESERVED, quantity=3)
    order = order_cancel(order=order, actor=actor)
    assert order.history.get(kind="cancelled").data == {
        "from": "reserved",
        "to": "cancelled",
        "reason": "",
        "voided_tickets": 3,
        "cause": "organizer",
        "notify": True,
    }


def test_repeat_cancel_is_a_no_op(order_in, snapshot, actor):
    order = order_in(S.PAID)
    order = order_cancel(order=order, actor=actor, reason="first")
    before = snapshot(order)

    result = order_cancel(order=order, actor=actor, reason="second")

    assert snapshot(order) == before
    assert result.status == S.CANCELLED


def test_repeat_cancel_from_a_stale_copy_is_a_no_op(order_in, snapshot, actor):
    order = order_in(S.PAID)
    stale = Order.objects.get(pk=order.pk)
    order = order_cancel(order=order, actor=actor)
    before = snapshot(order)

    fresh = order_cancel(order=stale, actor=actor)

    assert snapshot(order) == before
    assert (fresh.status, fresh.cancelled_at) == (S.CANCELLED, before["order"]["cancelled_at"])


def test_cancelling_a_returned_order_is_refused(order_in, snapshot, actor):
    order = order_in(S.RETURNED)
    before = snapshot(order)

    with pytest.raises(TransitionNotAllowed) as refused:
        order = order_cancel(order=order, actor=actor)

    assert mentions(refused.value, "returned")
    assert snapshot(order) == before
    assert order.status == S.RETURNED


def test_cancel_does_not_touch_other_orders(make_product, event, place, actor, snapshot):
    product = make_product(event, capacity=10)
    cancelled = place(product, quantity=2)
    other = place(product, quantity=3)
    before = snapshot(other)

    order_cancel(order=cancelled, actor=actor)

    after = snapshot(other)
    assert {k: after[k] for k in after if k != "counts"} == {
        k: before[k] for k in before if k != "counts"
    }
    assert valid_count(product) == 3
