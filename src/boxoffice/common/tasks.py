"""Enqueueing a task about one row: the one helper every app's background work goes through."""

from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone


def schedule(
    task: Any, model: type[models.Model], pk: int, *, delay: timedelta = timedelta(0)
) -> None:
    """Enqueue ``task(pk)``, due after ``delay``, and note on the row when it is due.

    Called inside the caller's transaction, so the task exists exactly when the change that
    needs it does (the durable outbox). The row's ``next_attempt_at`` lets each app's
    reconcile job find work whose task was lost (a worker killed before it finished).
    """
    due = timezone.now() + delay
    model._default_manager.filter(pk=pk).update(next_attempt_at=due)
    (task.using(run_after=due) if delay else task).enqueue(pk)


def schedule_new(task: Any, row: models.Model) -> None:
    """Enqueue ``task(row.pk)`` now for a row just created with ``next_attempt_at`` set (to
    its creation time): ``schedule`` without the UPDATE that would note the same thing again."""
    if getattr(row, "next_attempt_at", None) is None:
        raise ValueError(f"{type(row).__name__} {row.pk} was created without next_attempt_at")
    task.enqueue(row.pk)
