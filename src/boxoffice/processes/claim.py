"""The worker's loop: take the next due task in one statement, run it, repeat.

django-tasks-db's own loop claims a task in a transaction of four round trips (BEGIN, a
``SELECT ... FOR UPDATE SKIP LOCKED`` built by the ORM each time, an UPDATE, COMMIT): about
2.5 ms of the worker's CPU and four statements of PostgreSQL's for every task, which is as much
as sending an email costs. On PostgreSQL one ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP
LOCKED) RETURNING`` does the same in autocommit: the row is locked, checked still READY (a row
another worker claimed meanwhile is re-read and skipped) and marked RUNNING by this worker, in
the order and with the index (common/0003) of django-tasks-db's own claim. Running the task and
recording its end stay django-tasks-db's (``Worker.run_task``). SQLite keeps django-tasks-db's
loop: one writer at a time, where a claim's round trips cost nothing.
"""

import logging
import time
from typing import Any

from django.db import NotSupportedError, close_old_connections, connections
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult, get_date_max

logger = logging.getLogger("boxoffice.worker")

TABLE = DBTaskResult._meta.db_table
COLUMNS = ", ".join(f'"{field.column}"' for field in DBTaskResult._meta.concrete_fields)
# The statuses are written out, not parameters: a plan PostgreSQL keeps for the statement
# (psycopg prepares it) can then use the partial index of READY rows.
CLAIM = f"""
UPDATE {TABLE} SET status = '{TaskResultStatus.RUNNING}', started_at = %(now)s,
    worker_ids = worker_ids || jsonb_build_array(%(worker)s::text)
WHERE id = (
    SELECT id FROM {TABLE}
    WHERE status = '{TaskResultStatus.READY}' AND backend_name = %(backend)s
        AND (run_after = %(never)s OR run_after <= %(now)s)
    ORDER BY priority DESC, run_after, enqueued_at
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING {COLUMNS}
"""  # the table and columns are the model's own, not input


def claim_next(*, backend_name: str, worker_id: str) -> "DBTaskResult[Any, Any] | None":
    """The next due task of ``backend_name``, now RUNNING and this worker's; None if none is
    due. PostgreSQL only."""
    params = {
        "now": timezone.now(),
        "worker": worker_id,
        "backend": backend_name,
        "never": get_date_max(),
    }
    found = list(DBTaskResult.objects.raw(CLAIM, params))
    return found[0] if found else None


# PostgreSQL's answer to a prepared statement whose result a migration changed (a column's
# type); psycopg keeps the statement until a ROLLBACK, or until the connection goes.
STALE_PLAN = "cached plan must not change result type"


def stale_plan(error: str) -> bool:
    return STALE_PLAN in error


def _renew(database: str) -> None:
    """A new connection for the next task: the old one's prepared statements are stale."""
    logger.warning("a migration changed a table under this worker: connecting again")
    connections[database].close()


class Worker(db_worker.Worker):
    """django-tasks-db's worker with the one-statement claim on PostgreSQL. Runs every queue
    (``queue_names=["*"]``): this project puts all its tasks in the default one."""

    def run(self) -> None:
        database = DBTaskResult.objects.db
        if (
            connections[database].vendor != "postgresql"
            or not self.process_all_queues
            or self.excluded_queue_names
        ):
            super().run()
            return
        logger.info("Starting worker worker_id=%s", self.worker_id)
        if self.startup_delay and self.interval:
            # Workers started together do not all poll in step.
            time.sleep(hash(self.worker_id) % 1000 / 1000)
        while self.running:
            close_old_connections()  # a dropped or too old connection is replaced here
            try:
                task_result = claim_next(backend_name=self.backend_name, worker_id=self.worker_id)
            except NotSupportedError as error:
                if not stale_plan(str(error)):
                    raise
                _renew(database)
                continue
            if task_result is not None:
                self.run_task(task_result)
                if task_result.status == TaskResultStatus.FAILED and stale_plan(
                    task_result.traceback
                ):
                    _renew(database)
            elif self.batch:
                logger.info("No more tasks to run for worker_id=%s", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and task_result is None:
                time.sleep(self.interval)
