"""Background tasks of notifications; each one is idempotent (safe to run twice or late).

A task imports its service when it runs: the services import this module to enqueue it.
"""

from django_tasks import task


@task()
def send_email(message_id: int) -> str:
    from boxoffice.notifications.sending import send

    return send(message_id)
