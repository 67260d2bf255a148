"""Running jobs: start one, do it a chunk at a time, finish or fail it.

Two shapes of job, each kind registering its handler (its app's ``ready``):

- A ``Handler`` does work that must go in order (an export writes its file from the start):
  one worker holds the job's lease (``claim``), and ``step`` does one chunk inside
  ``chunk(job)``.
- An ``ItemHandler`` does a fixed list of items (orders) that may be done in any order, so
  any number of workers share one job: each takes the next items nobody holds (SKIP LOCKED)
  and does them in one transaction. That transaction is the items' lease: a worker killed
  mid-chunk rolls it back and its items are waiting again, untouched (``items``).

``finished`` runs in the transaction that marks the job done (e.g. to enqueue the email that
says so). The runner knows nothing of the kinds.
"""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from boxoffice.common.errors import DomainError
from boxoffice.common.tasks import schedule
from boxoffice.jobs.items import LEASE, ItemHandler, run_items
from boxoffice.jobs.models import ItemState, Job, JobItem, JobState
from boxoffice.jobs.tasks import job_run

logger = logging.getLogger("boxoffice.jobs")


class Handler(Protocol):
    def step(self, job: Job) -> bool:
        """Do the next chunk inside ``chunk(job)``; False once nothing remains."""

    def finished(self, job: Job) -> None:
        """Inside the transaction that marks ``job`` done."""


_HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: "Handler | ItemHandler") -> None:
    _HANDLERS[kind] = handler  # type: ignore[assignment]


class LeaseLost(Exception):
    """This worker no longer holds the job: paused, finished, or taken over after a stall."""


def job_start(*, kind: str, params: dict[str, Any], **owner: Any) -> Job:
    """A new queued job and its task, in the caller's transaction (the outbox)."""
    with transaction.atomic():
        job = Job.objects.create(kind=kind, params=params, **owner)
        schedule(job_run, Job, job.pk)
    return job


def job_pause(job: Job) -> Job:
    """Stop after the chunk under way; nothing of it is lost (``job_resume`` goes on)."""
    Job.objects.filter(pk=job.pk, state__in=[JobState.QUEUED, JobState.RUNNING]).update(
        state=JobState.PAUSED, lease_token=None
    )
    return Job.objects.get(pk=job.pk)


def job_retry_failed(job: Job) -> Job:
    """Try the failed units of a finished or paused job again (each as if it had not been
    tried): their items go back to waiting and the job goes on."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state not in (JobState.DONE, JobState.PAUSED, JobState.FAILED):
            return locked
        again = JobItem.objects.filter(job=locked, state=ItemState.FAILED).update(
            state=ItemState.PENDING, result="", detail="", finished_at=None
        )
        if not again:
            return locked
        locked.failed = max(locked.failed - again, 0)
        locked.state = JobState.QUEUED
        locked.error = ""
        locked.finished_at = None
        locked.lease_token = None
        locked.save(update_fields=["failed", "state", "error", "finished_at", "lease_token"])
        schedule(job_run, Job, locked.pk)
    return locked


def job_resume(job: Job) -> Job:
    """Go on with a paused or failed job from its first unfinished unit."""
    with transaction.atomic():
        resumed = Job.objects.filter(
            pk=job.pk, state__in=[JobState.PAUSED, JobState.FAILED]
        ).update(state=JobState.QUEUED, error="", finished_at=None, lease_token=None)
        if resumed:
            schedule(job_run, Job, job.pk)
    return Job.objects.get(pk=job.pk)


def claim(job_id: int, *, now: Any = None) -> Job | None:
    """Take the job's lease if it is queued, or running under a lease that ran out."""
    now = now or timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None:
            return None  # gone, or another worker is recording a chunk of it right now
        stalled = job.state == JobState.RUNNING and (
            job.lease_until is None or job.lease_until < now
        )
        if job.state != JobState.QUEUED and not stalled:
            return None
        job.state = JobState.RUNNING
        job.lease_token = uuid.uuid4()
        job.lease_until = now + LEASE
        job.attempts += 1
        job.started_at = job.started_at or now
        job.save(update_fields=["state", "lease_token", "lease_until", "attempts", "started_at"])
    if stalled:
        logger.warning("job %s: taking over after its lease ran out", job.pk)
    return job


@contextmanager
def chunk(job: Job) -> Iterator[Job]:
    """One chunk's transaction: the job row locked and checked to be still ours, handed to
    the handler to record its progress on, saved with a renewed lease. LeaseLost if not ours."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state != JobState.RUNNING or locked.lease_token != job.lease_token:
            raise LeaseLost
        yield locked
        locked.lease_until = timezone.now() + LEASE
        locked.save()
    for name in ("total", "done", "failed", "params", "lease_until"):
        setattr(job, name, getattr(locked, name))


def run(job_id: int) -> str:
    """Task body: claim the job and do its chunks until it is done, paused or taken."""
    kind = Job.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if isinstance(_HANDLERS.get(kind or ""), ItemHandler):
        return run_items(job_id, _HANDLERS[kind])  # type: ignore[index,arg-type]
    job = claim(job_id)
    if job is None:
        return "not claimed"
    handler = _HANDLERS.get(job.kind)
    if handler is None:
        _fail(job, f"no handler for job kind {job.kind!r}")
        return "failed"
    try:
        while handler.step(job):
            pass
        with chunk(job) as locked:
            locked.state = JobState.DONE
            locked.finished_at = timezone.now()
            locked.lease_token = None
            handler.finished(locked)
    except LeaseLost:
        return "released"
    except DomainError as refused:  # the work may not go on (e.g. its requester lost access)
        logger.warning("job %s stopped: %s", job.pk, refused.message)
        _fail(job, refused.message)
        return "failed"
    except Exception as error:  # a bug or a lost database: the job says so, nothing half-done
        logger.exception("job %s failed", job.pk)
        _fail(job, f"{type(error).__name__}: {error}")
        return "failed"
    return "done"


def _fail(job: Job, reason: str) -> None:
    with transaction.atomic():
        Job.objects.filter(pk=job.pk, lease_token=job.lease_token).update(
            state=JobState.FAILED, error=reason[:2000], finished_at=timezone.now(), lease_token=None
        )


def jobs_reconcile(*, now: Any = None) -> int:
    """Periodic job: enqueue again the jobs whose worker died (lease run out) or whose task
    went missing (queued long past due). ``claim`` decides; a duplicate task does nothing."""
    now = now or timezone.now()
    # Not enqueued again within a lease of the last time: a busy queue may be slow to reach it.
    lost = (
        Job.objects.filter(
            Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, lease_until__lt=now)
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now - LEASE))
        .values_list("pk", flat=True)
    )
    count = 0
    for pk in lost[:100]:
        with transaction.atomic():
            schedule(job_run, Job, pk)
        count += 1
    return count
