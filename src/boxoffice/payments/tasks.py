"""Background tasks of payments; each one is idempotent (safe to run twice or late).

A task imports its service when it runs: the services import this module to enqueue it.
"""

from django_tasks import task


@task()
def refund_send(refund_id: int) -> str:
    from boxoffice.payments.paytrail.refunds import send

    return send(refund_id)


@task()
def refund_check(refund_id: int) -> str:
    from boxoffice.payments.paytrail.refunds import check

    return check(refund_id)
