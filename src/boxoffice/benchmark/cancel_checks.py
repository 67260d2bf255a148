"""When the event-cancel benchmark's work is over, and whether it was done right.

Over means: the job is done, every Paytrail refund it asked for is settled (succeeded or
failed, as the sandbox answered) and every email it queued has gone out (or given up). Right
means what a customer and the platform would check: every order cancelled; exactly one refund
in Paytrail's (the sandbox's) ledger per Paytrail order the job refunded, and none for any
other; one platform-queue refund per Epassi, Smartum or invoice order refunded; one
cancellation email per order and no other (it says what comes back and how).
"""

from collections import Counter
from dataclasses import dataclass

from boxoffice.catalog.models import Event
from boxoffice.jobs.models import Job, JobItem, JobState
from boxoffice.notifications.models import EmailKind, EmailMessage, EmailState
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.payments.event_cancel import CLOSED, Result
from boxoffice.payments.models import Payment, Refund, RefundSource, RefundState
from boxoffice.paytrail_sandbox.models import SandboxRefund

UNSETTLED_REFUNDS = (RefundState.PENDING, RefundState.PROCESSING)
UNSENT_EMAILS = (EmailState.QUEUED, EmailState.SENDING)


@dataclass(frozen=True)
class Progress:
    job_state: str
    cancelled: int  # orders the job has finished
    total: int
    refunds_open: int  # Paytrail refunds not yet settled
    emails_open: int  # emails not yet sent

    @property
    def over(self) -> bool:
        return self.job_state == JobState.DONE and not self.refunds_open and not self.emails_open


def progress(job: Job, event: Event) -> Progress:
    row = Job.objects.values("state", "done", "failed", "total").get(pk=job.pk)
    refunds = Refund.objects.filter(
        order__event=event, source=RefundSource.PAYTRAIL, state__in=UNSETTLED_REFUNDS
    ).count()
    emails = EmailMessage.objects.filter(order__event=event, state__in=UNSENT_EMAILS).count()
    return Progress(
        job_state=row["state"],
        cancelled=row["done"] + row["failed"],
        total=row["total"] or 0,
        refunds_open=refunds,
        emails_open=emails,
    )


@dataclass(frozen=True)
class Outcome:
    items: int
    results: dict[str, int]
    paytrail_refunds: int  # in the sandbox's ledger
    platform_refunds: int
    emails: int
    problems: list[str]


def outcome(job: Job, event: Event) -> Outcome:
    problems: list[str] = []
    job.refresh_from_db()
    if job.state != JobState.DONE or job.failed or job.done != job.total:
        problems.append(
            f"job {job.state}: {job.done} of {job.total} done, {job.failed} failed {job.error}"
        )
    items = dict(JobItem.objects.filter(job=job).values_list("target_id", "result"))
    results = Counter(items.values())
    status_of = dict(Order.objects.filter(event=event).values_list("pk", "status"))
    statuses = Counter(status_of.values())
    if any(status not in CLOSED for status in statuses):
        problems.append(f"orders not all cancelled: {dict(statuses)}")

    refunded = {pk for pk, result in items.items() if result == Result.REFUNDED}
    # Paytrail's side: one refund per refunded order's payment, none for any other payment.
    payment_order = dict(
        Payment.objects.filter(order__event=event).values_list("provider_reference", "order_id")
    )
    sandbox = Counter(
        payment_order.get(tid)
        for tid in SandboxRefund.objects.filter(
            payment__transaction_id__in=list(payment_order)
        ).values_list("payment__transaction_id", flat=True)
    )
    if set(sandbox) != refunded or set(sandbox.values()) - {1}:
        twice = sum(1 for n in sandbox.values() if n > 1)
        problems.append(
            f"sandbox refunds for {len(sandbox)} orders ({twice} more than once); the job "
            f"refunded {len(refunded)} by Paytrail"
        )
    ours = Refund.objects.filter(order__event=event, order_id__in=items)
    paytrail = Counter(ours.filter(source=RefundSource.PAYTRAIL).values_list("state", flat=True))
    if paytrail != Counter({RefundState.SUCCEEDED: len(refunded)}):
        problems.append(f"Paytrail refunds in our ledger: {dict(paytrail)}, {len(refunded)} asked")
    queued = ours.filter(source=RefundSource.PLATFORM_MANUAL, state=RefundState.MANUAL_REQUESTED)
    if queued.count() != results[Result.REFUND_QUEUED]:
        problems.append(
            f"{queued.count()} refunds in the platform's queue, "
            f"{results[Result.REFUND_QUEUED]} asked"
        )
    emails = EmailMessage.objects.filter(order__event=event, order_id__in=items)
    notices = Counter(emails.filter(kind=EmailKind.CANCELLATION).values_list("order_id", flat=True))
    if set(notices) != set(items) or set(notices.values()) != {1}:
        problems.append(f"cancellation emails to {len(notices)} of {len(items)} orders")
    # The notice says what comes back and how: a customer gets no second email for it.
    others = emails.exclude(kind=EmailKind.CANCELLATION).count()
    if others:
        problems.append(f"{others} emails besides the cancellation notices")
    unsent = emails.exclude(state=EmailState.SENT).count()
    if unsent:
        problems.append(f"{unsent} emails not sent")
    not_returned = sum(1 for pk in refunded if status_of.get(pk) != OrderStatus.RETURNED)
    if not_returned:
        problems.append(f"{not_returned} orders refunded by Paytrail are not returned")
    return Outcome(
        items=len(items),
        results=dict(results),
        paytrail_refunds=sum(sandbox.values()),
        platform_refunds=queued.count(),
        emails=emails.count(),
        problems=problems,
    )
