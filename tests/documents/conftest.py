"""An order mixing every Finnish VAT rate, with service fees."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from boxoffice.accounts.models import Organizer
from boxoffice.catalog.models import Event, Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, PaymentMethod
from boxoffice.orders.services import Customer, OrderLine, order_place

from .door_lists import Mixed, make_mixed

# (name, price, VAT rate, service fee, quantity): prices chosen so per-line VAT rounds.
MIXED = (
    ("Konsertti", "49.90", "10.00", "2.49", 3),
    ("Illallinen", "37.35", "14.00", "1.99", 2),
    ("Festarihuppari", "45.00", "25.50", "0.00", 1),
    ("Lahjoitus", "5.00", "0.00", "0.50", 1),
)


@pytest.fixture
def place_mixed(make_product: Callable[..., Product], event: Event) -> Callable[..., Order]:
    products = [
        make_product(event, name=n, price=Decimal(p), vat_rate=Decimal(v), service_fee=Decimal(f))
        for n, p, v, f, _ in MIXED
    ]

    def place(event: Event = event, products: list[Product] = products) -> Order:
        return order_place(
            event=event,
            lines=[
                OrderLine(product=prod, quantity=spec[4])
                for prod, spec in zip(products, MIXED, strict=True)
            ],
            customer=Customer(email="asa@example.com", name="Åsa Öberg"),
            payment_method=PaymentMethod.PAYTRAIL,
            actor=Actor.customer("asa@example.com"),
        )

    return place


@pytest.fixture
def mixed(
    order_in: Callable[..., Order],
    event: Event,
    make_product: Callable[..., Product],
    make_event: Callable[..., Event],
    other_organizer: Organizer,
    actor: Actor,
) -> Mixed:
    """An event with tickets in every state a door list must sort out (door_lists.EXPECTED)."""
    return make_mixed(
        order_in=order_in,
        event=event,
        make_product=make_product,
        make_event=make_event,
        other_organizer=other_organizer,
        actor=actor,
    )
