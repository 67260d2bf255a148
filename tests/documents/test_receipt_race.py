"""Two receipts of one organizer issued at the same moment get different numbers (PostgreSQL)."""

from collections.abc import Callable

import pytest
from django.db import connection

from boxoffice.catalog.models import Product
from boxoffice.documents.services import receipt_for
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order
from boxoffice.payments.marking import order_mark_paid

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL): SQLite serializes writers, so nothing races",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_receipts_get_different_numbers(
    race, round_: int, place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    orders = [order_mark_paid(order=place(product, quantity=1), actor=actor) for _ in range(2)]
    first, second = race(lambda: receipt_for(orders[0]), lambda: receipt_for(orders[1]))
    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert {first.number, second.number} == {1, 2}
    # The same order raced against itself keeps one number.
    again = race(lambda: receipt_for(orders[0]), lambda: receipt_for(orders[0]))
    assert {r.number for r in again} == {first.number}
