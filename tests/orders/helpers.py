"""Plain helpers for the order tests (fixtures wrapping them live in conftest.py)."""

from collections.abc import Callable
from typing import Any

from django.db import transaction

from boxoffice.catalog.models import Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEvent, OrderStatus, PaymentMethod, Ticket
from boxoffice.orders.services import (
    order_cancel,
    order_mark_paid,
    order_mark_refunded,
    order_transition,
)
from boxoffice.payments.models import Payment, Refund

Snapshot = dict[str, Any]


def take_snapshot(order: Order, *, with_counts: bool = True) -> Snapshot:
    """Every stored row of one order, plus table sizes, to show a refused call changed nothing."""
    snap = {
        "order": Order.objects.filter(pk=order.pk).values().get(),
        "tickets": list(Ticket.objects.filter(order_id=order.pk).order_by("pk").values()),
        "payments": list(Payment.objects.filter(order_id=order.pk).order_by("pk").values()),
        "refunds": list(Refund.objects.filter(order_id=order.pk).order_by("pk").values()),
        "history": list(OrderEvent.objects.filter(order_id=order.pk).order_by("pk").values()),
    }
    if with_counts:
        snap["counts"] = table_counts()
    return snap


def table_counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "tickets": Ticket.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "history": OrderEvent.objects.count(),
    }


def build_order_in(
    status: str,
    *,
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    quantity: int = 2,
) -> Order:
    """An order in ``status``, reached through the real services (never by writing the row)."""
    if status == OrderStatus.RESERVED:
        order = place(product, quantity=quantity, method=PaymentMethod.PAYTRAIL)
    elif status == OrderStatus.INVOICING:
        order = place(product, quantity=quantity, method=PaymentMethod.INVOICE)
    else:
        order = place(product, quantity=quantity, method=PaymentMethod.PAYTRAIL)
        order_mark_paid(order=order, actor=actor, reference="PT-1")
        if status == OrderStatus.RETURN_REQUESTED:
            with transaction.atomic():
                order_transition(
                    order=order, to=OrderStatus.RETURN_REQUESTED, actor=Actor.customer("c@x.fi")
                )
        elif status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
            order_cancel(order=order, actor=actor, reason="setup")
            if status == OrderStatus.RETURNED:
                order_mark_refunded(order=order, actor=actor, reference="BANK-1")
    order.refresh_from_db()
    assert order.status == status
    return order


def mentions(error: Exception, *fragments: object) -> bool:
    """The refusal's message is for a person: non-empty and naming what it is about.

    Checked by fragments, not verbatim, so rewording a message does not break the tests.
    """
    message = str(error).casefold()
    assert message.strip(), "empty message"
    missing = [f for f in fragments if str(f).casefold() not in message]
    assert not missing, f"{str(error)!r} does not mention {missing}"
    return True
