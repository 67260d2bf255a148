"""Claiming a periodic job's turn (common.models.ScheduledRun), safe across workers."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from boxoffice.common.models import ScheduledRun


def claim_turn(name: str, *, every: timedelta, now: datetime | None = None) -> bool:
    """True for exactly one caller per period: the job ``name`` is due and now taken.

    The first call ever only starts the clock: the job is first due one period later (a new
    installation has nothing to look at yet). A worker that claims the turn and then dies loses
    that period's run; the next period runs as usual.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            run, created = ScheduledRun.objects.select_for_update().get_or_create(
                name=name, defaults={"next_run_at": now + every}
            )
            if created or run.next_run_at > now:
                return False
            run.next_run_at = now + every
            run.last_run_at = now
            run.save(update_fields=["next_run_at", "last_run_at"])
            return True
    except IntegrityError:
        return False  # another worker created the row (and took the turn) just now
