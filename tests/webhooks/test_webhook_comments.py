"""Staff's internal comments are never sent to a webhook (issue 16, point 3): their history kinds
map to no event, writing or editing one queues nothing, and no later event's payload carries
their text."""

import json

import pytest
from django_tasks_db.models import DBTaskResult

from boxoffice.orders.models import Order, OrderEvent, OrderEventKind, OrderStatus
from boxoffice.orders.services import (
    order_cancel,
    order_comment_add,
    order_comment_edit,
    order_update_customer,
)
from boxoffice.webhooks.models import WebhookDelivery, WebhookEventType
from boxoffice.webhooks.outbox import EVENT_OF_KIND, NEVER_SENT, event_types_of

SECRET_NOTE = "Customer is a journalist, be careful"
EDITED_NOTE = "Customer is a journalist: handle with care"
COMMENT_KINDS = [OrderEventKind.COMMENT_ADDED, OrderEventKind.COMMENT_EDITED]


@pytest.mark.parametrize("kind", COMMENT_KINDS)
def test_comment_kinds_map_to_no_webhook_event(kind):
    row = OrderEvent(kind=kind, order=Order(status=OrderStatus.PAID))

    assert event_types_of(row) == []
    assert kind in NEVER_SENT
    assert kind not in EVENT_OF_KIND


@pytest.mark.parametrize("kind", COMMENT_KINDS)
def test_comment_kinds_stay_unsent_even_if_someone_maps_them(kind, monkeypatch):
    monkeypatch.setitem(EVENT_OF_KIND, kind, WebhookEventType.ORDER_UPDATED)
    row = OrderEvent(kind=kind, order=Order(status=OrderStatus.PAID))

    assert event_types_of(row) == []


def test_writing_and_editing_a_comment_queues_no_delivery(endpoint, order_in, actor):
    order = order_in(OrderStatus.PAID)
    deliveries, tasks = WebhookDelivery.objects.count(), DBTaskResult.objects.count()

    comment = order_comment_add(order=order, actor=actor, text=SECRET_NOTE)
    order_comment_edit(comment=comment, actor=actor, text=EDITED_NOTE)

    assert order.history.filter(kind__in=COMMENT_KINDS).count() == 2
    assert WebhookDelivery.objects.count() == deliveries
    assert DBTaskResult.objects.count() == tasks


def test_later_events_of_the_order_carry_no_comment(endpoint, order_in, actor):
    order = order_in(OrderStatus.PAID)
    comment = order_comment_add(order=order, actor=actor, text=SECRET_NOTE)
    order_comment_edit(comment=comment, actor=actor, text=EDITED_NOTE)
    before = set(WebhookDelivery.objects.values_list("pk", flat=True))

    order_update_customer(
        order=order,
        actor=actor,
        email=order.customer_email,
        name="Maija Virtanen",
        phone="",
        language="fi",
    )
    order_cancel(order=order, actor=actor, reason="Event moved")

    sent = WebhookDelivery.objects.exclude(pk__in=before).order_by("pk")
    assert [d.event_type for d in sent] == [
        WebhookEventType.ORDER_UPDATED,
        WebhookEventType.ORDER_CANCELLED,
    ]
    for delivery in sent:
        body = json.dumps(delivery.payload)
        assert "journalist" not in body
        assert "comment" not in body
