"""Emails and webhooks follow history rows: one per change, none on rollback or notices_off."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from boxoffice.common.errors import DomainError
from boxoffice.notifications.lifecycle import notices_off
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod
from boxoffice.orders.returns import order_decline_return, order_request_return
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded
from boxoffice.payments.services import order_accept_return
from boxoffice.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def kinds(order: Order) -> list[str]:
    return list(
        EmailMessage.objects.filter(order=order).order_by("pk").values_list("kind", flat=True)
    )


@pytest.fixture
def hook(organizer) -> WebhookEndpoint:
    from boxoffice.webhooks.models import WebhookEventType

    return WebhookEndpoint.objects.create(
        organizer=organizer,
        url="https://hooks.example.com/x",
        secret="s" * 32,
        events=list(WebhookEventType.values),
        active=True,
        created_at=__import__("django.utils.timezone").utils.timezone.now(),
    )


class Boom(Exception):
    pass


def test_rolled_back_cancel_queues_no_email_no_webhook_no_task(order_in, actor, hook) -> None:
    """the subscriber writes in the caller's transaction."""
    order = order_in(OrderStatus.PAID)
    before_tasks = DBTaskResult.objects.count()
    before_emails = EmailMessage.objects.count()
    before_hooks = WebhookDelivery.objects.count()
    with pytest.raises(Boom), transaction.atomic():
        order_cancel(order=order, actor=actor, reason="x")
        raise Boom
    assert DBTaskResult.objects.count() == before_tasks
    assert EmailMessage.objects.count() == before_emails
    assert WebhookDelivery.objects.count() == before_hooks


def test_notices_off_suppresses_every_lifecycle_email(place, product, actor) -> None:
    with notices_off():
        order = place(product, method=PaymentMethod.INVOICE)
        order = order_mark_paid(order=order, actor=actor)
        order = order_cancel(order=order, actor=actor)
        order_mark_refunded(order=order, actor=actor)
    assert kinds(order) == []


def test_double_cancel_emails_once(order_in, actor) -> None:
    order = order_in(OrderStatus.PAID)
    order_cancel(order=order, actor=actor)
    order_cancel(order=order, actor=actor)
    assert kinds(order) == ["confirmation", "cancellation"]


def test_cancel_without_notice_sends_nothing(order_in, actor) -> None:
    order = order_in(OrderStatus.PAID)
    order_cancel(order=order, actor=actor, notify=False)
    assert kinds(order) == ["confirmation"]


def test_double_mark_paid_and_mark_refunded_email_once(place, product, actor) -> None:
    order = place(product, method=PaymentMethod.INVOICE)
    order_mark_paid(order=order, actor=actor)
    order_mark_paid(order=order, actor=actor)
    order_cancel(order=order, actor=actor, notify=False)
    order_mark_refunded(order=order, actor=actor)
    order_mark_refunded(order=order, actor=actor)
    assert kinds(order) == ["confirmation", "refund"]


def test_return_request_accept_twice(order_in, actor, event) -> None:
    event.returns_allowed = True
    event.save()
    order = order_in(OrderStatus.PAID)
    customer = Actor.customer(order.customer_email)
    order_request_return(order=order, actor=customer, reason="ill")
    order_request_return(order=order, actor=customer, reason="ill")
    order_accept_return(order=order, actor=actor)
    with pytest.raises(DomainError):
        order_accept_return(order=order, actor=actor)
    assert kinds(order) == ["confirmation", "return_requested", "cancellation"]


def test_decline_twice_emails_once(order_in, actor, event) -> None:
    event.returns_allowed = True
    event.save()
    order = order_in(OrderStatus.PAID)
    order_request_return(order=order, actor=Actor.customer("c@example.com"), reason="ill")
    order_decline_return(order=order, actor=actor, reason="no")
    with pytest.raises(DomainError):
        order_decline_return(order=order, actor=actor, reason="no")
    assert kinds(order) == ["confirmation", "return_requested", "return_declined"]


def test_cancel_and_refund_twice_via_api(order_in, api) -> None:
    order = order_in(OrderStatus.PAID)
    r1 = api.post(
        f"/orders/{order.code}/cancel-and-refund", {"reason": "x"}, headers={"Idempotency-Key": "a"}
    )
    r2 = api.post(
        f"/orders/{order.code}/cancel-and-refund", {"reason": "x"}, headers={"Idempotency-Key": "b"}
    )
    assert r1.status_code == 200, r1.content
    assert r2.status_code == 200, r2.content
    assert kinds(order) == ["confirmation", "cancellation"]
    assert order.refunds.count() == 1
