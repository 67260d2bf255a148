"""Two orders of one organizer paid at once get different receipt numbers (PostgreSQL)."""

from collections.abc import Callable

import pytest

from boxoffice.catalog.models import Product
from boxoffice.documents.models import Receipt
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order
from boxoffice.payments.marking import order_mark_paid
from races import RACE_ON_POSTGRESQL

pytestmark = RACE_ON_POSTGRESQL


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_receipts_get_different_numbers(
    race, round_: int, place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    orders = [place(product, quantity=1) for _ in range(2)]
    paid = race(
        lambda: order_mark_paid(order=orders[0], actor=actor),
        lambda: order_mark_paid(order=orders[1], actor=actor),
    )
    assert not any(isinstance(result, Exception) for result in paid), paid
    numbers = dict(Receipt.objects.values_list("order_id", "number"))
    assert sorted(numbers.values()) == [1, 2] and set(numbers) == {o.pk for o in orders}
    # The same order paid twice at once (a double click) keeps one number.
    third = place(product, quantity=1)
    race(
        lambda: order_mark_paid(order=third, actor=actor),
        lambda: order_mark_paid(order=third, actor=actor),
    )
    assert list(Receipt.objects.filter(order=third).values_list("number", flat=True)) == [3]
