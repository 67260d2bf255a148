"""event.cancelled: one delivery per subscribed endpoint when an event is cancelled, written in
the cancellation's transaction, then each order's order.cancelled as the job goes."""

import json

from boxoffice.accounts.permissions import principal_for
from boxoffice.orders.models import OrderStatus
from boxoffice.payments.event_cancel import event_cancel
from boxoffice.webhooks.models import DeliveryState, WebhookDelivery, WebhookEventType


def test_the_event_and_then_each_order(
    make_endpoint, organizer, other_organizer, event, owner, order_in, run_tasks, receiver, paytrail
):
    order = order_in(OrderStatus.RESERVED)
    make_endpoint(organizer)  # every event type
    make_endpoint(organizer, url="https://orders-only.example.com/", events=["order.paid"])
    make_endpoint(other_organizer)
    WebhookDelivery.objects.all().delete()
    job = event_cancel(event=event, principal=principal_for(owner), confirm=event.name, user=owner)

    [delivery] = WebhookDelivery.objects.filter(event_type=WebhookEventType.EVENT_CANCELLED)
    assert delivery.order is None
    assert delivery.payload["data"]["event"]["id"] == event.pk
    assert delivery.payload["data"]["job_id"] == job.pk
    run_tasks()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    bodies = [json.loads(r.content) for r in receiver.requests]
    assert [b["type"] for b in bodies] == ["event.cancelled", "order.cancelled"]
    assert bodies[1]["data"]["order"]["code"] == order.code
