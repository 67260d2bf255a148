"""Helpers for the order lifecycle tests: database snapshots and orders in a given status."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
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


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Users are created in most tests; the production hasher would dominate the runtime.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def take_snapshot(order: Order) -> Snapshot:
    """Every stored row of one order, plus table sizes, to show a refused call changed nothing."""
    return {
        "order": Order.objects.filter(pk=order.pk).values().get(),
        "tickets": list(Ticket.objects.filter(order_id=order.pk).order_by("pk").values()),
        "payments": list(Payment.objects.filter(order_id=order.pk).order_by("pk").values()),
        "refunds": list(Refund.objects.filter(order_id=order.pk).order_by("pk").values()),
        "history": list(OrderEvent.objects.filter(order_id=order.pk).order_by("pk").values()),
        "counts": table_counts(),
    }


def table_counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "tickets": Ticket.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "history": OrderEvent.objects.count(),
    }


@pytest.fixture
def snapshot() -> Callable[[Order], Snapshot]:
    return take_snapshot


@pytest.fixture
def counts() -> Callable[[], dict[str, int]]:
    return table_counts


@pytest.fixture
def free_product(make_product: Callable[..., Product], event: Any) -> Product:
    return make_product(event, name="Free entry", price=Decimal("0.00"), service_fee=Decimal("0.00"))


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


@pytest.fixture
def order_in(
    place: Callable[..., Order], product: Product, actor: Actor
) -> Callable[..., Order]:
    def make(status: str, *, product: Product = product, quantity: int = 2) -> Order:
        return build_order_in(status, place=place, product=product, actor=actor, quantity=quantity)

    return make
