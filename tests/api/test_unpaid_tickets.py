"""Tickets only for paid orders: every face refuses an unpaid order's tickets with the reason,
and writes nothing (no history row, no email, no task)."""

import pytest
from django_tasks_db.models import DBTaskResult

from boxoffice.orders.models import OrderStatus

REASON = "Tickets are issued when the order is paid: until then there is nothing to send."


@pytest.mark.parametrize("status", [OrderStatus.RESERVED, OrderStatus.INVOICING])
def test_api_refuses_an_unpaid_orders_tickets_and_changes_nothing(api, order_in, snapshot, status):
    order = order_in(status)
    before = snapshot(order)

    answers = [
        api.get(f"/orders/{order.code}/tickets.pdf"),
        api.post(f"/orders/{order.code}/resend-tickets"),
    ]

    for answer in answers:
        assert answer.status_code == 409, answer.content
        assert answer.json()["error"] == {"code": "conflict", "message": REASON, "fields": {}}
    assert snapshot(order) == before
    assert DBTaskResult.objects.count() == 0


def test_api_order_says_an_unpaid_ticket_is_not_issued(api, order_in):
    unpaid, paid = order_in(OrderStatus.RESERVED), order_in(OrderStatus.PAID)

    issued = {
        order.code: [t["issued"] for t in api.get(f"/orders/{order.code}").json()["tickets"]]
        for order in (unpaid, paid)
    }

    assert issued == {unpaid.code: [False, False], paid.code: [True, True]}
