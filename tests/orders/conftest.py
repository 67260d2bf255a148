"""Fixtures for the order lifecycle tests: database snapshots and orders in a given status."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from boxoffice.catalog.models import Event, Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order

from .helpers import Snapshot, build_order_in, table_counts, take_snapshot


@pytest.fixture
def snapshot() -> Callable[..., Snapshot]:
    return take_snapshot


@pytest.fixture
def counts() -> Callable[[], dict[str, int]]:
    return table_counts


@pytest.fixture
def free_product(make_product: Callable[..., Product], event: Event) -> Product:
    return make_product(
        event, name="Free entry", price=Decimal("0.00"), service_fee=Decimal("0.00")
    )


@pytest.fixture
def order_in(place: Callable[..., Order], product: Product, actor: Actor) -> Callable[..., Order]:
    """Build an order in a given status through the real services."""

    def make(status: str, *, product: Product = product, quantity: int = 2) -> Order:
        return build_order_in(status, place=place, product=product, actor=actor, quantity=quantity)

    return make
