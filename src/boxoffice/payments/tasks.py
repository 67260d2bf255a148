"""Background tasks of payments; each one is idempotent (safe to run twice or late)."""

from django_tasks import task

from boxoffice.payments import paytrail_refunds


@task()
def refund_send(refund_id: int) -> str:
    return paytrail_refunds.send(refund_id)


@task()
def refund_check(refund_id: int) -> str:
    return paytrail_refunds.check(refund_id)
