"""A worker killed mid-refund, then restarted: no loss, no duplicate (DESIGN §5).

The real ``boxoffice worker`` runs as a subprocess against this test's database and talks over
HTTP to the Paytrail sandbox on the live server; ``kill -9`` stops it where no signal handler or
``finally`` can tidy up. A new ``boxoffice worker --batch`` (the reconcile job, then every due
task) must then finish the work without ever sending a refund twice.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.payments.models import Payment, PaymentState, Refund, RefundState
from boxoffice.payments.paytrail import payments as paytrail_payments
from boxoffice.payments.selectors import refundable_amount
from boxoffice.payments.services import refund_request
from boxoffice.paytrail_sandbox import testing as sandbox
from boxoffice.paytrail_sandbox.callbacks import wait_for_deliveries

pytestmark = pytest.mark.django_db(transaction=True)

SEND_TASK = "boxoffice.payments.tasks.refund_send"
CHECK_TASK = "boxoffice.payments.tasks.refund_check"
HANG_SECONDS = 4


@pytest.fixture
def site(live_server: Any, settings: Any) -> Iterator[str]:
    # This process places and pays orders (callback URLs) and serves the sandbox; callbacks are
    # delivered as in production, in a thread after the sandbox's answer has gone out.
    settings.SITE_URL = live_server.url
    settings.PAYTRAIL_API_URL = f"{live_server.url}/paytrail-sandbox"
    settings.PAYTRAIL_RETRY_BASE_SECONDS = 0
    settings.PAYTRAIL_REFUND_CONFIRM_SECONDS = 3600
    sandbox.reset_sandbox()
    yield str(live_server.url)
    # Callbacks still on their way (a duplicate copy, a retry) land while this test's data is
    # still there, not in the next test.
    assert wait_for_deliveries(timeout=20)


def _database_url() -> str:
    """The URL of the database this test is using (the test database, not the configured one)."""
    db = django_settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    assert db["ENGINE"] == "django.db.backends.postgresql", db["ENGINE"]
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class Workers:
    """Starts real `boxoffice worker` processes on the test database; kills leftovers at the end."""

    def __init__(self, site: str, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "PUBLIC_BASE_URL": site,
            "PAYTRAIL_API_URL": f"{site}/paytrail-sandbox",
            "PAYTRAIL_TIMEOUT_SECONDS": "10",
            "PAYTRAIL_RETRY_BASE_SECONDS": "0",
            "PAYTRAIL_REFUND_STALE_SECONDS": "0",
            "PERIODIC_JOB_INTERVAL_SECONDS": "1",
            "BOXOFFICE_VAR_DIR": str(tmp_path / "var"),
            "LANGUAGE_CODE": "en",
            "LOG_LEVEL": "INFO",
        }

    def _command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "boxoffice", "worker", *args]

    def _log(self) -> Path:
        path = self.tmp_path / f"worker-{len(self.logs) + 1}.log"
        self.logs.append(path)
        return path

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        with self._log().open("wb") as log:
            proc = subprocess.Popen(
                self._command("--interval", "0.2"),
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def batch(self, **env: str) -> None:
        """`boxoffice worker --batch`: the periodic jobs, then every due task, then exit."""
        with self._log().open("wb") as log:
            done = subprocess.run(
                self._command("--batch"),
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=20,
                check=False,
            )
        assert done.returncode == 0, self.output()
        failed = DBTaskResult.objects.failed().values_list("traceback", flat=True)
        assert not failed, "a task failed:\n" + "\n".join(failed)

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """kill -9: no signal handler, no finally block, no transaction commit runs."""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)

    def output(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in self.logs)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                with suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)


@pytest.fixture
def workers(site: str, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(site, tmp_path)
    try:
        yield started
    finally:
        started.close()


def wait_for(condition: Callable[[], bool], what: str, workers: Workers, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}\n{workers.output()}")
        time.sleep(0.05)


def _refund(refund: Refund) -> Refund:
    refund.refresh_from_db()
    return refund


@pytest.fixture
def paid_and_cancelled(
    site: str, place: Callable[..., Order], product: Product, owner: User
) -> Callable[[], tuple[Order, str]]:
    """A Paytrail order paid on the sandbox (OP) and then cancelled: 98.00 refundable."""

    def make() -> tuple[Order, str]:
        order = place(product, quantity=2)  # 2 x 49.00 + 2 x 2.50 service fees = 103.00
        paytrail_payments.payment_start(order=order)
        tid = Payment.objects.get(order=order).provider_reference
        with sandbox.deliver_synchronously():  # the payment callback lands before we go on
            sandbox.complete_payment(tid, "ok", "osuuspankki")
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert Payment.objects.get(order=order).state == PaymentState.CONFIRMED
        order = order_cancel(order=order, actor=Actor.for_user(owner), reason="moved")
        return order, tid

    return make


def _tasks(task_path: str, refund: Refund, *statuses: str) -> list[DBTaskResult]:
    return [
        task
        for task in DBTaskResult.objects.filter(task_path=task_path, status__in=statuses)
        if task.args_kwargs["args"] == [refund.pk]
    ]


def _assert_refunded_once(order: Order, refund: Refund, tid: str) -> None:
    refund.refresh_from_db()
    order.refresh_from_db()
    [made] = sandbox.sandbox_refunds_for(tid)
    assert len(sandbox.refund_calls(tid)) == 1  # one POST, whatever was killed or retried
    assert (made.amount, made.refund_stamp) == (9800, str(refund.stamp))
    assert refund.state == RefundState.SUCCEEDED, refund.failure_reason
    assert refund.provider_transaction_id == made.transaction_id
    assert order.status == OrderStatus.RETURNED
    kinds = list(order.history.values_list("kind", flat=True))
    assert kinds.count(OrderEventKind.REFUND_SUCCEEDED) == 1
    assert kinds.count(OrderEventKind.REFUNDED) == 1
    assert Refund.objects.filter(order=order).count() == 1


def _wait_for_refund_callback(tid: str, workers: Workers) -> None:
    """The sandbox's refund callback has been answered (so no delivery outlives the test)."""
    wait_for(
        lambda: any(
            entry.about == "refund" and entry.status_code == 200
            for entry in sandbox.callback_log(tid)
        ),
        "the sandbox's refund callback",
        workers,
        seconds=10,
    )


