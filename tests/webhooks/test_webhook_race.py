"""Two workers run the same delivery at the same moment: one POST (PostgreSQL)."""

import pytest

from boxoffice.orders.models import OrderStatus
from boxoffice.webhooks.delivery import deliver
from boxoffice.webhooks.models import DeliveryState, WebhookDelivery
from races import RACE_ON_POSTGRESQL

pytestmark = RACE_ON_POSTGRESQL


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_runs_of_one_delivery_send_it_once(endpoint, order_in, receiver, race, round_):
    order_in(OrderStatus.RESERVED)
    placed = WebhookDelivery.objects.get()

    results = race(lambda: deliver(placed.pk), lambda: deliver(placed.pk))

    assert sorted(results) == ["delivered", "nothing to send"], results
    assert len(receiver.requests) == 1
    placed.refresh_from_db()
    assert placed.state == DeliveryState.DELIVERED and placed.attempts == 1
