"""Two people press "Refund order" at the same moment: exactly one refund (PostgreSQL)."""

import pytest

from boxoffice.orders.models import OrderStatus
from boxoffice.payments.models import Refund
from boxoffice.payments.services import refund_request
from races import RACE_ON_POSTGRESQL

pytestmark = RACE_ON_POSTGRESQL


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_refund_requests_make_one_refund(order_in, actor, race, round_):
    order = order_in(OrderStatus.CANCELLED)

    def press() -> int:
        return refund_request(order=order, actor=actor).pk

    results = race(press, press)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len(set(results)) == 1
    assert Refund.objects.filter(order=order).count() == 1
