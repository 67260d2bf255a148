"""Three `boxoffice worker` processes cancel an event of paid orders through the Paytrail
sandbox while one of them is killed (SIGKILL) midway and another started: afterwards every order
is cancelled, the sandbox holds exactly one refund per Paytrail order, the platform's queue the
Epassi, Smartum and invoice ones, and each customer got exactly one cancellation email.

PostgreSQL only (the workers are processes of their own on one database). The sandbox is
served by the test's live server; the workers call it over HTTP as they would call Paytrail.
"""

import os
import signal
import subprocess
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from boxoffice.accounts.permissions import principal_for
from boxoffice.benchmark import procs
from boxoffice.common.models import WorkerHeartbeat
from boxoffice.demo.sandbox import mirror_paytrail_payments
from boxoffice.jobs.models import Job, JobState
from boxoffice.notifications.models import EmailKind, EmailMessage
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod
from boxoffice.payments.event_cancel import event_cancel
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import REFUND_STATES_DONE, Refund, RefundState
from boxoffice.paytrail_sandbox.models import SandboxRefund

# The 2,000 orders take about six minutes on two cores (MANY_WORKERS_ORDERS=2000); the
# suite runs a fifth of them to keep CI inside its time.
ORDERS = int(os.environ.get("MANY_WORKERS_ORDERS", "400"))
TIMEOUT = 120 + ORDERS * 0.6  # seconds; generous, for a loaded machine

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="worker processes share one PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return procs.start_worker(env, log, interval=0.2)


def _pids_running_the_job() -> set[int]:
    """Several workers share the job: each running copy of its task is one of them."""
    running = DBTaskResult.objects.filter(
        task_path="boxoffice.jobs.tasks.job_run", status="RUNNING"
    )
    ids = [task.worker_ids[-1] for task in running]
    return set(WorkerHeartbeat.objects.filter(worker_id__in=ids).values_list("pid", flat=True))


def test_three_workers_one_killed(
    live_server: Any,
    place: Any,
    make_product: Any,
    event: Any,
    owner: Any,
    actor: Any,
    tmp_path: Path,
) -> None:
    product = make_product(event, capacity=ORDERS + 10)
    orders = []
    # One in ten paid by a method only the platform's staff can refund (Epassi, Smartum, an
    # invoice): those go to the platform's queue; the rest through the Paytrail sandbox.
    by_hand = (PaymentMethod.EPASSI, PaymentMethod.SMARTUM, PaymentMethod.INVOICE)
    for n in range(ORDERS):
        method = by_hand[n // 10 % 3] if n % 10 == 9 else PaymentMethod.PAYTRAIL
        order = place(product, quantity=1, method=method)
        orders.append(order_mark_paid(order=order, actor=actor, reference=str(uuid.uuid4())))
    card = [o for o in orders if o.payment_method == PaymentMethod.PAYTRAIL]
    platform = [o for o in orders if o.payment_method in by_hand]
    assert {o.payment_method for o in platform} == set(by_hand)
    assert mirror_paytrail_payments(card) == len(card)
    job = event_cancel(event=event, principal=principal_for(owner), confirm=event.name, user=owner)

    env = procs.child_env(
        PAYTRAIL_API_URL=f"{live_server.url}/paytrail-sandbox",
        PUBLIC_BASE_URL=live_server.url,  # Paytrail's callbacks come to the live server
        BOXOFFICE_VAR_DIR=str(tmp_path),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PERIODIC_JOB_INTERVAL_SECONDS="1",
        WORKER_HEARTBEAT_SECONDS="1",
        WORKER_DEAD_AFTER_SECONDS="4",
        JOB_LEASE_SECONDS="4",
        # A refund whose worker died between "processing" and Paytrail's answer is looked up
        # (never sent again) once it is this stale.
        PAYTRAIL_REFUND_STALE_SECONDS="15",
        PAYTRAIL_REFUND_CONFIRM_SECONDS="5",
    )
    log = tmp_path / "workers.log"
    workers = [_worker(env, log) for _ in range(3)]
    try:
        third = ORDERS // 3
        procs.wait_for(
            "a third of the orders",
            lambda: Job.objects.get(pk=job.pk).done >= third,
            TIMEOUT,
            [],  # a worker's death is this test's business
            log,
        )
        # Kill the worker that runs the job, mid-chunk, as a crash would.
        victim = next(w for w in workers if w.pid in _pids_running_the_job())
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        workers.append(_worker(env, log))

        def finished() -> bool:
            done = Job.objects.get(pk=job.pk).state == JobState.DONE
            settled = Refund.objects.filter(state__in=REFUND_STATES_DONE).count() == len(card)
            return done and settled

        procs.wait_for("the job and every refund", finished, TIMEOUT, [], log)
    finally:
        procs.stop(workers, seconds=20)

    job.refresh_from_db()
    assert (job.done, job.failed) == (ORDERS, 0)
    # More than one worker took chunks of it (each job task's result says how many items) ...
    shares = DBTaskResult.objects.filter(
        task_path="boxoffice.jobs.tasks.job_run", status="SUCCESSFUL"
    ).values_list("worker_ids", "return_value")
    sharing = {ids[-1] for ids, said in shares if not said.startswith("0 items")}
    assert len(sharing) >= 2, shares
    # ... the others went on sharing it; the killed worker's chunk rolled back and was redone.
    assert job.attempts in (1, 2)  # 2 if every worker on it had died (its lease ran out)
    statuses = Counter(Order.objects.filter(event=event).values_list("status", flat=True))
    assert statuses == {OrderStatus.RETURNED: len(card), OrderStatus.CANCELLED: len(platform)}
    # Exactly one refund per paid order, in our ledger and in Paytrail's (the sandbox's) ...
    assert Counter(Refund.objects.values_list("order_id", flat=True)) == {o.pk: 1 for o in orders}
    sandbox = Counter(SandboxRefund.objects.values_list("payment__transaction_id", flat=True))
    assert len(sandbox) == len(card) and set(sandbox.values()) == {1}
    # ... and the others each once in the platform's queue.
    queued = Refund.objects.filter(state=RefundState.MANUAL_REQUESTED)
    assert sorted(queued.values_list("order_id", flat=True)) == sorted(o.pk for o in platform)
    # Every customer was emailed exactly once: the cancellation notice, which says what comes
    # back and how (no refund notice follows a Paytrail refund of the job's own).
    emails = EmailMessage.objects.exclude(kind=EmailKind.CONFIRMATION)
    assert Counter(emails.values_list("order_id", "kind")) == {
        (o.pk, EmailKind.CANCELLATION): 1 for o in orders
    }
    assert settings.PAYTRAIL_SANDBOX
