"""Unpaid orders past their payment deadline are cancelled and their places freed."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from boxoffice.orders.expiry import order_expire, orders_expire
from boxoffice.orders.models import (
    ActorKind,
    Order,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
    TicketState,
)
from boxoffice.payments.marking import order_mark_paid

LATER = timedelta(days=30)


def test_overdue_reservation_is_cancelled_by_the_system(place, product):
    order = place(product, quantity=2)

    assert orders_expire(now=timezone.now() + LATER) == 1

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert set(order.tickets.values_list("state", flat=True)) == {TicketState.VOID}
    event = order.history.get(kind=OrderEventKind.CANCELLED)
    assert (event.actor_kind, event.actor_label, event.actor_user) == (
        ActorKind.SYSTEM,
        "payment deadline",
        None,
    )
    assert event.data == {
        "from": "reserved",
        "to": "cancelled",
        "reason": "payment deadline passed",
        "voided_tickets": 2,
        "cause": "expired",
        "notify": True,
    }


def test_overdue_invoice_is_cancelled(place, product):
    order = place(product, method=PaymentMethod.INVOICE)
    assert orders_expire(now=order.payment_deadline + timedelta(seconds=1)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_expiry_frees_the_places(place, make_product, event):
    scarce = make_product(event, capacity=2)
    place(scarce, quantity=2)
    orders_expire(now=timezone.now() + LATER)
    assert place(scarce, quantity=2).status == OrderStatus.RESERVED


@pytest.mark.parametrize(
    "method", [PaymentMethod.RESERVED_BY_ORGANIZER, PaymentMethod.RESERVED_BY_PLATFORM]
)
def test_reservations_without_deadline_never_expire(place, product, snapshot, method):
    order = place(product, method=method)
    before = snapshot(order)
    assert orders_expire(now=timezone.now() + timedelta(days=3650)) == 0
    assert snapshot(order) == before


def test_order_before_its_deadline_is_kept(place, product, snapshot):
    order = place(product)
    before = snapshot(order)
    assert orders_expire(now=order.payment_deadline - timedelta(seconds=1)) == 0
    assert snapshot(order) == before


def test_paid_order_past_its_deadline_is_kept(place, product, actor, snapshot):
    order = place(product)
    order = order_mark_paid(order=order, actor=actor)
    before = snapshot(order)
    assert orders_expire(now=timezone.now() + LATER) == 0
    assert snapshot(order) == before


def test_payment_landing_after_the_sweep_picked_the_order_wins(place, product, actor, snapshot):
    """The sweep read the order as reserved; the payment committed before the sweep's lock."""
    order = place(product)
    stale = Order.objects.get(pk=order.pk)  # what the sweep saw
    order = order_mark_paid(order=order, actor=actor)
    before = snapshot(order)

    assert order_expire(order=stale, now=timezone.now() + LATER) is False

    assert snapshot(order) == before
    stale.refresh_from_db()
    assert stale.status == OrderStatus.PAID


def test_command_and_worker_batch_expire_overdue_orders(
    place, product, settings, capsys, run_tasks
):
    settings.ORDER_RESERVATION_MINUTES = -1  # deadline already passed when placed
    first, second = place(product), place(product)

    call_command("expire_orders")
    assert capsys.readouterr().out == "2 order(s) expired.\n"
    assert {o.status for o in Order.objects.filter(pk__in=[first.pk, second.pk])} == {
        OrderStatus.CANCELLED
    }

    third = place(product)
    run_tasks()
    third.refresh_from_db()
    assert third.status == OrderStatus.CANCELLED
