"""The workers' claim query walks boxoffice_task_claim_idx (common migration 0003), not two
bitmaps rechecked page by page, however many finished tasks the table holds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from boxoffice.processes import claim

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL): its planner"
    ),
]


def claim_plan() -> str:
    # The statement the workers claim with (processes/claim.py), explained without running it.
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN " + claim.CLAIM,
            {
                "now": timezone.now(),
                "worker": "w",
                "backend": "default",
                "never": get_date_max(),
            },
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_claim_walks_its_index_with_thousands_of_finished_tasks(db):
    now = timezone.now()
    DBTaskResult.objects.bulk_create(
        DBTaskResult(
            status="SUCCESSFUL" if i % 100 else "READY",
            enqueued_at=now - timedelta(seconds=i),
            args_kwargs={"args": [i], "kwargs": {}},
            priority=0,
            task_path="boxoffice.notifications.tasks.send_email",
            queue_name="default",
            backend_name="default",
            run_after=now - timedelta(seconds=i),
        )
        for i in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE django_tasks_database_dbtaskresult")
    plan = claim_plan()
    assert "boxoffice_task_claim_idx" in plan, plan
    assert "Bitmap" not in plan, plan
