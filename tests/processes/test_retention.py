"""Retention: old personal data goes, once a day, and nothing that is still needed."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from boxoffice.accounts.models import ApiToken
from boxoffice.accounts.tokens import api_token_create
from boxoffice.api.models import IdempotencyKey, IdempotencyState
from boxoffice.catalog.models import Event
from boxoffice.checkin.models import Scan
from boxoffice.checkin.services import checkin_scan
from boxoffice.common.models import RateCounter
from boxoffice.notifications.models import EmailMessage, EmailState
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderStatus
from boxoffice.processes.retention import retention_daily, retention_purge
from boxoffice.webhooks.models import DeliveryState, WebhookDelivery
from boxoffice.webhooks.services import webhook_endpoint_create

DAY = timedelta(days=1)


@pytest.fixture
def token(organizer) -> ApiToken:
    made, _value = api_token_create(organizer=organizer, role="manager", name="t", created_by=None)
    return made


def _key(token: ApiToken, name: str, age: timedelta) -> IdempotencyKey:
    return IdempotencyKey.objects.create(
        token=token,
        key=name,
        method="POST",
        path="/api/v1/x",
        request_hash="h",
        state=IdempotencyState.DONE,
        created_at=timezone.now() - age,
    )


def test_each_kind_of_row_goes_after_its_period(organizer, order_in, token, settings, event):
    settings.WEBHOOK_ALLOW_LOCAL_URLS = True
    webhook_endpoint_create(organizer=organizer, url="https://hooks.example.com/", events=None)
    old_key, new_key = _key(token, "old", DAY + timedelta(minutes=1)), _key(token, "new", DAY / 2)
    old_order, new_order = order_in(OrderStatus.PAID), order_in(OrderStatus.PAID)
    now = timezone.now()
    # Deliveries: finished and old go; a pending one stays however old.
    WebhookDelivery.objects.filter(order=old_order).update(
        state=DeliveryState.DELIVERED, created_at=now - 91 * DAY
    )
    pending = WebhookDelivery.objects.filter(order=new_order).first()
    assert pending is not None
    WebhookDelivery.objects.filter(pk=pending.pk).update(created_at=now - 200 * DAY)
    # Emails: the content of old sent ones is blanked; the log row stays.
    EmailMessage.objects.filter(order=old_order).update(
        state=EmailState.SENT, created_at=now - 91 * DAY, context={"link": "secret"}
    )
    EmailMessage.objects.filter(order=new_order).update(state=EmailState.SENT, context={"x": 1})
    # Scans: of an event that ended over 30 days ago.
    ticket = new_order.tickets.first()
    checkin_scan(secret=ticket.secret, event=event, actor=Actor.system())
    assert Scan.objects.count() == 1

    # Rate-limit counters: those whose time is over.
    RateCounter.objects.create(key="over", count=3, expires_at=now - timedelta(seconds=1))
    RateCounter.objects.create(key="live", count=3, expires_at=now + timedelta(seconds=30))

    first = retention_purge()
    Event.objects.filter(pk=event.pk).update(starts_at=now - 40 * DAY, ends_at=now - 31 * DAY)
    second = retention_purge()

    assert first["idempotency_keys"] == 1 and first["scans"] == 0
    assert first["rate_counters"] == 1 and second["rate_counters"] == 0
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["live"]
    assert second["scans"] == 1 and Scan.objects.count() == 0
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [new_key.pk]
    assert not IdempotencyKey.objects.filter(pk=old_key.pk).exists()
    assert not WebhookDelivery.objects.filter(order=old_order).exists()
    assert WebhookDelivery.objects.filter(pk=pending.pk).exists()
    old_emails = EmailMessage.objects.filter(order=old_order)
    assert old_emails.exists() and all(m.context == {} for m in old_emails)
    assert all(m.context == {"x": 1} for m in EmailMessage.objects.filter(order=new_order))


def test_the_worker_runs_it_once_a_day(db: Any, monkeypatch):
    runs: list[int] = []
    monkeypatch.setattr(
        "boxoffice.processes.retention.retention_purge", lambda: runs.append(1) or {"x": 0}
    )
    assert retention_daily() == 0  # the first call starts the clock
    assert retention_daily() == 0
    assert runs == []
