"""Many workers against one database: heartbeats, tasks of a dead worker queued again, periodic
jobs one worker at a time, and `boxoffice worker --concurrency N`."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from boxoffice.common.models import WorkerHeartbeat
from boxoffice.jobs.tasks import job_run
from boxoffice.notifications.models import EmailMessage, EmailState
from boxoffice.notifications.services import email_order_confirmation
from boxoffice.processes import fleet


def claimed(worker: str, *, ago: timedelta) -> DBTaskResult:
    """A task as a worker leaves it when it takes it (and, here, never finishes it)."""
    job_run.enqueue(999_999)  # no such job: running it does nothing
    task = DBTaskResult.objects.latest("enqueued_at")
    DBTaskResult.objects.filter(pk=task.pk).update(
        status="RUNNING", worker_ids=[worker], started_at=timezone.now() - ago
    )
    return task


def status(task: DBTaskResult) -> str:
    return DBTaskResult.objects.get(pk=task.pk).status


def test_a_heartbeat_is_one_row_per_worker(db):
    fleet.heartbeat("w1", now=timezone.now() - timedelta(minutes=5))
    fleet.heartbeat("w1")
    row = WorkerHeartbeat.objects.get()
    assert row.worker_id == "w1" and row.seen_at > row.started_at
    fleet.signed_off("w1")
    assert not WorkerHeartbeat.objects.exists()


def test_the_tasks_of_a_dead_worker_are_queued_again(db, run_tasks):
    fleet.heartbeat("alive")
    fleet.heartbeat("dead", now=timezone.now() - timedelta(minutes=2))
    of_dead = claimed("dead", ago=timedelta(minutes=5))
    of_alive = claimed("alive", ago=timedelta(minutes=30))  # a long task: its worker lives
    just_taken = claimed("new-worker", ago=timedelta(seconds=5))  # not a heartbeat yet
    never_seen = claimed("gone-before-heartbeats", ago=timedelta(minutes=5))

    assert fleet.tasks_reclaim() == 2
    assert [status(t) for t in (of_dead, of_alive, just_taken, never_seen)] == [
        "READY", "RUNNING", "RUNNING", "READY"
    ]  # fmt: skip
    assert fleet.tasks_reclaim() == 0  # once
    run_tasks()
    assert status(of_dead) == "SUCCESSFUL"


def test_a_worker_that_finished_meanwhile_keeps_its_result(db):
    task = claimed("dead", ago=timedelta(minutes=5))
    DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")
    assert fleet.tasks_reclaim() == 0
    assert status(task) == "SUCCESSFUL"


def test_long_dead_workers_are_forgotten(db):
    fleet.heartbeat("ancient", now=timezone.now() - timedelta(hours=1))
    fleet.tasks_reclaim()
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_periodic_job_runs_on_one_worker_at_a_time():
    entered, release = threading.Event(), threading.Event()
    results: list[int | None] = []

    def slow() -> int:
        entered.set()
        release.wait(10)
        return 1

    def other_worker() -> None:
        try:
            results.append(fleet.run_exclusively("sweep", slow))
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert entered.wait(10)
    assert fleet.run_exclusively("sweep", lambda: 2) is None  # held elsewhere: skipped
    assert fleet.run_exclusively("another", lambda: 3) == 3
    release.set()
    thread.join(10)
    assert results == [1]
    assert fleet.run_exclusively("sweep", lambda: 4) == 4  # released


@pytest.mark.django_db(transaction=True)
def test_several_worker_processes_share_the_queue(order_in, actor):
    orders = [order_in("paid") for _ in range(6)]
    EmailMessage.objects.all().delete()
    DBTaskResult.objects.all().delete()
    for order in orders:
        email_order_confirmation(order=order, actor=actor)
    call_command("worker", "--batch", "--concurrency", "2", verbosity=0)
    messages = EmailMessage.objects.all()
    assert [(m.state, m.attempts) for m in messages] == [(EmailState.SENT, 1)] * 6
    workers = {tuple(t.worker_ids) for t in DBTaskResult.objects.all()}
    assert all(len(ids) == 1 for ids in workers)  # each task claimed by exactly one worker
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 6
