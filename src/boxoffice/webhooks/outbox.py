"""The order-history hook: history rows become webhook deliveries in the same transaction.

``on_order_event`` subscribes to every history row the orders app writes (orders.signals). A
row whose kind maps to an event type costs one indexed query for the organizer's active
endpoints; only when some endpoint subscribes are delivery rows and their tasks written, in the
caller's transaction (the outbox: a rolled-back change delivers nothing). Kinds that do not map
(email, downloads, check-in, payment and refund steps) cost nothing. Staff's internal comments
(comment_added, comment_edited) never map: they are not for anyone outside the organizer.
"""

import uuid
from datetime import datetime
from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from boxoffice.catalog.models import Event
from boxoffice.catalog.signals import event_cancelled
from boxoffice.common.money import quantize
from boxoffice.orders import held
from boxoffice.orders.models import Order, OrderEvent, OrderStatus
from boxoffice.orders.models import OrderEventKind as Kind
from boxoffice.orders.signals import order_event_recorded
from boxoffice.webhooks.models import WebhookDelivery, WebhookEndpoint
from boxoffice.webhooks.models import WebhookEventType as Type
from boxoffice.webhooks.tasks import webhook_deliver

EVENT_OF_KIND: dict[str, str] = {
    Kind.PLACED: Type.ORDER_PLACED,
    Kind.PAID: Type.ORDER_PAID,
    Kind.CANCELLED: Type.ORDER_CANCELLED,
    # Both ways an order becomes "returned": refunds completed, or marked refunded by hand.
    Kind.REFUNDED: Type.ORDER_REFUNDED,
    Kind.MARKED_REFUNDED: Type.ORDER_REFUNDED,
    Kind.CUSTOMER_UPDATED: Type.ORDER_UPDATED,
    Kind.PARTICIPANT_UPDATED: Type.ORDER_UPDATED,
    Kind.RETURN_REQUESTED: Type.ORDER_RETURN_REQUESTED,
    Kind.RETURN_DECLINED: Type.ORDER_RETURN_DECLINED,
}
# Internal to the organizer's staff: never an event, whatever is added above.
NEVER_SENT = frozenset({Kind.COMMENT_ADDED, Kind.COMMENT_EDITED})


def event_types_of(row: OrderEvent) -> list[str]:
    """The webhook events a history row stands for (none for most kinds)."""
    event_type = None if row.kind in NEVER_SENT else EVENT_OF_KIND.get(row.kind)
    if event_type is None:
        return []
    if row.kind == Kind.PLACED and row.order.status == OrderStatus.PAID:
        # A free order is paid from the start and gets no separate "paid" history row; those
        # who only listen to order.paid must still hear of it.
        return [event_type, Type.ORDER_PAID]
    return [event_type]


@receiver(order_event_recorded, dispatch_uid="webhooks.outbox")
def on_order_event(sender: Any, event: OrderEvent, **kwargs: Any) -> list[WebhookDelivery]:
    """Queue the deliveries ``event`` causes (called inside the caller's transaction)."""
    row = event
    types = event_types_of(row)
    if not types:
        return []
    order = row.order
    # Read once per action (a cancel and its refund write several rows): the endpoints as the
    # action found them, which is what one read at its start would have seen.
    endpoints = held.get(order.pk, "webhook_endpoints")
    if endpoints is None:
        endpoints = list(
            WebhookEndpoint.objects.filter(organizer_id=order.organizer_id, active=True)
            .only("pk", "events")
            .order_by("pk")
        )
        held.hold(order.pk, "webhook_endpoints", endpoints)
    if not endpoints:
        return []
    now = timezone.now()
    deliveries: list[WebhookDelivery] = []
    for event_type in types:
        subscribed = [e for e in endpoints if event_type in e.events]
        if not subscribed:
            continue
        event_id = uuid.uuid4()
        payload = build_payload(row, event_type, event_id)
        deliveries += [
            WebhookDelivery(
                endpoint=endpoint,
                order=order,
                event_type=event_type,
                event_id=event_id,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            for endpoint in subscribed
        ]
    if not deliveries:
        return []
    created = WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in created:
        webhook_deliver.enqueue(delivery.pk)
    return created


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def order_data(order: Order) -> dict[str, Any]:
    """The order as it is at the event: the API's order fields, money as decimal strings."""
    return {
        "code": order.code,
        "event_id": order.event_id,
        "status": order.status,
        "payment_method": order.payment_method,
        "funds_manager": order.funds_manager,
        "customer_email": order.customer_email,
        "customer_name": order.customer_name,
        "customer_phone": order.customer_phone,
        "language": order.language,
        "total": str(quantize(order.total)),
        "service_fee_total": str(quantize(order.service_fee_total)),
        "product_count": order.product_count,
        "created_at": _iso(order.created_at),
        "payment_deadline": _iso(order.payment_deadline),
        "paid_at": _iso(order.paid_at),
        "cancelled_at": _iso(order.cancelled_at),
        "returned_at": _iso(order.returned_at),
    }


def build_payload(row: OrderEvent, event_type: str, event_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": _iso(row.created_at),
        "data": {
            "order": order_data(row.order),
            "history": {
                "id": row.pk,
                "kind": row.kind,
                "created_at": _iso(row.created_at),
                "actor_kind": row.actor_kind,
                "actor_label": row.actor_label,
                "ticket_id": row.ticket_id,
                "data": row.data,
            },
        },
    }


@receiver(event_cancelled, dispatch_uid="webhooks.event_cancelled")
def on_event_cancelled(
    sender: Any, event: Event, job_id: int, **kwargs: Any
) -> list[WebhookDelivery]:
    """event.cancelled to the organizer's endpoints that subscribe (inside the transaction
    that cancelled the event). Each order's own order.cancelled follows as the job goes."""
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(organizer_id=event.organizer_id, active=True)
        .only("pk", "events")
        .order_by("pk")
        if Type.EVENT_CANCELLED in e.events
    ]
    if not endpoints:
        return []
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": Type.EVENT_CANCELLED.value,
        "created_at": _iso(now),
        "data": {
            "event": {
                "id": event.pk,
                "name": event.name,
                "starts_at": _iso(event.starts_at),
                "cancelled_at": _iso(event.cancelled_at),
            },
            "job_id": job_id,
        },
    }
    created = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            order=None,
            event_type=Type.EVENT_CANCELLED,
            event_id=event_id,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    for delivery in created:
        webhook_deliver.enqueue(delivery.pk)
    return created
