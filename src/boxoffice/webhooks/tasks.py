"""Background tasks of webhooks; each one is idempotent (safe to run twice or late).

A task imports its service when it runs: the services import this module to enqueue it.
"""

from django_tasks import task


@task()
def webhook_deliver(delivery_id: int) -> str:
    from boxoffice.webhooks.delivery import deliver

    return deliver(delivery_id)
