"""The delivery task: claim, POST signed, record; retries with backoff; reconcile."""

import json
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from boxoffice.orders.models import OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.processes.management.commands.worker import PERIODIC_JOBS
from boxoffice.webhooks import delivery, signing
from boxoffice.webhooks.delivery import backoff, body_of, deliver, webhooks_reconcile
from boxoffice.webhooks.models import DeliveryState, WebhookDelivery, WebhookEventType
from boxoffice.webhooks.services import webhook_endpoint_deactivate


@pytest.fixture
def queued(endpoint, order_in):
    """One pending order.placed delivery to ``endpoint``."""
    order_in(OrderStatus.RESERVED)
    return WebhookDelivery.objects.get(event_type=WebhookEventType.ORDER_PLACED)


def due_now(d: WebhookDelivery) -> None:
    """Time passes: the delivery's next attempt is due."""
    WebhookDelivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())


def test_a_2xx_answer_delivers_it_with_signed_headers(queued, endpoint, receiver):
    receiver.body = '{"received": true}'
    assert deliver(queued.pk) == "delivered"

    (request,) = receiver.requests
    assert request.method == "POST" and str(request.url) == endpoint.url
    assert request.headers["content-type"] == "application/json"
    assert request.headers["boxoffice-event"] == "order.placed"
    assert request.headers["boxoffice-delivery"] == str(queued.event_id)
    assert json.loads(request.content) == queued.payload
    assert request.content == body_of(queued.payload)
    header = request.headers["boxoffice-signature"]
    assert signing.verify(endpoint.secret, request.content, header)
    assert not signing.verify("whsec_wrong", request.content, header)

    queued.refresh_from_db()
    assert queued.state == DeliveryState.DELIVERED
    assert (queued.attempts, queued.last_status_code, queued.last_error) == (1, 200, "")
    assert queued.last_response == '{"received": true}'
    assert queued.delivered_at is not None and queued.next_attempt_at is None


def test_run_twice_it_is_sent_once(queued, receiver):
    assert deliver(queued.pk) == "delivered"
    assert deliver(queued.pk) == "nothing to send"
    assert len(receiver.requests) == 1


def test_the_worker_delivers_what_services_queue(endpoint, order_in, actor, receiver, run_tasks):
    order = order_in(OrderStatus.PAID)
    order = order_cancel(order=order, actor=actor)
    run_tasks()

    assert [r.headers["boxoffice-event"] for r in receiver.requests] == [
        "order.placed",
        "order.paid",
        "order.cancelled",
    ]
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
    run_tasks()  # nothing left to do
    assert len(receiver.requests) == 3


def test_backoff_grows_from_a_minute_to_six_hours():
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [
        60,
        240,
        960,
        3840,
        15360,
        21600,
        21600,
        21600,
    ]


