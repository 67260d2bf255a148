"""Epassi, Smartum and invoice orders: "Refund order" files a request in the platform's queue."""

from decimal import Decimal

import pytest

from boxoffice.common.errors import DomainError
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderEventKind, OrderStatus, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import RefundSource, RefundState
from boxoffice.payments.services import refund_complete_manual, refund_request


@pytest.fixture
def cancelled_benefit_order(place, product, actor):
    def make(method: str):
        order = place(product, method=method)
        order = order_mark_paid(order=order, actor=actor, reference="EP-778899")
        order = order_cancel(order=order, actor=actor)
        return order

    return make


@pytest.mark.parametrize(
    "method", [PaymentMethod.EPASSI, PaymentMethod.SMARTUM, PaymentMethod.INVOICE]
)
def test_refund_goes_to_the_platform_queue(cancelled_benefit_order, actor, method):
    order = cancelled_benefit_order(method)

    refund = refund_request(order=order, actor=actor)

    assert (refund.state, refund.source, refund.amount) == (
        RefundState.MANUAL_REQUESTED,
        RefundSource.PLATFORM_MANUAL,
        Decimal("98.00"),
    )
    assert refund.payment is not None and refund.payment.provider_reference == "EP-778899"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    event = order.history.get(kind=OrderEventKind.REFUND_REQUESTED)
    assert event.data == {"amount": "98.00", "via": "platform"}
    assert refund_request(order=order, actor=actor).pk == refund.pk  # a repeat files nothing


def test_staff_complete_the_refund_and_the_order_is_returned(
    cancelled_benefit_order, actor, staff_user
):
    order = cancelled_benefit_order(PaymentMethod.EPASSI)
    refund = refund_request(order=order, actor=actor)

    done = refund_complete_manual(
        refund=refund, actor=Actor.for_user(staff_user), reference=" EPASSI-CANCEL-42 "
    )

    order.refresh_from_db()
    assert (done.state, done.reference) == (RefundState.MANUAL_DONE, "EPASSI-CANCEL-42")
    assert order.status == OrderStatus.RETURNED
    kinds = list(order.history.order_by("pk").values_list("kind", flat=True))
    # The refund notice is queued as the order becomes returned.
    assert kinds[-4:] == ["refund_requested", "refund_succeeded", "refunded", "email_queued"]
    assert order.history.get(kind="refund_succeeded").actor_user == staff_user
    notice = order.history.latest("pk")
    assert (notice.actor_user, notice.data) == (
        staff_user,
        {
            "email_kind": "refund",
            "to": order.customer_email,
            "message": order.emails.get(kind="refund").pk,
        },
    )
    # Completed days later by someone else, it still joins the action that asked for it.
    assert list(order.history.filter(action=refund.action).values_list("kind", flat=True)) == [
        "refund_requested",
        "refund_succeeded",
        "refunded",
        "email_queued",
    ]
    assert list(order.emails.order_by("pk").values_list("kind", "state", "context")) == [
        ("confirmation", "queued", {}),
        (
            "cancellation",
            "queued",
            {"reason": "", "expired": False, "return_accepted": False, "was_paid": True},
        ),
        ("refund", "queued", {"amount": "98.00"}),
    ]
    # Completing twice is harmless, and tells the customer nothing twice.
    assert (
        refund_complete_manual(
            refund=refund, actor=Actor.for_user(staff_user), reference="again"
        ).reference
        == "EPASSI-CANCEL-42"
    )
    assert order.emails.filter(kind="refund").count() == 1
    assert order.history.latest("pk").pk == notice.pk


def test_completing_needs_a_reference(cancelled_benefit_order, actor, staff_user, snapshot):
    order = cancelled_benefit_order(PaymentMethod.SMARTUM)
    refund = refund_request(order=order, actor=actor)
    before = snapshot(order)
    with pytest.raises(DomainError, match="reference"):
        refund_complete_manual(refund=refund, actor=Actor.for_user(staff_user), reference="  ")
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "method",
    [PaymentMethod.FREE, PaymentMethod.RESERVED_BY_ORGANIZER, PaymentMethod.RESERVED_BY_PLATFORM],
)
def test_orders_without_a_refund_service_are_refused(
    place, make_product, event, actor, snapshot, method
):
    free = make_product(event, price=Decimal("0"), service_fee=Decimal("0"))
    order = place(free if method == PaymentMethod.FREE else make_product(event), method=method)
    if order.status != OrderStatus.PAID:
        order = order_mark_paid(order=order, actor=actor)
    order = order_cancel(order=order, actor=actor)
    before = snapshot(order)
    with pytest.raises(DomainError):
        refund_request(order=order, actor=actor)
    assert snapshot(order) == before
