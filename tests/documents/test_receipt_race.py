"""Two receipts of one organizer issued at the same moment get different numbers (PostgreSQL)."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from boxoffice.catalog.models import Product
from boxoffice.documents.services import receipt_for
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order
from boxoffice.orders.services import order_mark_paid

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL): SQLite serializes writers, so nothing races",
    ),
    pytest.mark.django_db(transaction=True),
]


def race(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive(), "a racing call hung"
    return results


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_receipts_get_different_numbers(
    round_: int, place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    orders = [order_mark_paid(order=place(product, quantity=1), actor=actor) for _ in range(2)]
    first, second = race(lambda: receipt_for(orders[0]), lambda: receipt_for(orders[1]))
    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert {first.number, second.number} == {1, 2}
    # The same order raced against itself keeps one number.
    again = race(lambda: receipt_for(orders[0]), lambda: receipt_for(orders[0]))
    assert {r.number for r in again} == {first.number}