def test_failures_are_retried_with_backoff_then_failed(queued, receiver):
    receiver.replies = [500, 404, httpx.ConnectError, httpx.ReadTimeout, 302, 503, 400, 502]
    waits = []
    for attempt in range(1, 8):
        started = timezone.now()
        assert deliver(queued.pk) == "will retry"
        queued.refresh_from_db()
        assert queued.state == DeliveryState.PENDING and queued.attempts == attempt
        waits.append(round((queued.next_attempt_at - started).total_seconds() / 60))
        # The retry is a task due at that time; an early run of any task does nothing.
        task = DBTaskResult.objects.order_by("-enqueued_at").first()
        assert task.args_kwargs["args"] == [queued.pk]
        assert task.run_after == queued.next_attempt_at
        assert deliver(queued.pk) == "nothing to send"
        due_now(queued)
    assert waits == [1, 4, 16, 64, 256, 360, 360]

    assert deliver(queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.state == DeliveryState.FAILED and queued.attempts == 8
    assert (queued.last_status_code, queued.last_error) == (502, "HTTP 502")
    assert queued.next_attempt_at is None
    assert len(receiver.requests) == 8
    assert deliver(queued.pk) == "nothing to send"


def test_each_attempt_is_recorded(queued, receiver):
    receiver.replies = [httpx.ConnectError, 500]
    receiver.body = "x" * 5000

    deliver(queued.pk)
    queued.refresh_from_db()
    assert queued.last_status_code is None
    assert queued.last_error == "ConnectError: scripted failure"
    assert queued.last_response == ""
    first_attempt = queued.last_attempt_at

    due_now(queued)
    deliver(queued.pk)
    queued.refresh_from_db()
    assert (queued.attempts, queued.last_status_code, queued.last_error) == (2, 500, "HTTP 500")
    assert queued.last_response == "x" * 1000  # an excerpt, never the whole answer
    assert queued.last_attempt_at > first_attempt

    due_now(queued)
    deliver(queued.pk)
    queued.refresh_from_db()
    assert queued.state == DeliveryState.DELIVERED
    assert (queued.attempts, queued.last_status_code, queued.last_error) == (3, 200, "")


def test_retries_within_one_worker_run_when_backoff_is_zero(queued, receiver, settings, run_tasks):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.replies = [500, 500, 500, 500]
    run_tasks()

    queued.refresh_from_db()
    assert queued.state == DeliveryState.FAILED and queued.attempts == 3
    assert len(receiver.requests) == 3


def test_every_attempt_is_signed_afresh_over_the_same_body(queued, receiver, monkeypatch):
    receiver.replies = [500]
    clock = iter([1_700_000_000, 1_700_000_090])
    monkeypatch.setattr(delivery, "unix_now", lambda: next(clock))
    deliver(queued.pk)
    due_now(queued)
    deliver(queued.pk)

    first, second = receiver.requests
    assert first.content == second.content
    assert first.headers["boxoffice-delivery"] == second.headers["boxoffice-delivery"]
    assert first.headers["boxoffice-signature"].startswith("t=1700000000,v1=")
    assert second.headers["boxoffice-signature"].startswith("t=1700000090,v1=")


def test_a_deactivated_endpoint_gets_nothing_more(queued, endpoint, receiver):
    webhook_endpoint_deactivate(endpoint=endpoint)

    assert deliver(queued.pk) == "nothing to send"
    assert receiver.requests == []
    queued.refresh_from_db()
    assert queued.state == DeliveryState.FAILED
    assert queued.last_error == delivery.DEACTIVATED


def test_a_retry_due_after_deactivation_is_not_sent(queued, endpoint, receiver):
    receiver.replies = [500]
    deliver(queued.pk)
    from boxoffice.webhooks.models import WebhookEndpoint

    # Deactivated behind the service's back (e.g. in a race with the attempt): the claim checks.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    due_now(queued)
    assert deliver(queued.pk) == "nothing to send"
    assert len(receiver.requests) == 1
    queued.refresh_from_db()
    assert queued.state == DeliveryState.FAILED


def test_an_unexpected_error_never_leaves_it_claimed(queued, receiver, monkeypatch):
    def broken(_delivery):
        raise RuntimeError("bug")

    monkeypatch.setattr(delivery, "_post", broken)
    assert deliver(queued.pk) == "will retry"
    queued.refresh_from_db()
    assert queued.state == DeliveryState.PENDING
    assert queued.last_error == "RuntimeError: bug"


# -- reconcile -------------------------------------------------------------------------------


def test_a_delivery_left_sending_by_a_dead_worker_is_sent_again(queued, receiver, run_tasks):
    # The worker claimed it and died: "sending", its task gone.
    DBTaskResult.objects.all().delete()
    WebhookDelivery.objects.filter(pk=queued.pk).update(
        state=DeliveryState.SENDING, attempts=1, next_attempt_at=timezone.now() - timedelta(hours=1)
    )

    assert webhooks_reconcile() == 1
    queued.refresh_from_db()
    assert queued.state == DeliveryState.PENDING
    assert queued.last_error == delivery.WORKER_LOST
    run_tasks()

    queued.refresh_from_db()
    assert queued.state == DeliveryState.DELIVERED and queued.attempts == 2
    assert len(receiver.requests) == 1


def test_a_pending_delivery_whose_task_was_lost_is_sent(queued, receiver, run_tasks):
    DBTaskResult.objects.all().delete()
    WebhookDelivery.objects.filter(pk=queued.pk).update(
        next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert webhooks_reconcile() == 1
    run_tasks()
    queued.refresh_from_db()
    assert queued.state == DeliveryState.DELIVERED and queued.attempts == 1


def test_a_dead_workers_final_attempt_is_marked_failed(queued, receiver, settings):
    WebhookDelivery.objects.filter(pk=queued.pk).update(
        state=DeliveryState.SENDING,
        attempts=settings.WEBHOOK_MAX_ATTEMPTS,
        next_attempt_at=timezone.now() - timedelta(hours=1),
    )
    assert webhooks_reconcile() == 1
    queued.refresh_from_db()
    assert queued.state == DeliveryState.FAILED
    assert queued.last_error == delivery.WORKER_LOST
    assert receiver.requests == []


def test_fresh_in_flight_and_waiting_deliveries_are_left_alone(queued, receiver, settings):
    tasks_before = DBTaskResult.objects.count()
    assert webhooks_reconcile() == 0  # just queued: its task is there and due

    WebhookDelivery.objects.filter(pk=queued.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)  # waiting in backoff
    )
    settings.WEBHOOK_RECONCILE_STALE_SECONDS = 0
    assert webhooks_reconcile() == 0
    assert DBTaskResult.objects.count() == tasks_before


def test_a_late_answer_after_reconcile_took_it_back_changes_nothing(queued, receiver):
    claimed = delivery._claim(queued.pk)
    assert claimed is not None
    # Meanwhile the reconcile job revived it and another run claimed it (attempt 2).
    WebhookDelivery.objects.filter(pk=queued.pk).update(attempts=2)

    assert delivery._record(claimed, 200, "late", "") == "overtaken"
    queued.refresh_from_db()
    assert queued.state == DeliveryState.SENDING and queued.attempts == 2


def test_reconcile_is_a_periodic_job_of_the_worker():
    assert ("reconcile_webhooks", webhooks_reconcile) in PERIODIC_JOBS
