"""The delivery task's body: claim the delivery, POST it outside any transaction, record.

Three steps, like every provider call (DESIGN §5): (1) a short transaction claims the pending
delivery (state sending), so a second run of the task finds nothing to do; (2) the signed body
is POSTed with httpx outside any transaction; (3) a transaction records the answer: delivered
on 2xx, otherwise back to pending with a later retry (exponential backoff), or failed after the
last attempt. Every attempt leaves its status code, error and answer excerpt on the row.

Delivery is at least once: a worker killed between the POST and step 3 leaves the delivery
"sending", and the reconcile job sends it again. Receivers deduplicate by the event id
(``Boxoffice-Delivery``).
"""

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from boxoffice.common.retention import delete_in_batches
from boxoffice.common.tasks import schedule
from boxoffice.webhooks import signing
from boxoffice.webhooks.addresses import PublicOnlyTransport
from boxoffice.webhooks.models import DeliveryState, WebhookDelivery
from boxoffice.webhooks.tasks import webhook_deliver

logger = logging.getLogger("boxoffice.webhooks")

RESPONSE_EXCERPT = 1000  # characters of the receiver's answer kept in the log
ERROR_EXCERPT = 1000
USER_AGENT = "boxoffice-webhooks/1"
# The log is read by integrators through the API, in English like its field values and the
# receivers' own errors beside them: not translated.
DEACTIVATED = "The endpoint was deactivated before this delivery went out."
WORKER_LOST = "The worker stopped during the last attempt; its outcome is unknown."

# Tests inject an httpx.MockTransport here; None: the network, through a transport that
# connects only to public addresses it checked itself (addresses.PublicOnlyTransport).
TRANSPORT: httpx.BaseTransport | None = None


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: canonical JSON, the same at every attempt."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1 min, 4, 16, 64 min, ~4 h, then 6 h."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    seconds = base * 4 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def http_client() -> httpx.Client:
    seconds = settings.WEBHOOK_TIMEOUT_SECONDS
    return httpx.Client(
        timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
        # A receiver answers where it was registered; redirects are not followed (a 3xx is a
        # failed attempt), so a URL cannot bounce our POST somewhere else.
        follow_redirects=False,
        transport=TRANSPORT or PublicOnlyTransport(),
    )


# -- step 1: claim -----------------------------------------------------------------------------


def _claim(delivery_id: int) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return None  # delivered, failed for good, or another run is sending it
        now = timezone.now()
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None  # a stale duplicate task: the one scheduled for that time will send it
        if not delivery.endpoint.active:
            delivery.state = DeliveryState.FAILED
            delivery.last_error = DEACTIVATED
            delivery.next_attempt_at = None
            delivery.save(update_fields=["state", "last_error", "next_attempt_at"])
            return None
        delivery.state = DeliveryState.SENDING
        delivery.attempts += 1
        delivery.last_attempt_at = now
        # The POST takes at most the timeout; past this the reconcile job assumes the worker died.
        delivery.next_attempt_at = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)
        delivery.save(update_fields=["state", "attempts", "last_attempt_at", "next_attempt_at"])
        return delivery


# -- step 2: POST ------------------------------------------------------------------------------


def unix_now() -> int:
    return int(time.time())


def _headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Boxoffice-Event": delivery.event_type,
        "Boxoffice-Delivery": str(delivery.event_id),
        "Boxoffice-Signature": signing.signature_header(delivery.endpoint.secret, body, unix_now()),
    }


def _read_excerpt(response: httpx.Response) -> str:
    """The start of the answer, without reading a huge (or endlessly trickling) body."""
    chunks: list[bytes] = []
    size = 0
    # httpx's timeouts are per read; the status is known, so stop reading at the timeout.
    deadline = time.monotonic() + settings.WEBHOOK_TIMEOUT_SECONDS
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_EXCERPT * 4 or time.monotonic() > deadline:
            break
    return b"".join(chunks).decode("utf-8", errors="replace")[:RESPONSE_EXCERPT]


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    """(status code or None, response excerpt, error): one attempt, outside any transaction."""
    body = body_of(delivery.payload)
    try:
        with (
            http_client() as client,
            client.stream(
                "POST", delivery.endpoint.url, content=body, headers=_headers(delivery, body)
            ) as response,
        ):
            excerpt = _read_excerpt(response)
    except httpx.HTTPError as error:
        return None, "", f"{type(error).__name__}: {error}"[:ERROR_EXCERPT]
    if 200 <= response.status_code < 300:
        return response.status_code, excerpt, ""
    return response.status_code, excerpt, f"HTTP {response.status_code}"


