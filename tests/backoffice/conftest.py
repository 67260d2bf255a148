"""Back-office web tests: logged-in clients, orders in every status, and database snapshots."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from boxoffice.accounts.models import Organizer, Role, User
from boxoffice.catalog.models import Event, Product
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


def take_snapshot(order: Order) -> Snapshot:
    """Every stored row of an order, plus table sizes: shows a refused request changed nothing."""
    return {
        "order": Order.objects.filter(pk=order.pk).values().get(),
        "tickets": list(Ticket.objects.filter(order_id=order.pk).order_by("pk").values()),
        "payments": list(Payment.objects.filter(order_id=order.pk).order_by("pk").values()),
        "refunds": list(Refund.objects.filter(order_id=order.pk).order_by("pk").values()),
        "history": list(OrderEvent.objects.filter(order_id=order.pk).order_by("pk").values()),
        "counts": {
            "orders": Order.objects.count(),
            "tickets": Ticket.objects.count(),
            "payments": Payment.objects.count(),
            "refunds": Refund.objects.count(),
            "history": OrderEvent.objects.count(),
        },
    }


@pytest.fixture
def snapshot() -> Callable[[Order], Snapshot]:
    return take_snapshot


def build_order_in(
    status: str,
    *,
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    quantity: int = 2,
    **kw: Any,
) -> Order:
    """An order in ``status``, reached through the real services (never by writing the row)."""
    if status == OrderStatus.INVOICING:
        order = place(product, quantity=quantity, method=PaymentMethod.INVOICE, **kw)
    else:
        order = place(product, quantity=quantity, method=PaymentMethod.PAYTRAIL, **kw)
    if status in (
        OrderStatus.PAID,
        OrderStatus.RETURN_REQUESTED,
        OrderStatus.CANCELLED,
        OrderStatus.RETURNED,
    ):
        order_mark_paid(order=order, actor=actor, reference="PT-1")
    if status == OrderStatus.RETURN_REQUESTED:
        with transaction.atomic():
            order_transition(
                order=order, to=OrderStatus.RETURN_REQUESTED, actor=Actor.customer("c@example.com")
            )
    if status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        order_cancel(order=order, actor=actor, reason="setup")
    if status == OrderStatus.RETURNED:
        order_mark_refunded(order=order, actor=actor, reference="BANK-1")
    order.refresh_from_db()
    assert order.status == status
    return order


@pytest.fixture
def order_in(place: Callable[..., Order], product: Product, actor: Actor) -> Callable[..., Order]:
    """order_in("paid") -> a paid order of 2 x 49.00 + 2 x 2.50 fees = 103.00 in ``event``."""

    def make(status: str, *, product: Product = product, quantity: int = 2, **kw: Any) -> Order:
        return build_order_in(
            status, place=place, product=product, actor=actor, quantity=quantity, **kw
        )

    return make


@pytest.fixture
def other_event(make_event: Callable[..., Event], other_organizer: Organizer) -> Event:
    return make_event(other_organizer, name="Ruisrock")


@pytest.fixture
def other_product(make_product: Callable[..., Product], other_event: Event) -> Product:
    return make_product(other_event, name="Weekend pass", price=Decimal("120.00"))


@pytest.fixture
def other_owner(make_user: Callable[..., User], other_organizer: Organizer) -> User:
    return make_user("other.owner@example.com", other_organizer, Role.OWNER)


@pytest.fixture
def foreign_order(place: Callable[..., Order], other_product: Product) -> Order:
    """A paid order of the other organizer, bought by someone with distinctive details."""
    order = place(
        other_product,
        quantity=1,
        email="foreign.buyer@example.net",
        name="Foreign Buyer",
        phone="+358501112223",
    )
    order_mark_paid(order=order, actor=Actor.system(), reference="PT-F")
    order.refresh_from_db()
    return order


@pytest.fixture
def login() -> Callable[[User], Client]:
    """A test client logged in as ``user``."""

    def make(user: User, **client_kw: Any) -> Client:
        client = Client(**client_kw)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def owner_client(login: Callable[[User], Client], owner: User) -> Client:
    return login(owner)
