"""Jobs whose work is a fixed list of items (orders), shared by any number of workers.

The items are made when the job starts (its scope is fixed then). A worker joins the job and
takes chunks: the next ``chunk_size`` waiting items that no other worker holds (SELECT ... FOR
UPDATE SKIP LOCKED), each done in a savepoint, all recorded with the job's counters in one
transaction. That transaction is the chunk's lease: a worker killed mid-chunk loses its
connection, PostgreSQL rolls the chunk back and its items are waiting again, untouched, for the
next worker to take. So an order's change and its item's "done" commit together or not at all:
nothing is done twice, whatever dies when.

Workers that find nothing left to take go away; the one that records the last chunk marks the
job done. If every worker died, the job's ``lease_until`` (pushed on by each chunk) runs out
and the reconcile job enqueues it again.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from boxoffice.common.errors import DomainError
from boxoffice.jobs.models import ItemState, Job, JobItem, JobState
from boxoffice.jobs.tasks import job_run

logger = logging.getLogger("boxoffice.jobs")

LEASE = timedelta(seconds=settings.JOB_LEASE_SECONDS)


@dataclass(frozen=True)
class Outcome:
    """What became of one item: a short result code, money sent back, or skipped (nothing to
    do, e.g. the order was already cancelled)."""

    result: str
    amount: Decimal | None = None
    skipped: bool = False
    detail: str = ""


class ItemHandler:
    """Subclass per kind: ``load`` the chunk's targets at once, ``do`` one (in a savepoint;
    a DomainError marks the item failed with its message and the rest go on)."""

    # Items per chunk: one transaction of a few seconds at most, well inside the lease.
    chunk_size = 25

    def context(self, job: Job) -> Any:
        """What every item of a run needs (e.g. the acting person), worked out once."""
        return None

    def load(self, job: Job, target_ids: list[int]) -> dict[int, Any]:
        raise NotImplementedError  # each kind says what its items are

    def do(self, job: Job, target: Any, context: Any) -> Outcome:
        raise NotImplementedError

    def finished(self, job: Job) -> None:
        """Inside the transaction that marks ``job`` done."""


class Stopped(Exception):
    """The job was paused or ended while this worker was on it."""


def run_items(job_id: int, handler: ItemHandler) -> str:
    """Task body for an item job: join it and take chunks until none is left."""
    job = _join(job_id)
    if job is None:
        return "not running"
    taken = 0
    try:
        context = handler.context(job)
        while count := take_chunk(job, handler, context):
            taken += count
        # What this worker did, on its task's result (the multi-worker test reads it).
        return f"{taken} items; {finish(job, handler)}"
    except Stopped:
        return "stopped"
    except DomainError as refused:  # the work may not go on (e.g. its requester lost access)
        logger.warning("job %s stopped: %s", job.pk, refused.message)
        _fail(job, refused.message)
        return "failed"
    except Exception as error:  # a bug or a lost database: the chunk rolled back, job says so
        logger.exception("job %s failed", job.pk)
        _fail(job, f"{type(error).__name__}: {error}")
        return "failed"


def _join(job_id: int) -> Job | None:
    """Start a queued job (and call more workers to share it), or join a running one."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state not in (JobState.QUEUED, JobState.RUNNING):
            return None
        # Queued (new, resumed, retried) or stalled (every worker on it died): call helpers.
        calling = job.state == JobState.QUEUED or (
            job.lease_until is not None and job.lease_until < now
        )
        if calling:
            job.state = JobState.RUNNING
            job.attempts += 1
            job.started_at = job.started_at or now
            job.lease_until = now + LEASE
            job.save(update_fields=["state", "attempts", "started_at", "lease_until"])
            for _ in range(settings.JOB_WORKERS_PER_JOB - 1):
                job_run.enqueue(job.pk)
    return job


def take_chunk(job: Job, handler: ItemHandler, context: Any) -> int:
    """Do the next chunk of waiting items nobody holds; how many (0: none left to take)."""
    with transaction.atomic():
        state = Job.objects.filter(pk=job.pk).values_list("state", flat=True).first()
        if state != JobState.RUNNING:
            raise Stopped
        items = list(
            JobItem.objects.select_for_update(skip_locked=True)
            .filter(job_id=job.pk, state=ItemState.PENDING)
            .order_by("pk")[: handler.chunk_size]
        )
        if not items:
            return 0
        targets = handler.load(job, [item.target_id for item in items])
        done = failed = 0
        money = Decimal("0.00")
        for item in items:
            try:
                with transaction.atomic():  # one item's change, or none of it
                    outcome = handler.do(job, targets.get(item.target_id), context)
            except DomainError as refused:
                item.state, item.result, item.detail = ItemState.FAILED, "refused", str(refused)
                failed += 1
            else:
                item.state = ItemState.SKIPPED if outcome.skipped else ItemState.DONE
                item.result, item.amount = outcome.result, outcome.amount
                item.detail = outcome.detail
                done += 1
                money += outcome.amount or 0
            item.finished_at = timezone.now()
        JobItem.objects.bulk_update(items, ["state", "result", "detail", "amount", "finished_at"])
        # The counters move by this chunk's numbers: other workers' chunks add theirs.
        Job.objects.filter(pk=job.pk).update(
            done=F("done") + done,
            failed=F("failed") + failed,
            refunded_total=F("refunded_total") + money,
            lease_until=timezone.now() + LEASE,
        )
    return len(items)


def finish(job: Job, handler: ItemHandler) -> str:
    """Mark the job done if no item waits; else another worker holds the rest and will."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state != JobState.RUNNING:
            return "stopped"
        # Items in another worker's uncommitted chunk still read as waiting here: that
        # worker finds nothing more after its commit and comes here itself.
        if JobItem.objects.filter(job_id=job.pk, state=ItemState.PENDING).exists():
            return "shared"
        locked.state = JobState.DONE
        locked.finished_at = timezone.now()
        locked.lease_token = None
        handler.finished(locked)
        locked.save()
    return "done"


def _fail(job: Job, reason: str) -> None:
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
        state=JobState.FAILED, error=reason[:2000], finished_at=timezone.now(), lease_token=None
    )
