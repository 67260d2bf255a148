"""`boxoffice worker [--concurrency N]`: runs background tasks, and the periodic jobs.

Tasks are rows written by services inside their transactions (django-tasks-db); each is
claimed by exactly one worker (a row lock, skip-locked). Any number of worker processes may run
on any number of hosts against one database: ``--concurrency N`` starts N here. Each says it is
alive every few seconds (processes.fleet), and the tasks of one that went quiet are queued
again. The periodic jobs run in a thread of every worker, each on one worker at a time.
"""

import logging
import multiprocessing
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string

from boxoffice.jobs.runner import jobs_reconcile
from boxoffice.notifications.sending import emails_reconcile
from boxoffice.orders.expiry import orders_expire
from boxoffice.payments.attention import attention_sweep_hourly
from boxoffice.payments.checks import require_paytrail_credentials
from boxoffice.payments.paytrail.refunds import refunds_reconcile
from boxoffice.payments.reconcile import reconcile_paytrail_daily
from boxoffice.processes.claim import Worker
from boxoffice.processes.fleet import (
    HEARTBEAT,
    heartbeat,
    run_exclusively,
    signed_off,
    tasks_reclaim,
)
from boxoffice.processes.retention import retention_daily
from boxoffice.webhooks.delivery import webhooks_reconcile

logger = logging.getLogger("boxoffice.worker")

PERIODIC_JOBS: list[tuple[str, Callable[[], int]]] = [
    ("reclaim_tasks", tasks_reclaim),  # first: tasks of dead workers go back in the queue
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
            done = run_exclusively(name, job)
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


def _heartbeat(worker_id: str, stop: threading.Event) -> None:
    while not stop.is_set():
        close_old_connections()
        try:
            heartbeat(worker_id)
        except Exception:  # the database is away: say so, and try again
            logger.exception("worker %s could not write its heartbeat", worker_id)
        stop.wait(HEARTBEAT.total_seconds())
    close_old_connections()


class Command(BaseCommand):
    help = "Run background tasks and the periodic jobs until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="poll seconds")
        parser.add_argument(
            "--batch", action="store_true", help="run what is due (tasks and jobs) and exit"
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=1,
            help="worker processes to run here (each takes one task at a time)",
        )

    def handle(
        self, *args: Any, interval: float, batch: bool, concurrency: int, **options: Any
    ) -> None:
        # The worker sends refunds and checks payments: not against an unconfigured Paytrail.
        require_paytrail_credentials(self)
        logging.getLogger("django_tasks_db").setLevel(logging.INFO)
        if concurrency > 1:
            _run_many(concurrency, interval=interval, batch=batch)
            return
        _run_one(interval=interval, batch=batch)


def _run_one(*, interval: float, batch: bool) -> None:
    worker_id = f"{socket.gethostname()[:40]}-{get_random_string(12)}"
    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    if batch:
        run_periodic_jobs()
        worker.run()
        return
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_scheduler,
            args=(settings.PERIODIC_JOB_INTERVAL_SECONDS, stop),
            name="periodic-jobs",
            daemon=True,
        ),
        threading.Thread(target=_heartbeat, args=(worker_id, stop), name="heartbeat", daemon=True),
    ]
    for thread in threads:
        thread.start()
    worker.configure_signals()
    try:
        worker.run()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        signed_off(worker_id)


def _child(interval: float, batch: bool) -> None:
    connections.close_all()  # the parent's connections are not this process's to use
    _run_one(interval=interval, batch=batch)


def _exit(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def _run_many(count: int, *, interval: float, batch: bool) -> None:
    """``count`` worker processes, each started again if it dies (unless ``batch``: then each
    drains the queue and the command ends when all have)."""
    connections.close_all()
    fork = multiprocessing.get_context("fork")

    def start() -> Any:
        process = fork.Process(target=_child, args=(interval, batch), daemon=False)
        process.start()
        return process

    children = [start() for _ in range(count)]
    # Stopped by a supervisor (SIGTERM): stop the children too, each finishing its task.
    signal.signal(signal.SIGTERM, _exit)
    try:
        while children:
            time.sleep(0.2 if batch else 1.0)
            for i, child in enumerate(list(children)):
                if child.is_alive():
                    continue
                if batch:
                    children.remove(child)
                else:
                    logger.error(
                        "worker process %s ended (%s): starting another", child.pid, child.exitcode
                    )
                    children[i] = start()
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
        for child in children:
            child.join(timeout=30)