def test_worker_killed_mid_refund_then_restarted_refunds_once(
    paid_and_cancelled: Callable[[], tuple[Order, str]], owner: User, workers: Workers
) -> None:
    order, tid = paid_and_cancelled()
    # The sandbox makes the refund, then sits on its answer: the worker is killed while waiting.
    sandbox.set_switches(hang_next_calls=1, hang_seconds=HANG_SECONDS)
    refund = refund_request(order=order, actor=Actor.for_user(owner))
    assert refund.state == RefundState.PENDING

    worker = workers.start()
    wait_for(
        lambda: (
            _refund(refund).state == RefundState.PROCESSING and len(sandbox.refund_calls(tid)) == 1
        ),
        "the worker to claim the refund and POST it",
        workers,
        seconds=10,
    )
    posted_at = time.monotonic()
    workers.kill(worker)
    assert time.monotonic() - posted_at < HANG_SECONDS, "killed too late: the answer was out"

    # Not lost, not failed: the refund is still in flight, waiting for Paytrail's word.
    refund.refresh_from_db()
    assert (refund.state, refund.attempts, refund.failure_reason) == (
        RefundState.PROCESSING,
        1,
        "",
    )
    assert refund.provider_transaction_id == ""  # its answer never arrived
    # The dead worker's task stays claimed forever; nothing will run it again.
    assert len(_tasks(SEND_TASK, refund, "RUNNING")) == 1

    # Restarted while the outcome is still unknown (the sandbox is still sitting on its answer):
    # any extra send task (the dead worker's reconcile job queues one while the refund is still
    # pending) finds the refund claimed, and the refund is only looked up, never sent again.
    workers.batch()
    sent = [t.return_value for t in _tasks(SEND_TASK, refund, "SUCCESSFUL")]
    assert sent == ["nothing to send"] * len(sent)
    assert len(sandbox.refund_calls(tid)) == 1
    assert _refund(refund).state in (RefundState.PROCESSING, RefundState.SUCCEEDED)

    # The sandbox answers the dead socket once its hang is over, then sends the callback.
    wait_for(
        lambda: _refund(refund).state != RefundState.PROCESSING,
        "the sandbox's callback to settle the refund",
        workers,
        seconds=HANG_SECONDS + 6,
    )
    _wait_for_refund_callback(tid, workers)

    workers.batch()  # once more, now that Paytrail's word is in

    _assert_refunded_once(order, refund, tid)
    assert refund.attempts == 1
    assert not _tasks(SEND_TASK, refund, "READY")


