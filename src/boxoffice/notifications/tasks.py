"""Background tasks of notifications; each one is idempotent (safe to run twice or late)."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from boxoffice.notifications import sending


@task()
def send_email(message_id: int) -> str:
    return sending.send(message_id)


def schedule_send(message_id: int, *, delay: timedelta = timedelta(0)) -> None:
    """Enqueue a send of the message, due after ``delay``, and note when (see reconcile)."""
    from boxoffice.notifications.models import EmailMessage

    EmailMessage.objects.filter(pk=message_id).update(next_attempt_at=timezone.now() + delay)
    if delay:
        send_email.using(run_after=timezone.now() + delay).enqueue(message_id)
    else:
        send_email.enqueue(message_id)
