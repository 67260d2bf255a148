"""Background tasks of webhooks; each one is idempotent (safe to run twice or late)."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from boxoffice.webhooks import delivery


@task()
def webhook_deliver(delivery_id: int) -> str:
    return delivery.deliver(delivery_id)


def schedule(delivery_id: int, *, delay: timedelta = timedelta(0)) -> None:
    """Enqueue an attempt at the delivery, due after ``delay``, and note when (see reconcile)."""
    from boxoffice.webhooks.models import WebhookDelivery

    due = timezone.now() + delay
    WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=due)
    (webhook_deliver.using(run_after=due) if delay else webhook_deliver).enqueue(delivery_id)
