"""order_mark_paid: the money of a reserved or invoiced order arrived."""

import pytest
from django.utils import timezone

from boxoffice.common.errors import DomainError, TransitionNotAllowed
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderStatus, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid, order_mark_paid_by_hand

from .helpers import mentions

S = OrderStatus


@pytest.mark.parametrize(
    ("method", "from_status"),
    [
        ("paytrail", "reserved"),
        ("epassi", "reserved"),
        ("smartum", "reserved"),
        ("invoice", "invoicing"),
        ("reserved_by_organizer", "reserved"),
        ("reserved_by_platform", "reserved"),
    ],
)
def test_mark_paid_records_one_confirmed_payment_for_the_total(
    method, from_status, place, product, snapshot, actor, owner
):
    order = place(product, quantity=2, method=method)
    assert order.status == from_status
    before = snapshot(order)
    started = timezone.now()

    result = order_mark_paid(order=order, actor=actor, reference="PT-12345")

    # The service answers with the row it locked and wrote; the caller's copy is left alone.
    assert result is not order and (result.pk, order.status) == (order.pk, from_status)
    after = snapshot(order)
    stored = after["order"]
    assert stored["status"] == "paid"
    assert started <= stored["paid_at"] <= timezone.now()
    assert {k for k in stored if stored[k] != before["order"][k]} == {
        "status",
        "paid_at",
        "updated_at",
    }
    assert (result.status, result.paid_at) == ("paid", stored["paid_at"])

    assert len(after["payments"]) == 1
    payment = after["payments"][0]
    assert {k: payment[k] for k in ("method", "amount", "state", "provider_reference")} == {
        "method": method,
        "amount": stored["total"],
        "state": "confirmed",
        "provider_reference": "PT-12345",
    }
    assert str(stored["total"]) == "103.00"
    assert started <= payment["confirmed_at"] <= timezone.now()

    assert after["tickets"] == before["tickets"]
    assert after["refunds"] == []
    # The payment, then the order confirmation (tickets attached) queued in the same commit.
    assert after["history"][:-2] == before["history"]
    row, notice = after["history"][-2:]
    assert row["kind"] == "paid"
    assert row["data"] == {"from": from_status, "to": "paid", "amount": "103.00"}
    assert (row["actor_kind"], row["actor_label"], row["actor_user_id"]) == (
        "user",
        "Olli Omistaja",
        owner.pk,
    )
    [email] = after["emails"]
    assert (notice["kind"], notice["data"]) == (
        "email_queued",
        {"email_kind": "confirmation", "to": order.customer_email, "message": email["id"]},
    )
    assert (email["kind"], email["to"], email["state"], email["language"]) == (
        "confirmation",
        order.customer_email,
        "queued",
        order.language,
    )
    assert after["counts"] == dict(
        before["counts"],
        payments=before["counts"]["payments"] + 1,
        history=before["counts"]["history"] + 2,
        emails=before["counts"]["emails"] + 1,
        tasks=before["counts"]["tasks"] + 1,
    )


def test_mark_paid_by_the_payment_callback_records_the_system(place, product):
    order = place(product, quantity=1)
    order = order_mark_paid(order=order, actor=Actor.system("paytrail callback"))
    row = order.history.get(kind="paid")
    assert (row.kind, row.actor_kind, row.actor_label, row.actor_user_id) == (
        "paid",
        "system",
        "paytrail callback",
        None,
    )
    assert order.payments.get().provider_reference == ""


def test_repeat_mark_paid_is_a_no_op(order_in, snapshot, actor):
    order = order_in(S.PAID)
    before = snapshot(order)
    assert len(before["payments"]) == 1

    assert order_mark_paid(order=order, actor=actor, reference="again").status == S.PAID

    assert snapshot(order) == before


def test_mark_paid_of_a_free_order_is_a_no_op(place, free_product, snapshot, actor):
    order = place(free_product, quantity=1, method=PaymentMethod.FREE)
    before = snapshot(order)
    order = order_mark_paid(order=order, actor=actor)
    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("status", "names"),
    [
        (S.CANCELLED, ["cancelled"]),
        (S.RETURNED, ["returned"]),
        (S.RETURN_REQUESTED, ["return requested", "paid"]),
    ],
)
def test_mark_paid_is_refused_for_closed_or_returning_orders(
    status, names, order_in, snapshot, actor
):
    order = order_in(status)
    before = snapshot(order)

    with pytest.raises(TransitionNotAllowed) as refused:
        order = order_mark_paid(order=order, actor=actor, reference="late")

    assert mentions(refused.value, *names)
    assert snapshot(order) == before
    assert order.status == status


def test_mark_paid_is_refused_for_an_unpaid_cancelled_order(order_in, snapshot, actor):
    order = order_in(S.RESERVED)
    order = order_cancel(order=order, actor=actor)
    before = snapshot(order)
    assert before["payments"] == []

    with pytest.raises(TransitionNotAllowed) as refused:
        order = order_mark_paid(order=order, actor=actor)
    assert mentions(refused.value, "cancelled")

    assert snapshot(order) == before


@pytest.mark.parametrize(
    "method",
    [
        PaymentMethod.INVOICE,
        PaymentMethod.RESERVED_BY_ORGANIZER,
        PaymentMethod.RESERVED_BY_PLATFORM,
    ],
)
def test_paid_by_hand_for_money_outside_providers(place, product, actor, method):
    order = place(product, method=method)

    order = order_mark_paid_by_hand(order=order, actor=actor, reference=" INV-1 ")

    assert order.status == OrderStatus.PAID
    assert order.payments.get().provider_reference == "INV-1"


@pytest.mark.parametrize(
    "method", [PaymentMethod.PAYTRAIL, PaymentMethod.EPASSI, PaymentMethod.SMARTUM]
)
def test_provider_payments_are_refused_by_hand(place, product, actor, snapshot, method):
    order = place(product, method=method)
    before = snapshot(order)

    with pytest.raises(DomainError) as error:
        order = order_mark_paid_by_hand(order=order, actor=actor)

    assert mentions(error.value, "payment service")
    assert snapshot(order) == before
