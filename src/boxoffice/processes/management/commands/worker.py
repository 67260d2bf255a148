"""`boxoffice worker`: runs background tasks, and the periodic jobs every minute.

Tasks are rows written by services inside their transactions (django-tasks-db). The periodic
jobs (expiry, and later reconciliation) run in a thread of the same process, so one command is
all a deployment needs; cron can run the same jobs as management commands instead.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from boxoffice.jobs.runner import jobs_reconcile
from boxoffice.notifications.sending import emails_reconcile
from boxoffice.orders.expiry import orders_expire
from boxoffice.payments.attention import attention_sweep_hourly
from boxoffice.payments.checks import require_paytrail_credentials
from boxoffice.payments.paytrail.refunds import refunds_reconcile
from boxoffice.payments.reconcile import reconcile_paytrail_daily
from boxoffice.processes.retention import retention_daily
from boxoffice.webhooks.delivery import webhooks_reconcile

logger = logging.getLogger("boxoffice.worker")

PERIODIC_JOBS: list[tuple[str, Callable[[], int]]] = [
    ("expire_orders", orders_expire),
    ("reconcile_refunds", refunds_reconcile),
    ("reconcile_emails", emails_reconcile),
    ("reconcile_webhooks", webhooks_reconcile),
    ("reconcile_jobs", jobs_reconcile),  # jobs whose worker died go on elsewhere
    ("attention_sweep", attention_sweep_hourly),  # hourly, whatever the interval
    ("reconcile_paytrail", reconcile_paytrail_daily),  # daily: queues a task
    ("retention", retention_daily),  # daily: old personal data goes
]


def run_periodic_jobs() -> None:
    for name, job in PERIODIC_JOBS:
        close_old_connections()
        try:
            done = job()
        except Exception:  # a failing job is logged and tried again next round
            logger.exception("periodic job %s failed", name)
        else:
            if done:
                logger.info("periodic job %s: %s", name, done)
        finally:
            close_old_connections()


def _scheduler(interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        run_periodic_jobs()
        stop.wait(interval)


class Command(BaseCommand):
    help = "Run background tasks and the periodic jobs (expiry) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="poll seconds")
        parser.add_argument(
            "--batch", action="store_true", help="run what is due (tasks and jobs) and exit"
        )

    def handle(self, *args: Any, interval: float, batch: bool, **options: Any) -> None:
        # The worker sends refunds and checks payments: not against an unconfigured Paytrail.
        require_paytrail_credentials(self)
        logging.getLogger("django_tasks_db").setLevel(logging.INFO)
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        if batch:
            run_periodic_jobs()
            worker.run()
            return
        stop = threading.Event()
        scheduler = threading.Thread(
            target=_scheduler,
            args=(settings.PERIODIC_JOB_INTERVAL_SECONDS, stop),
            name="periodic-jobs",
            daemon=True,
        )
        scheduler.start()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
