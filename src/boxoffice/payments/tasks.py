"""Background tasks of payments; each one is idempotent (safe to run twice or late)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task

from boxoffice.payments import paytrail_refunds


@task()
def refund_send(refund_id: int) -> str:
    return paytrail_refunds.send(refund_id)


@task()
def refund_check(refund_id: int) -> str:
    return paytrail_refunds.check(refund_id)


def schedule(task: Any, refund_id: int, *, delay: timedelta = timedelta(0)) -> None:
    """Enqueue a send or check of the refund and note when it is due (see reconcile)."""
    from boxoffice.payments.models import Refund

    due = timezone.now() + delay
    Refund.objects.filter(pk=refund_id).update(next_attempt_at=due)
    (task.using(run_after=due) if delay else task).enqueue(refund_id)
