"""Random sequences of lifecycle actions never break the order's invariants.

Each example places a fresh order (the database is not rolled back between hypothesis examples)
and runs a random sequence of real service calls on it. A small model of DESIGN §4 predicts each
call's outcome (changed, no-op or refused); after every call the stored order must agree with the
model and with the invariants: valid tickets only in open orders, refunds never above paid minus
service fees, one history row per status change and none for a no-op or a refusal, and the
customer's email queued with exactly the changes they did not make themselves.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boxoffice.common.errors import DomainError
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderStatus, PaymentMethod, TicketState
from boxoffice.orders.services import order_cancel, order_transition
from boxoffice.orders.states import TRANSITIONS
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded
from boxoffice.payments.models import REFUND_STATES_COUNTED, PaymentState

S = OrderStatus
CLOSED = {S.CANCELLED, S.RETURNED}
ACTIONS = ["mark_paid", "cancel", "mark_refunded", "request_return", "decline_return"]
# The email each action queues when it changes the order (DESIGN: the customer hears about it).
# The email each kind of status row queues (notifications follows every status row, however it
# was made: the raw helper moving a reserved order to paid confirms it like Mark as paid).
NOTICES = {
    "paid": "confirmation",
    "cancelled": "cancellation",
    "marked_refunded": "refund",
    "return_requested": "return_requested",
    "return_declined": "return_declined",
}
METHODS = [
    PaymentMethod.PAYTRAIL,
    PaymentMethod.INVOICE,
    PaymentMethod.FREE,
    PaymentMethod.RESERVED_BY_ORGANIZER,
]


class Model:
    """What DESIGN §4 says should happen, independent of the implementation."""

    def __init__(self, status: str, total: Decimal, fees: Decimal, paid: Decimal) -> None:
        self.status, self.total, self.fees, self.paid = status, total, fees, paid
        self.refunded = Decimal("0.00")

    def _move(self, to: str) -> str:
        if self.status == to:
            return "noop"
        if (self.status, to) not in TRANSITIONS:
            return "refused"
        self.status = to
        return "changed"

    def apply(self, action: str) -> str:
        if action == "mark_paid":
            if self.status in (S.RESERVED, S.INVOICING):
                self.paid = self.total
            elif self.status != S.PAID:
                return "refused"
            return self._move(S.PAID)
        if action == "cancel":
            return self._move(S.CANCELLED)
        if action == "mark_refunded":
            if self.status == S.RETURNED:
                return "noop"
            refundable = self.paid - self.fees - self.refunded
            if self.status != S.CANCELLED or refundable <= 0:
                return "refused"
            self.refunded += refundable
            return self._move(S.RETURNED)
        if action == "request_return":
            return self._move(S.RETURN_REQUESTED)
        if action == "decline_return":
            return self._move(S.PAID)
        raise AssertionError(action)


def run(action: str, order, actor: Actor):
    """Do ``action``; returns the order as the service left it."""
    if action == "mark_paid":
        return order_mark_paid(order=order, actor=actor)
    if action == "cancel":
        return order_cancel(order=order, actor=actor)
    if action == "mark_refunded":
        return order_mark_refunded(order=order, actor=actor).order
    to = S.RETURN_REQUESTED if action == "request_return" else S.PAID
    with transaction.atomic():
        order_transition(order=order, to=to, actor=actor)  # the helper updates ``order``
    return order


def check_invariants(snap: dict, model: Model) -> None:
    """Check the stored rows (one snapshot, no extra queries) against the model."""
    order = snap["order"]
    assert order["status"] == model.status
    states = {t["state"] for t in snap["tickets"]}
    assert states == ({TicketState.VOID} if order["status"] in CLOSED else {TicketState.VALID})
    # Summed here, independently of the payments selectors.
    paid = sum(
        (p["amount"] for p in snap["payments"] if p["state"] == PaymentState.CONFIRMED),
        Decimal("0.00"),
    )
    refunded = sum(
        (r["amount"] for r in snap["refunds"] if r["state"] in REFUND_STATES_COUNTED),
        Decimal("0.00"),
    )
    assert paid == model.paid
    assert refunded == model.refunded
    fees = order["service_fee_total"]
    assert Decimal("0.00") <= refunded <= max(paid - fees, Decimal("0.00"))
    assert len(snap["payments"]) <= 1
    assert (order["cancelled_at"] is not None) == (order["status"] in CLOSED)
    assert (order["returned_at"] is not None) == (order["status"] == S.RETURNED)
    # The history is a chain: each status change starts where the previous one ended.
    history = [row for row in snap["history"] if not row["kind"].startswith("email_")]
    assert history[0]["kind"] == "placed"
    status = history[0]["data"]["status"]
    reached = {status}
    for row in history[1:]:
        assert row["data"]["from"] == status
        assert (row["data"]["from"], row["data"]["to"]) in TRANSITIONS
        status = row["data"]["to"]
        reached.add(status)
    assert status == order["status"]
    assert (order["paid_at"] is not None) == (S.PAID in reached)


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(METHODS),
    quantity=st.integers(min_value=1, max_value=3),
    price=st.sampled_from([Decimal("0.01"), Decimal("19.90"), Decimal("49.00")]),
    fee=st.sampled_from([Decimal("0.00"), Decimal("1.35"), Decimal("2.50")]),
    actions=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=10),
)
def test_random_lifecycles_keep_the_invariants(
    method, quantity, price, fee, actions, make_product, event, place, actor, snapshot
):
    if method == PaymentMethod.FREE:
        price = fee = Decimal("0.00")
    product = make_product(event, price=price, service_fee=fee, capacity=None)
    order = place(product, quantity=quantity, method=method)
    model = Model(
        status=order.status,
        total=order.total,
        fees=order.service_fee_total,
        paid=Decimal("0.00"),
    )
    before = snapshot(order, with_counts=False)
    check_invariants(before, model)

    for action in actions:
        expected = model.apply(action)
        try:
            order = run(action, order, actor)
            outcome = "changed" if order.status != before["order"]["status"] else "noop"
        except DomainError:
            outcome = "refused"
        assert outcome == expected, (action, before["order"]["status"])

        after = snapshot(order, with_counts=False)
        if outcome == "changed":
            added = after["history"][len(before["history"]) :]
            notice = NOTICES.get(added[0]["kind"])
            assert after["history"][: len(before["history"])] == before["history"]
            assert [row["kind"] for row in added[1:]] == (["email_queued"] if notice else [])
            assert [e["kind"] for e in after["emails"][len(before["emails"]) :]] == (
                [notice] if notice else []
            )
        else:
            assert after == before
        check_invariants(after, model)
        before = after
