"""order_mark_refunded: money returned outside the system; the cancelled order is returned."""

from decimal import Decimal

import pytest
from django.utils import timezone

from boxoffice.common.errors import DomainError, TransitionNotAllowed
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderStatus, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded
from boxoffice.payments.models import Refund, RefundSource, RefundState
from boxoffice.payments.selectors import ledger_of

from .helpers import mentions

S = OrderStatus


@pytest.fixture
def cancelled_paid_order(make_product, event, place, actor):
    # 3 * (19.90 + 1.35): total 63.75, of which 4.05 service fees that are never refunded.
    product = make_product(event, price=Decimal("19.90"), service_fee=Decimal("1.35"))
    order = place(product, quantity=3)
    order = order_mark_paid(order=order, actor=actor, reference="PT-1")
    order = order_cancel(order=order, actor=actor, reason="customer asked")
    order.refresh_from_db()
    assert (order.total, order.service_fee_total) == (Decimal("63.75"), Decimal("4.05"))
    return order


def test_mark_refunded_refunds_paid_amount_minus_service_fees(
    cancelled_paid_order, snapshot, actor, owner
):
    order = cancelled_paid_order
    before = snapshot(order)
    started = timezone.now()

    refund = order_mark_refunded(
        order=order, actor=actor, reference="  BANK-2024-001 ", note=" Paid back by transfer\n"
    )

    after = snapshot(order)
    assert refund.amount == Decimal("59.70")
    assert after["refunds"] == [
        {
            "id": refund.pk,
            "order_id": order.pk,
            "payment_id": None,  # money returned outside the system, not through a payment
            "amount": Decimal("59.70"),
            "state": RefundState.SUCCEEDED,
            "source": RefundSource.EXTERNAL,
            "stamp": refund.stamp,
            "reference": "BANK-2024-001",
            "provider_transaction_id": "",
            "provider_status": "",
            "provider": "",
            "failure_reason": "",
            "failure_params": {},
            "attempts": 0,
            "sent_at": None,
            "next_attempt_at": None,
            "note": "Paid back by transfer",
            "actor_id": owner.pk,
            "created_at": refund.created_at,
            "completed_at": refund.completed_at,
            # The action of its history rows (the return and the refund notice).
            "action": after["history"][-1]["action"],
        }
    ]
    assert started <= refund.completed_at <= timezone.now()

    stored = after["order"]
    assert stored["status"] == "returned"
    assert started <= stored["returned_at"] <= timezone.now()
    assert {k for k in stored if stored[k] != before["order"][k]} == {
        "status",
        "returned_at",
        "updated_at",
    }
    assert (refund.order.status, refund.order.returned_at) == ("returned", stored["returned_at"])
    assert after["tickets"] == before["tickets"]
    assert after["payments"] == before["payments"]

    # The refund, then the customer's refund notice queued in the same commit.
    assert after["history"][:-2] == before["history"]
    row, notice = after["history"][-2:]
    assert row["kind"] == "marked_refunded"
    assert row["data"] == {
        "from": "cancelled",
        "to": "returned",
        "amount": "59.70",
        "reference": "BANK-2024-001",
        "note": "Paid back by transfer",
    }
    assert (row["actor_kind"], row["actor_label"], row["actor_user_id"]) == (
        "user",
        "Olli Omistaja",
        owner.pk,
    )
    email = after["emails"][-1]
    assert (notice["kind"], notice["data"]) == (
        "email_queued",
        {"email_kind": "refund", "to": order.customer_email, "message": email["id"]},
    )
    assert (email["kind"], email["state"], email["context"]) == (
        "refund",
        "queued",
        {"amount": "59.70"},
    )
    assert after["counts"] == dict(
        before["counts"],
        refunds=before["counts"]["refunds"] + 1,
        history=before["counts"]["history"] + 2,
        emails=before["counts"]["emails"] + 1,
        tasks=before["counts"]["tasks"] + 1,
    )
    assert ledger_of(order).refundable == Decimal("0.00")


def test_mark_refunded_by_a_system_actor_has_no_user(cancelled_paid_order):
    refund = order_mark_refunded(order=cancelled_paid_order, actor=Actor.system("import"))
    assert refund.actor_id is None
    assert (refund.reference, refund.note) == ("", "")
    row = cancelled_paid_order.history.get(kind="marked_refunded")
    assert (row.actor_kind, row.actor_label, row.actor_user_id) == ("system", "import", None)


