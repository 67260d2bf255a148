"""Many workers, on many hosts, against one database.

- Each worker process says it is alive (``heartbeat``) every ``HEARTBEAT`` seconds.
- ``tasks_reclaim`` (a periodic job) puts back in the queue the tasks claimed by a worker that
  has gone quiet for ``DEAD_AFTER``: django-tasks-db marks a task RUNNING when a worker takes
  it and would leave it so forever if that worker died. Every task here is idempotent (refunds,
  emails and webhooks check their own rows; jobs their lease), so running one again is safe.
- ``exclusively`` runs a periodic job on one worker at a time: a PostgreSQL advisory lock, held
  for the job's run (SQLite is one host's file, where the database lock already serializes).
"""

import logging
import os
import socket
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from boxoffice.common.models import WorkerHeartbeat

logger = logging.getLogger("boxoffice.worker")

HEARTBEAT = timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS)
# Quiet this long, a worker is taken for dead (a long task does not silence it: the heartbeat
# has a thread of its own).
DEAD_AFTER = timedelta(seconds=settings.WORKER_DEAD_AFTER_SECONDS)


def heartbeat(worker_id: str, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": now, "host": socket.gethostname()[:255], "pid": os.getpid()},
        create_defaults={
            "seen_at": now,
            "started_at": now,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def signed_off(worker_id: str) -> None:
    """A worker stopping in good order leaves no task behind and no row."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def tasks_reclaim(*, now: datetime | None = None) -> int:
    """Put back the tasks of workers that went quiet; forget those workers. Returns how many
    tasks were put back."""
    now = now or timezone.now()
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=now - DEAD_AFTER).values_list(
            "worker_id", flat=True
        )
    )
    # A task that ran less than DEAD_AFTER ago may belong to a worker still writing its first
    # heartbeat; older ones without a live worker were left behind.
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - DEAD_AFTER
    )
    reclaimed = 0
    for task in running.only("id", "worker_ids", "task_path"):
        if task.worker_ids and task.worker_ids[-1] in alive:
            continue
        with transaction.atomic():
            # Only if it is still the same claim (its worker may have finished it meanwhile).
            put_back = DBTaskResult.objects.filter(
                pk=task.pk, status=TaskResultStatus.RUNNING, worker_ids=task.worker_ids
            ).update(status=TaskResultStatus.READY, started_at=None)
        if put_back:
            reclaimed += 1
            logger.warning(
                "task %s (%s) of a dead worker %s is queued again",
                task.pk,
                task.task_path,
                task.worker_ids[-1] if task.worker_ids else "?",
            )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - DEAD_AFTER * 10).delete()
    return reclaimed


@contextmanager
def exclusively(name: str) -> Iterator[bool]:
    """True inside for the one worker that holds ``name``'s lock now; False for the others."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = zlib.crc32(f"boxoffice:{name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def run_exclusively(name: str, job: Callable[[], int]) -> int | None:
    """``job()`` if no other worker is running it now; None if one is."""
    with exclusively(name) as mine:
        return job() if mine else None