def deliver(delivery_id: int) -> str:
    """Task body: one attempt at one delivery. Safe to run twice."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return "nothing to send"
    try:
        status, excerpt, error = _post(delivery)
    except Exception as exc:  # a bug (e.g. an invalid URL slipped in): never leave it claimed
        logger.exception("webhook delivery %s could not be sent", delivery.pk)
        status, excerpt, error = None, "", f"{type(exc).__name__}: {exc}"[:ERROR_EXCERPT]
    return _record(delivery, status, excerpt, error)


# -- step 3: record ----------------------------------------------------------------------------


def _record(delivery: WebhookDelivery, status: int | None, excerpt: str, error: str) -> str:
    now = timezone.now()
    fields: dict[str, Any] = {
        "last_status_code": status,
        "last_response": excerpt,
        "last_error": error,
    }
    if not error:
        outcome = "delivered"
        fields.update(state=DeliveryState.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        outcome = "failed"
        fields.update(state=DeliveryState.FAILED, next_attempt_at=None)
    else:
        outcome = "will retry"
        fields.update(state=DeliveryState.PENDING)
    with transaction.atomic():
        # Only the claim this run made: if the reconcile job took the delivery back meanwhile
        # (a very slow answer), the newer attempt owns the row.
        mine = WebhookDelivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, attempts=delivery.attempts
        ).update(**fields)
        if not mine:
            return "overtaken"
        if outcome == "will retry":
            schedule(
                webhook_deliver, WebhookDelivery, delivery.pk, delay=backoff(delivery.attempts)
            )
    log = logger.info if outcome == "delivered" else logger.warning
    log(
        "webhook delivery %s (%s) attempt %s: %s %s",
        delivery.pk,
        delivery.event_type,
        delivery.attempts,
        outcome,
        error,
    )
    return outcome


# -- the periodic job --------------------------------------------------------------------------


def webhooks_reconcile() -> int:
    """Periodic job: send again what a killed worker left pending or half-sent.

    A delivery left "sending" may or may not have reached the receiver before the worker died;
    sending it again (same event id) risks a duplicate, which receivers must tolerate anyway.
    One whose last attempt was its final one is marked failed instead.
    """
    stale = timezone.now() - timedelta(seconds=settings.WEBHOOK_RECONCILE_STALE_SECONDS)
    overdue = WebhookDelivery.objects.filter(
        state__in=(DeliveryState.PENDING, DeliveryState.SENDING), next_attempt_at__lt=stale
    )
    count = 0
    for delivery_id, state, attempts in list(overdue.values_list("pk", "state", "attempts")[:1000]):
        with transaction.atomic():
            if state == DeliveryState.SENDING and attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                WebhookDelivery.objects.filter(
                    pk=delivery_id, state=DeliveryState.SENDING, attempts=attempts
                ).update(state=DeliveryState.FAILED, last_error=WORKER_LOST, next_attempt_at=None)
                count += 1
                continue
            fields: dict[str, Any] = {"state": DeliveryState.PENDING}
            if state == DeliveryState.SENDING:
                fields["last_error"] = WORKER_LOST
            revived = WebhookDelivery.objects.filter(
                pk=delivery_id, state=state, attempts=attempts
            ).update(**fields)
            if revived:
                schedule(webhook_deliver, WebhookDelivery, delivery_id)
                count += 1
    return count


def deliveries_purge(*, now: datetime | None = None) -> int:
    """Delete finished deliveries older than WEBHOOK_DELIVERY_RETENTION_DAYS (their payloads
    hold customers' details); pending ones stay until they are done."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    return delete_in_batches(
        WebhookDelivery.objects.filter(
            state__in=(DeliveryState.DELIVERED, DeliveryState.FAILED), created_at__lt=cutoff
        )
    )
