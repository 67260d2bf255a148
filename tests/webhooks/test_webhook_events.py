"""Order history becomes webhook deliveries: which kinds, for whom, in which transaction."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import (
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
)
from boxoffice.orders.services import order_cancel, order_update_customer, ticket_update_participant
from boxoffice.payments.marking import order_mark_paid
from boxoffice.webhooks.models import DeliveryState, WebhookDelivery, WebhookEventType
from boxoffice.webhooks.outbox import event_types_of
from boxoffice.webhooks.services import webhook_endpoint_deactivate

K, T = OrderEventKind, WebhookEventType
EXPECTED = {
    K.PLACED: [T.ORDER_PLACED],
    K.PAID: [T.ORDER_PAID],
    K.CANCELLED: [T.ORDER_CANCELLED],
    K.REFUNDED: [T.ORDER_REFUNDED],
    K.MARKED_REFUNDED: [T.ORDER_REFUNDED],
    K.CUSTOMER_UPDATED: [T.ORDER_UPDATED],
    K.PARTICIPANT_UPDATED: [T.ORDER_UPDATED],
    K.RETURN_REQUESTED: [T.ORDER_RETURN_REQUESTED],
    K.RETURN_DECLINED: [T.ORDER_RETURN_DECLINED],
}


def deliveries(**kw):
    return list(WebhookDelivery.objects.filter(**kw).order_by("id"))


def delivery_tasks() -> list[list[int]]:
    return [
        r.args_kwargs["args"]
        for r in DBTaskResult.objects.filter(task_path__endswith="webhook_deliver").order_by(
            "enqueued_at"
        )
    ]


@pytest.mark.parametrize("kind", OrderEventKind.values)
def test_each_history_kind_maps_to_its_event_or_to_none(kind):
    row = OrderEvent(kind=kind, order=Order(status=OrderStatus.RESERVED))
    assert event_types_of(row) == EXPECTED.get(kind, [])


def test_a_free_order_is_placed_and_paid_at_once():
    row = OrderEvent(kind=K.PLACED, order=Order(status=OrderStatus.PAID))
    assert event_types_of(row) == [T.ORDER_PLACED, T.ORDER_PAID]


def test_without_endpoints_nothing_is_queued(order_in, actor):
    order = order_in(OrderStatus.PAID)
    order = order_cancel(order=order, actor=actor, reason="test")
    assert WebhookDelivery.objects.count() == 0
    assert delivery_tasks() == []


def test_without_endpoints_a_mapped_row_costs_one_query_and_others_none(order_in, actor):
    order = order_in(OrderStatus.PAID)
    with CaptureQueriesContext(connection) as mapped:
        history.customer_updated(order, actor, {"customer_name": ("A", "B")})
    with CaptureQueriesContext(connection) as unmapped:
        history.email_event(order, K.EMAIL_SENT, actor, email_kind="confirmation", to="a@b.fi")
    sqls = [q["sql"] for q in mapped.captured_queries]
    assert len(sqls) == 2 and "webhooks_webhookendpoint" in sqls[1], sqls
    assert len(unmapped.captured_queries) == 1


def test_lifecycle_events_are_queued_for_a_subscribed_endpoint(endpoint, order_in, actor):
    order = order_in(OrderStatus.RETURNED)  # placed, paid, cancelled, marked refunded

    rows = deliveries(endpoint=endpoint)
    assert [d.event_type for d in rows] == [
        T.ORDER_PLACED,
        T.ORDER_PAID,
        T.ORDER_CANCELLED,
        T.ORDER_REFUNDED,
    ]
    assert {d.order_id for d in rows} == {order.pk}
    assert all(d.state == DeliveryState.PENDING and d.attempts == 0 for d in rows)
    assert all(d.next_attempt_at is not None for d in rows)
    assert delivery_tasks() == [[d.pk] for d in rows]


def test_only_subscribed_types_and_active_endpoints_of_the_orders_organizer(
    make_endpoint, organizer, other_organizer, order_in, actor
):
    cancels, _ = make_endpoint(organizer, events=[T.ORDER_CANCELLED])
    gone, _ = make_endpoint(organizer)
    webhook_endpoint_deactivate(endpoint=gone)
    make_endpoint(other_organizer)  # another organizer's: never told

    order = order_in(OrderStatus.PAID)
    order = order_cancel(order=order, actor=actor)

    assert [d.event_type for d in deliveries()] == [T.ORDER_CANCELLED]
    assert deliveries()[0].endpoint_id == cancels.pk


def test_every_endpoint_gets_its_delivery_of_one_event(make_endpoint, organizer, order_in):
    first, _ = make_endpoint(organizer, url="https://a.example.com/hook")
    second, _ = make_endpoint(organizer, url="https://b.example.com/hook")

    order_in(OrderStatus.RESERVED)

    placed = deliveries()
    assert [d.endpoint_id for d in placed] == [first.pk, second.pk]
    # One event: the same id (and body) everywhere.
    assert placed[0].event_id == placed[1].event_id
    assert placed[0].payload == placed[1].payload


def test_a_rolled_back_change_delivers_nothing(endpoint, order_in, actor, counts):
    order = order_in(OrderStatus.PAID)
    before = (WebhookDelivery.objects.count(), DBTaskResult.objects.count())

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        order = order_cancel(order=order, actor=actor, reason="oops")
        assert WebhookDelivery.objects.count() > before[0]  # queued inside the transaction...
        raise Boom

    # ... and gone with it.
    assert (WebhookDelivery.objects.count(), DBTaskResult.objects.count()) == before
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_the_payload(endpoint, place, product, actor):
    order = place(product, quantity=2, method=PaymentMethod.PAYTRAIL)
    order = order_mark_paid(order=order, actor=actor, reference="PT-9")

    paid = WebhookDelivery.objects.get(event_type=T.ORDER_PAID)
    row = OrderEvent.objects.get(order=order, kind=K.PAID)
    order.refresh_from_db()
    assert paid.payload == {
        "id": str(paid.event_id),
        "type": "order.paid",
        "created_at": row.created_at.isoformat(),
        "data": {
            "order": {
                "code": order.code,
                "event_id": product.event_id,
                "status": "paid",
                "payment_method": "paytrail",
                "funds_manager": "platform",
                "customer_email": "maija.meikalainen@example.com",
                "customer_name": "Maija Meikäläinen",
                "customer_phone": "",
                "language": "fi",
                "total": "103.00",
                "service_fee_total": "5.00",
                "product_count": 2,
                "created_at": order.created_at.isoformat(),
                "payment_deadline": order.payment_deadline.isoformat(),
                "paid_at": order.paid_at.isoformat(),
                "cancelled_at": None,
                "returned_at": None,
            },
            "history": {
                "id": row.pk,
                "kind": "paid",
                "created_at": row.created_at.isoformat(),
                "actor_kind": "user",
                "actor_label": actor.label,
                "ticket_id": None,
                "data": {"from": "reserved", "to": "paid", "amount": "103.00"},
            },
        },
    }
    assert uuid.UUID(paid.payload["id"]).version == 4
    assert Decimal(paid.payload["data"]["order"]["total"]) == order.total


def test_customer_and_participant_corrections_are_order_updated(endpoint, order_in, actor):
    order = order_in(OrderStatus.PAID)
    WebhookDelivery.objects.all().delete()

    order_update_customer(
        order=order,
        actor=actor,
        email="new@example.com",
        name=order.customer_name,
        phone="",
        language="en",
    )
    ticket = order.tickets.order_by("id").first()
    ticket_update_participant(ticket=ticket, actor=actor, name="Pekka", email="")
    # A save that changes nothing writes no history, so no event.
    order_update_customer(
        order=order,
        actor=actor,
        email="new@example.com",
        name=order.customer_name,
        phone="",
        language="en",
    )

    customer, participant = deliveries()
    assert customer.event_type == participant.event_type == T.ORDER_UPDATED
    assert customer.payload["data"]["order"]["customer_email"] == "new@example.com"
    assert customer.payload["data"]["history"]["kind"] == "customer_updated"
    assert customer.payload["data"]["history"]["data"] == {
        "changes": {
            "customer_email": ["maija.meikalainen@example.com", "new@example.com"],
            "language": ["fi", "en"],
        }
    }
    assert participant.payload["data"]["history"]["kind"] == "participant_updated"
    assert participant.payload["data"]["history"]["ticket_id"] == ticket.pk


def test_a_free_order_sends_placed_and_paid(endpoint, make_product, event, place):
    free = make_product(event, price=Decimal("0.00"), service_fee=Decimal("0.00"))
    place(free, quantity=1, method=PaymentMethod.FREE)

    placed, paid = deliveries()
    assert (placed.event_type, paid.event_type) == (T.ORDER_PLACED, T.ORDER_PAID)
    assert placed.event_id != paid.event_id
    assert paid.payload["data"]["order"]["status"] == "paid"
    assert paid.payload["data"]["history"]["kind"] == "placed"


def test_an_expired_reservation_sends_cancelled(endpoint, order_in, settings):
    from datetime import timedelta

    from django.utils import timezone

    from boxoffice.orders.expiry import orders_expire

    order = order_in(OrderStatus.RESERVED)
    Order.objects.filter(pk=order.pk).update(payment_deadline=timezone.now() - timedelta(1))
    orders_expire()

    last = deliveries()[-1]
    assert last.event_type == T.ORDER_CANCELLED
    assert last.payload["data"]["history"]["actor_kind"] == "system"


def test_return_requested_and_declined(endpoint, order_in, actor):
    from boxoffice.orders.services import order_transition

    order = order_in(OrderStatus.RETURN_REQUESTED)
    with transaction.atomic():
        order_transition(order=order, to=OrderStatus.PAID, actor=actor)

    assert [d.event_type for d in deliveries()][-2:] == [
        T.ORDER_RETURN_REQUESTED,
        T.ORDER_RETURN_DECLINED,
    ]


def test_actor_label_is_kept_for_api_tokens(endpoint, order_in):
    order = order_in(OrderStatus.PAID)
    order = order_cancel(order=order, actor=Actor(kind="api_token", label="API: shop sync"))
    cancelled = WebhookDelivery.objects.get(event_type=T.ORDER_CANCELLED)
    assert cancelled.payload["data"]["history"]["actor_label"] == "API: shop sync"
    assert cancelled.payload["data"]["history"]["data"]["voided_tickets"] == 2