@pytest.mark.parametrize(
    "method",
    [PaymentMethod.INVOICE, PaymentMethod.EPASSI, PaymentMethod.RESERVED_BY_ORGANIZER],
)
def test_mark_refunded_works_for_any_paid_method(method, place, product, actor):
    order = place(product, quantity=2, method=method)
    order = order_mark_paid(order=order, actor=actor)
    order = order_cancel(order=order, actor=actor)
    refund = order_mark_refunded(order=order, actor=actor)
    # 2 * (49.00 + 2.50) paid, 2 * 2.50 fees kept.
    assert refund.amount == Decimal("98.00")
    assert refund.order.status == S.RETURNED


def test_mark_refunded_returns_only_what_no_other_refund_covers(cancelled_paid_order, actor):
    order = cancelled_paid_order
    in_flight = Refund.objects.create(
        order=order,
        amount=Decimal("20.00"),
        state=RefundState.SUCCEEDED,  # an earlier partial refund that went through
        source=RefundSource.PAYTRAIL,
    )
    failed = Refund.objects.create(
        order=order,
        amount=Decimal("59.70"),
        state=RefundState.FAILED,
        source=RefundSource.PAYTRAIL,
    )

    refund = order_mark_refunded(order=order, actor=actor)

    assert refund.amount == Decimal("39.70")
    assert sorted(order.refunds.values_list("pk", flat=True)) == sorted(
        [in_flight.pk, failed.pk, refund.pk]
    )
    assert order.history.get(kind="marked_refunded").data["amount"] == "39.70"


def test_repeat_mark_refunded_returns_the_same_refund(cancelled_paid_order, snapshot, actor):
    order = cancelled_paid_order
    first = order_mark_refunded(order=order, actor=actor, reference="BANK-1")
    before = snapshot(order)

    second = order_mark_refunded(order=order, actor=actor, reference="BANK-2", note="again")

    assert second.pk == first.pk
    assert second.amount == Decimal("59.70")
    assert second.reference == "BANK-1"
    assert snapshot(order) == before


def test_mark_refunded_on_a_paid_order_is_refused(order_in, snapshot, actor):
    order = order_in(S.PAID)
    before = snapshot(order)

    with pytest.raises(TransitionNotAllowed) as refused:
        order_mark_refunded(order=order, actor=actor, reference="BANK-1")

    assert mentions(refused.value, "cancel")
    assert snapshot(order) == before
    assert order.status == S.PAID


@pytest.mark.parametrize("status", [S.RESERVED, S.INVOICING, S.RETURN_REQUESTED])
def test_mark_refunded_on_an_open_order_is_refused(status, order_in, snapshot, actor):
    order = order_in(status)
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed) as refused:
        order_mark_refunded(order=order, actor=actor)
    assert mentions(refused.value, "cancel")
    assert snapshot(order) == before


@pytest.mark.parametrize("status", [S.RESERVED, S.INVOICING])
def test_mark_refunded_on_a_cancelled_never_paid_order_is_refused(
    status, order_in, snapshot, actor
):
    order = order_in(status)
    order = order_cancel(order=order, actor=actor)
    before = snapshot(order)

    with pytest.raises(DomainError) as refused:
        order_mark_refunded(order=order, actor=actor, reference="BANK-1")

    assert not isinstance(refused.value, TransitionNotAllowed)
    assert mentions(refused.value, "refund")
    assert snapshot(order) == before
    assert order.status == S.CANCELLED


def test_mark_refunded_on_a_cancelled_free_order_is_refused(place, free_product, snapshot, actor):
    order = place(free_product, quantity=2, method=PaymentMethod.FREE)
    order = order_cancel(order=order, actor=actor)
    before = snapshot(order)
    with pytest.raises(DomainError) as refused:
        order_mark_refunded(order=order, actor=actor)
    assert not isinstance(refused.value, TransitionNotAllowed)
    assert mentions(refused.value, "refund")
    assert snapshot(order) == before


def test_mark_refunded_when_other_refunds_already_cover_everything_is_refused(
    cancelled_paid_order, snapshot, actor
):
    order = cancelled_paid_order
    Refund.objects.create(
        order=order,
        amount=Decimal("59.70"),
        state=RefundState.MANUAL_REQUESTED,
        source=RefundSource.PLATFORM_MANUAL,
    )
    before = snapshot(order)
    with pytest.raises(DomainError) as refused:
        order_mark_refunded(order=order, actor=actor)
    assert not isinstance(refused.value, TransitionNotAllowed)
    assert mentions(refused.value, "refund")
    assert snapshot(order) == before


def test_mark_refunded_is_refused_while_a_refund_is_on_its_way(
    cancelled_paid_order, actor, snapshot
):
    order = cancelled_paid_order
    Refund.objects.create(
        order=order, amount=Decimal("59.70"), state=RefundState.PROCESSING, source="paytrail"
    )
    before = snapshot(order)
    with pytest.raises(DomainError, match="already on its way"):
        order_mark_refunded(order=order, actor=actor)
    assert snapshot(order) == before
