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
