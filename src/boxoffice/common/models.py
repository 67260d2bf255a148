"""Shared bookkeeping rows that belong to no domain."""

from django.db import models


class ScheduledRun(models.Model):
    """When a periodic job (daily reconciliation, the hourly attention sweep) is next due.

    Kept in the database rather than in a worker's memory, so that any number of workers and
    restarts run each job once per period: the one that claims it moves ``next_run_at``.
    """

    name = models.CharField(max_length=64, unique=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (next {self.next_run_at:%Y-%m-%d %H:%M})"


class WorkerHeartbeat(models.Model):
    """A running worker process, and when it last said so.

    Every worker writes its row every few seconds (processes.fleet). A task claimed by a worker
    whose row has gone quiet was left half-done by a process that died (killed, its host lost):
    the reclaim job hands it to the others, which may run it again because every task is
    idempotent.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.host} (pid {self.pid})"


class RateCounter(models.Model):
    """One rate-limit counter (common.counters): hits on ``key`` until ``expires_at``.

    Used when the site has no Redis. Losing these rows loses nothing but a few minutes of
    counting, so on PostgreSQL the table is UNLOGGED (migration 0004): raising a counter on
    every API request then writes no WAL and the commit waits for no disk.
    """

    key = models.CharField(max_length=255, primary_key=True)
    count = models.PositiveIntegerField()
    # No index: the daily purge reads this small table whole, and each hit writes no index
    # but the key's (so PostgreSQL updates the row in place, a HOT update).
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
