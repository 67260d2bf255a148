"""Fixtures for the order lifecycle tests (snapshots and order_in live in tests/conftest.py)."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from boxoffice.catalog.models import Event, Product


@pytest.fixture
def free_product(make_product: Callable[..., Product], event: Event) -> Product:
    return make_product(
        event, name="Free entry", price=Decimal("0.00"), service_fee=Decimal("0.00")
    )
