"""Two people press "Refund order" at the same moment: exactly one refund (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from boxoffice.orders.models import OrderStatus
from boxoffice.payments.models import Refund
from boxoffice.payments.services import refund_request

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL): SQLite serializes writers, so nothing races",
    ),
]


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_refund_requests_make_one_refund(order_in, actor, round_):
    order = order_in(OrderStatus.CANCELLED)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def press() -> None:
        try:
            barrier.wait()
            results.append(refund_request(order=order, actor=actor).pk)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(results)) == 1
    assert Refund.objects.filter(order=order).count() == 1
