"""Returns: the customer asks within the event's return window; the organizer answers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from boxoffice.catalog.models import Event
from boxoffice.common.errors import DomainError, TransitionNotAllowed
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderStatus, PaymentMethod, TicketState
from boxoffice.orders.returns import order_decline_return, order_request_return
from boxoffice.orders.rules import request_return, returns_deadline
from boxoffice.payments.models import RefundState
from boxoffice.payments.services import order_accept_return

S = OrderStatus


@pytest.fixture
def returnable(event: Event) -> Event:
    Event.objects.filter(pk=event.pk).update(
        returns_allowed=True, returns_deadline=timezone.now() + timedelta(days=7)
    )
    event.refresh_from_db()
    return event


def customer(order) -> Actor:
    return Actor.customer(order.customer_email)


def new_rows(after, before) -> list[tuple[str, dict]]:
    return [(r["kind"], r["data"]) for r in after["history"][len(before["history"]) :]]


def test_customer_asks_and_the_organizer_is_emailed(
    returnable, order_in, snapshot, organizer, settings
):
    settings.LANGUAGE_CODE = "fi"
    order = order_in(S.PAID, language="en")
    before = snapshot(order)

    order = order_request_return(order=order, actor=customer(order), reason="  I fell ill  ")

    after = snapshot(order)
    assert after["order"]["status"] == S.RETURN_REQUESTED
    [notice] = after["emails"][len(before["emails"]) :]
    assert new_rows(after, before) == [
        ("return_requested", {"from": "paid", "to": "return_requested", "reason": "I fell ill"}),
        (
            "email_queued",
            {
                "email_kind": "return_requested",
                "to": organizer.support_email,
                "message": notice["id"],
            },
        ),
    ]
    assert (notice["kind"], notice["to"], notice["language"], notice["context"]) == (
        "return_requested",
        organizer.support_email,
        "fi",  # the back office's language, not the customer's
        {"reason": "I fell ill"},
    )
    assert notice["subject"] == f"Palautuspyyntö: tilaus {order.code} (Tuska Festival)"
    assert after["history"][-2]["actor_kind"] == "customer"


def test_asking_twice_is_a_no_op(returnable, order_in, snapshot):
    order = order_in(S.PAID)
    order = order_request_return(order=order, actor=customer(order))
    before = snapshot(order)
    order = order_request_return(order=order, actor=customer(order), reason="again")
    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"returns_allowed": False}, "does not accept returns"),
        (
            {"returns_deadline": timezone.now() - timedelta(minutes=1)},
            "Returns for this event closed",
        ),
    ],
    ids=["not-allowed", "deadline-passed"],
)
def test_asking_outside_the_return_window_is_refused(
    returnable, order_in, snapshot, setup, message
):
    Event.objects.filter(pk=returnable.pk).update(**setup)
    order = order_in(S.PAID)
    before = snapshot(order)
    with pytest.raises(DomainError, match=message):
        order = order_request_return(order=order, actor=customer(order))
    assert snapshot(order) == before


@pytest.mark.parametrize("status", [S.RESERVED, S.INVOICING, S.CANCELLED, S.RETURNED])
def test_only_a_paid_order_can_be_returned(returnable, order_in, snapshot, status):
    order = order_in(status)
    before = snapshot(order)
    with pytest.raises(DomainError):
        order = order_request_return(order=order, actor=customer(order))
    assert snapshot(order) == before


def test_the_window_never_outlasts_the_event_start(returnable, order_in):
    Event.objects.filter(pk=returnable.pk).update(
        returns_deadline=returnable.starts_at + timedelta(days=3)
    )
    order = order_in(S.PAID)
    assert returns_deadline(order) == returnable.starts_at
    late = returnable.starts_at + timedelta(minutes=1)
    assert "closed" in request_return(order, now=late).reason
    Event.objects.filter(pk=returnable.pk).update(returns_deadline=None)
    order.event.refresh_from_db()
    assert returns_deadline(order) == returnable.starts_at


def test_decline_keeps_the_order_paid_and_emails_the_reason(returnable, order_in, snapshot, actor):
    order = order_in(S.PAID)
    order = order_request_return(order=order, actor=customer(order))
    before = snapshot(order)

    order = order_decline_return(
        order=order, actor=actor, reason="Returns only for cancelled shows."
    )

    after = snapshot(order)
    assert after["order"]["status"] == S.PAID
    assert after["tickets"] == before["tickets"]
    assert new_rows(after, before) == [
        (
            "return_declined",
            {
                "from": "return_requested",
                "to": "paid",
                "reason": "Returns only for cancelled shows.",
            },
        ),
        (
            "email_queued",
            {
                "email_kind": "return_declined",
                "to": order.customer_email,
                "message": after["emails"][-1]["id"],
            },
        ),
    ]
    assert after["emails"][-1]["context"] == {"reason": "Returns only for cancelled shows."}


def test_decline_needs_a_reason_and_an_open_request(returnable, order_in, snapshot, actor):
    order = order_in(S.RETURN_REQUESTED)
    before = snapshot(order)
    with pytest.raises(DomainError, match="why"):
        order = order_decline_return(order=order, actor=actor, reason="   ")
    assert snapshot(order) == before
    paid = order_in(S.PAID)
    with pytest.raises(TransitionNotAllowed):
        order_decline_return(order=paid, actor=actor, reason="no")


def test_accept_cancels_and_refunds_through_paytrail(returnable, order_in, snapshot, actor):
    order = order_in(S.PAID)  # Paytrail, 2 x 49.00 + 2 x 2.50 fees
    order = order_request_return(order=order, actor=customer(order))
    before = snapshot(order)

    refund = order_accept_return(order=order, actor=actor)

    after = snapshot(order)
    assert after["order"]["status"] == S.CANCELLED
    assert {t["state"] for t in after["tickets"]} == {TicketState.VOID}
    assert refund is not None
    assert (refund.amount, refund.state) == (Decimal("98.00"), RefundState.PENDING)
    kinds = [kind for kind, _data in new_rows(after, before)]
    assert kinds == ["cancelled", "email_queued", "refund_requested"]
    cancelled = after["history"][len(before["history"])]
    assert cancelled["data"]["reason"] == "return accepted"
    notice = after["emails"][-1]
    assert (notice["kind"], notice["context"]["return_accepted"]) == ("cancellation", True)


@pytest.mark.parametrize(
    ("method", "refund_state"),
    [
        (PaymentMethod.EPASSI, RefundState.MANUAL_REQUESTED),
        (PaymentMethod.RESERVED_BY_ORGANIZER, None),
    ],
)
def test_accept_refunds_by_the_orders_payment_method(
    returnable, place, product, actor, method, refund_state
):
    from boxoffice.payments.marking import order_mark_paid

    order = place(product, quantity=1, method=method)
    order = order_mark_paid(order=order, actor=actor)
    order = order_request_return(order=order, actor=customer(order))

    refund = order_accept_return(order=order, actor=actor)

    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert (refund.state if refund else None) == refund_state


def test_accept_twice_refunds_once(returnable, order_in, snapshot, actor):
    order = order_in(S.PAID)
    order = order_request_return(order=order, actor=customer(order))
    order_accept_return(order=order, actor=actor)
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):
        order_accept_return(order=order, actor=actor)
    assert snapshot(order) == before