@pytest.mark.parametrize(
    "dead_worker_took_the_task",
    [False, True],
    ids=["task still queued", "task taken by the dead worker"],
)
def test_worker_killed_before_claiming_then_batch_refunds_once(
    paid_and_cancelled: Callable[[], tuple[Order, str]],
    owner: User,
    workers: Workers,
    dead_worker_took_the_task: bool,
) -> None:
    order, tid = paid_and_cancelled()
    refund = refund_request(order=order, actor=Actor.for_user(owner))
    [task] = _tasks(SEND_TASK, refund, "READY")
    if dead_worker_took_the_task:
        # What a worker killed between taking the task and claiming the refund leaves behind:
        # the task is RUNNING for ever, so only the reconcile job can find the refund.
        task.claim("killed-worker")

    workers.batch()

    _assert_refunded_once(order, refund, tid)
    assert refund.attempts == 1
    sent = [t.return_value for t in _tasks(SEND_TASK, refund, "SUCCESSFUL")]
    # The queued task and the reconcile job's both ran: the second found nothing to send.
    expected = ["ok"] if dead_worker_took_the_task else ["nothing to send", "ok"]
    assert sorted(sent) == expected
    _wait_for_refund_callback(tid, workers)


@contextmanager
def black_hole() -> Iterator[tuple[str, threading.Event]]:
    """A server that takes requests and never answers: a POST lost on its way to Paytrail."""
    server = socket.create_server(("127.0.0.1", 0))
    received = threading.Event()
    connections: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(conn)
            conn.settimeout(5)
            with suppress(OSError):
                if b"/refund" in conn.recv(65536):
                    received.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", received
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in connections:
            conn.close()
        server.close()


def test_refund_lost_with_the_worker_is_never_resent_and_goes_to_a_person(
    paid_and_cancelled: Callable[[], tuple[Order, str]], owner: User, workers: Workers
) -> None:
    """The POST never reached Paytrail and the worker died: from our side this looks exactly like
    the first test (claimed, sent, no answer), so the restarted worker must not send it again.
    No callback will ever come; after PAYTRAIL_REFUND_GIVE_UP_SECONDS the refund goes to the
    platform's queue with a note to check the Merchant Panel, still counted as on its way."""
    order, tid = paid_and_cancelled()
    refund = refund_request(order=order, actor=Actor.for_user(owner))

    with black_hole() as (url, received):
        worker = workers.start(PAYTRAIL_API_URL=url)
        wait_for(
            lambda: received.is_set() and _refund(refund).state == RefundState.PROCESSING,
            "the worker to claim the refund and POST it",
            workers,
            seconds=10,
        )
        workers.kill(worker)
    # Time passes beyond the claimed call's in-flight window (twice the client timeout).
    Refund.objects.filter(pk=refund.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))

    # The reconcile job looks the refund up (it never re-sends it); the next lookup is due a
    # second later.
    workers.batch(PAYTRAIL_REFUND_CONFIRM_SECONDS="1")
    refund.refresh_from_db()
    assert (refund.state, refund.attempts) == (RefundState.PROCESSING, 1)
    assert sandbox.refund_calls(tid) == []

    time.sleep(1.2)
    workers.batch(PAYTRAIL_REFUND_GIVE_UP_SECONDS="0")
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.state == RefundState.MANUAL_REQUESTED
    assert "Merchant Panel" in refund.failure_text
    assert order.status == OrderStatus.CANCELLED
    assert refundable_amount(order, order.payments.all(), order.refunds.all()) == 0
    assert sandbox.refund_calls(tid) == []
    assert sandbox.sandbox_refunds_for(tid) == []


def test_reconcile_does_not_pile_up_lookups(
    paid_and_cancelled: Callable[[], tuple[Order, str]],
    owner: User,
    run_tasks: Callable[[], None],
    settings: Any,
) -> None:
    order, _tid = paid_and_cancelled()
    # A refund Paytrail keeps pending (an approval, an email refund waiting for an IBAN): its
    # check is scheduled an hour ahead.
    sandbox.set_switches(refund_outcome="pending", refund_outcome_times=1)
    refund = refund_request(order=order, actor=Actor.for_user(owner))
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING
    assert len(_tasks(CHECK_TASK, refund, "READY")) == 1

    settings.PAYTRAIL_REFUND_STALE_SECONDS = 0  # every round of the worker sees it as stale
    for _ in range(3):
        run_tasks()

    lookups = sandbox.api_calls(method="GET", path_contains=refund.provider_transaction_id)
    assert len(_tasks(CHECK_TASK, refund, "READY")) == 1, "one lookup chain per refund"
    assert len(lookups) <= 1
