"""The workers' one-statement claim (processes/claim.py): the next due task in django-tasks-db's
order, marked RUNNING by exactly one worker, however many ask at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from boxoffice.jobs.tasks import job_run
from boxoffice.processes.claim import claim_next

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"),
]


def queued(job_id: int, *, priority: int = 0, after: timedelta | None = None) -> DBTaskResult:
    """A task as a service enqueues it: ``job_run(job_id)``, due now or ``after`` from now."""
    task = job_run.using(priority=priority)
    if after is not None:
        task = task.using(run_after=timezone.now() + after)
    result = task.enqueue(job_id)
    return DBTaskResult.objects.get(pk=result.id)


def test_it_takes_the_due_tasks_in_their_order_and_marks_each_its_workers(db):
    later = queued(1, after=timedelta(hours=1))
    first = queued(2)
    second = queued(3)
    urgent = queued(4, priority=10)
    taken = [claim_next(backend_name="default", worker_id=f"w{i}") for i in range(4)]

    assert [t.pk if t else None for t in taken] == [urgent.pk, first.pk, second.pk, None]
    assert taken[0] is not None and taken[0].args_kwargs == {"args": [4], "kwargs": {}}
    rows = {row.pk: row for row in DBTaskResult.objects.all()}
    assert rows[urgent.pk].status == "RUNNING" and rows[urgent.pk].worker_ids == ["w0"]
    assert rows[first.pk].worker_ids == ["w1"] and rows[second.pk].worker_ids == ["w2"]
    assert rows[first.pk].started_at is not None
    assert rows[later.pk].status == "READY" and rows[later.pk].worker_ids == []


def test_a_task_queued_again_keeps_the_workers_it_had(db):
    task = queued(1)
    DBTaskResult.objects.filter(pk=task.pk).update(worker_ids=["dead-worker"])
    claimed = claim_next(backend_name="default", worker_id="w2")
    assert claimed is not None and claimed.worker_ids == ["dead-worker", "w2"]
    assert claim_next(backend_name="default", worker_id="w3") is None


def test_another_backends_tasks_are_left_alone(db):
    task = queued(1)
    assert claim_next(backend_name="elsewhere", worker_id="w1") is None
    assert DBTaskResult.objects.get(pk=task.pk).status == "READY"


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_once_each_take_a_different_task():
    tasks = {queued(i).pk for i in range(40)}
    taken: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker(name: str) -> None:
        try:
            start.wait()
            while (task := claim_next(backend_name="default", worker_id=name)) is not None:
                with lock:
                    taken.append(task.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(map(str, taken)) == sorted(map(str, tasks))  # each once, none lost
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"RUNNING"}
    assert all(len(ids) == 1 for ids in DBTaskResult.objects.values_list("worker_ids", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_prepared_claim_went_stale_connects_again(monkeypatch):
    """A migration changed a column's type under a running worker: PostgreSQL refuses its
    prepared claim until the connection goes, so the worker takes a new one and goes on."""
    from django.db import NotSupportedError

    from boxoffice.processes import claim

    task = queued(1)
    calls: list[object] = []
    real = claim.claim_next

    def stale_once(**kw: str) -> object:
        calls.append(connection.connection)
        if len(calls) == 1:
            raise NotSupportedError(f"{claim.STALE_PLAN}\n")
        return real(**kw)

    monkeypatch.setattr(claim, "claim_next", stale_once)
    worker = claim.Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w1",
        excluded_queue_names=[],
    )
    worker.run()
    assert calls[0] is not None and calls[1] is None  # closed: the next claim connects anew
    assert DBTaskResult.objects.get(pk=task.pk).status == "SUCCESSFUL"
