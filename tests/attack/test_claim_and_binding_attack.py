"""Attacks on the one-statement claims and on server-side binding with prepared statements
(commit 0d0e831), against PostgreSQL.

What held is kept as regression tests: racing task claims each take a due task exactly once and
nothing else (not a later task, not another backend's); a row another transaction holds is
skipped, never waited for; racing email and refund sends send once; the email and refund claims
do not wait for the order's lock; a refund a person is taking over while the worker claims it
is never sent; absurd ids are "nothing to send"; a worker killed (SIGKILL) between its claim and
the provider's answer has its task put back by ``tasks_reclaim``, and running it again never
sends the refund a second time (the email goes out again only through ``emails_reconcile``,
after its stale period, as the module says); an added column does not disturb a connection's
prepared statements; the queries that looked risky under server-side binding (the search's
multi-statement SET LOCAL, the export's parameter in a SELECT list, the raw user query with a
string id, advisory locks) work once prepared.

What broke, and is fixed (the two ``test_widened_column_*`` tests): a migration that changes a
column's type -- widening a CharField's max_length, as ``notifications/0003`` did to
``emailmessage.state`` -- breaks every statement a running process has prepared that returns the
column ("cached plan must not change result type"). The claims ran in autocommit, so no ROLLBACK
cleared psycopg's cache, and they committed the state change before reading the row: a refund
was left "processing" without ever having been sent, each email "sending" until the reconcile
job's stale period. The claim and its read are now one transaction (the failure rolls back to
pending or queued, and the ROLLBACK clears psycopg's cache), and a worker whose claim or task
meets a stale plan connects again (processes/claim.py).
"""

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core import mail
from django.db import connection, transaction
from django.db.utils import NotSupportedError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from boxoffice.accounts.backends import UserWithRolesBackend
from boxoffice.benchmark import procs
from boxoffice.exports import rows as export
from boxoffice.notifications import sending
from boxoffice.notifications.models import EmailMessage, EmailState
from boxoffice.notifications.services import email_refund_notice
from boxoffice.orders import selectors
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.orders.transitions import lock
from boxoffice.payments.models import Refund, RefundState
from boxoffice.payments.paytrail import refunds as paytrail_refunds
from boxoffice.payments.services import refund_request
from boxoffice.processes import claim as claim_module
from boxoffice.processes.claim import claim_next
from boxoffice.processes.fleet import DEAD_AFTER, run_exclusively, tasks_reclaim
from races import RACE_ON_POSTGRESQL

pytestmark = RACE_ON_POSTGRESQL[:2]  # PostgreSQL; each test says whether it needs commits
COMMITTED = pytest.mark.django_db(transaction=True)  # other connections and processes see it

SEND_REFUND = "boxoffice.payments.tasks.refund_send"
SEND_EMAIL = "boxoffice.notifications.tasks.send_email"
CHECK_REFUND = "boxoffice.payments.tasks.refund_check"


# -- helpers -------------------------------------------------------------------------------------


@contextmanager
def other_connection() -> Iterator[psycopg.Connection[Any]]:
    """A connection of its own to the test database, as another process would have."""
    db = connection.settings_dict
    conn = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )
    try:
        yield conn
    finally:
        conn.close()


def task_rows(n: int, *, backend: str = "default", **kw: Any) -> list[DBTaskResult]:
    now = timezone.now()
    fields: dict[str, Any] = {
        "args_kwargs": {"args": [0], "kwargs": {}},
        "priority": 0,
        "task_path": "boxoffice.jobs.tasks.job_run",
        "queue_name": "default",
        "backend_name": backend,
        "run_after": get_date_max(),
        **kw,
    }
    made = [DBTaskResult(enqueued_at=now + timedelta(microseconds=i), **fields) for i in range(n)]
    return DBTaskResult.objects.bulk_create(made)


def waiting_on_a_lock(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(row and row[0])


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def refunds_of_cancelled(order_in: Callable[..., Order], actor: Any) -> Callable[[int], list[int]]:
    """n pending Paytrail refunds (98.00 each) of cancelled orders, each with its send task."""

    def make(n: int) -> list[int]:
        return [
            refund_request(order=order_in(OrderStatus.CANCELLED), actor=actor).pk for _ in range(n)
        ]

    return make


@pytest.fixture
def queued_emails(order_in: Callable[..., Order], actor: Any) -> Callable[[int], list[int]]:
    """n queued refund notices of one paid order, each with its send task."""

    def make(n: int) -> list[int]:
        order = order_in(OrderStatus.PAID, language="en")
        return [email_refund_notice(order=order, actor=actor, amount=1).pk for _ in range(n)]

    return make


# -- the task claim ------------------------------------------------------------------------------


@COMMITTED
def test_racing_claims_take_each_due_task_once_and_nothing_else():
    due = {
        str(t.pk)
        for priority in (-10, 0, 10)
        for t in task_rows(12, priority=priority, run_after=timezone.now() - timedelta(seconds=1))
    }
    due |= {str(t.pk) for t in task_rows(6)}  # no run_after: django-tasks-db's "never"
    later = {str(t.pk) for t in task_rows(5, run_after=timezone.now() + timedelta(hours=1))}
    elsewhere = {str(t.pk) for t in task_rows(5, backend="elsewhere")}
    taken: list[tuple[str, str]] = []
    guard = threading.Lock()
    start = threading.Barrier(5)

    def worker(name: str) -> None:
        try:
            start.wait(timeout=10)
            while (task := claim_next(backend_name="default", worker_id=name)) is not None:
                with guard:
                    taken.append((str(task.pk), name))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a claim hung"

    assert sorted(pk for pk, _ in taken) == sorted(due)  # each once, none lost
    rows = {str(r.pk): r for r in DBTaskResult.objects.all()}
    for pk, name in taken:
        assert rows[pk].status == "RUNNING" and rows[pk].worker_ids == [name]
    for pk in later | elsewhere:
        assert rows[pk].status == "READY" and rows[pk].worker_ids == [] and not rows[pk].started_at


@COMMITTED
def test_a_row_held_by_another_transaction_is_skipped_without_waiting():
    urgent, plain = task_rows(1, priority=10)[0], task_rows(1)[0]
    with other_connection() as other:
        with other.transaction():
            other.execute(
                "SELECT id FROM django_tasks_database_dbtaskresult WHERE id = %s FOR UPDATE",
                [urgent.pk],
            )
            started = time.monotonic()
            taken = claim_next(backend_name="default", worker_id="w1")
            assert time.monotonic() - started < 2
            assert taken is not None and taken.pk == plain.pk
            assert claim_next(backend_name="default", worker_id="w1") is None
        # Released unchanged: it is the next one taken.
        again = claim_next(backend_name="default", worker_id="w2")
    assert again is not None and again.pk == urgent.pk and again.worker_ids == ["w2"]


def test_a_task_is_taken_when_its_time_comes_and_not_before(db, monkeypatch):
    now = timezone.now()
    at = now + timedelta(minutes=5)
    [later] = task_rows(1, priority=10, run_after=at)
    [plain] = task_rows(1, run_after=now - timedelta(seconds=1))
    assert claim_next(backend_name="default", worker_id="w").pk == plain.pk
    assert claim_next(backend_name="default", worker_id="w") is None
    clock = type("Clock", (), {"now": staticmethod(lambda: at)})  # run_after <= now: due
    monkeypatch.setattr(claim_module, "timezone", clock)
    taken = claim_next(backend_name="default", worker_id="w")
    assert taken is not None and taken.pk == later.pk and taken.started_at == at


def test_an_odd_worker_id_is_a_value_not_sql(db):
    [task] = task_rows(1)
    odd = "w'); DELETE FROM django_tasks_database_dbtaskresult; --ä" + "\\" + '"'
    taken = claim_next(backend_name="default", worker_id=odd)
    assert taken is not None and taken.worker_ids == [odd]
    assert DBTaskResult.objects.get(pk=task.pk).worker_ids == [odd]


# -- emails and refunds claimed by one conditional UPDATE ----------------------------------------


@COMMITTED
def test_racing_sends_of_one_email_send_it_once(queued_emails, race):
    for round_, message_id in enumerate(queued_emails(3), start=1):
        results = race(*[lambda m=message_id: sending.send(m)] * 4)
        assert sorted(map(str, results)) == ["nothing to send"] * 3 + ["sent"], results
        assert len(mail.outbox) == round_
        message = EmailMessage.objects.get(pk=message_id)
        assert (message.state, message.attempts) == (EmailState.SENT, 1)


@COMMITTED
def test_racing_sends_of_one_refund_post_it_once(refunds_of_cancelled, paytrail, race):
    for round_, refund_id in enumerate(refunds_of_cancelled(3), start=1):
        results = race(*[lambda r=refund_id: paytrail_refunds.send(r)] * 4)
        assert sorted(map(str, results)) == ["nothing to send"] * 3 + ["ok"], results
        assert len(paytrail.refunds) == round_
        refund = Refund.objects.get(pk=refund_id)
        assert (refund.state, refund.attempts) == (RefundState.SUCCEEDED, 1)


@COMMITTED
def test_claims_do_not_wait_for_a_transaction_holding_the_orders_lock(order_in, actor):
    """As before 0d0e831, the claims lock their own row only: a cancel or refund holding the
    order's row does not hold up the claim (recording the outcome then waits for it, as its
    history row refers to the order)."""
    order = order_in(OrderStatus.CANCELLED, language="en")
    refund_id = refund_request(order=order, actor=actor).pk
    message_id = email_refund_notice(order=order, actor=actor, amount=1).pk
    with other_connection() as other, other.transaction():
        other.execute("SELECT id FROM orders_order WHERE id = %s FOR UPDATE", [order.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # a wait fails instead of hanging
        message = sending._claim(message_id)
        refund = paytrail_refunds._claim(refund_id)
        connection.close()
    assert message is not None and (message.state, message.attempts) == (EmailState.SENDING, 1)
    assert refund is not None and (refund.state, refund.attempts) == (RefundState.PROCESSING, 1)
    assert refund.sent_at is not None and refund.order.pk == order.pk


@COMMITTED
def test_a_refund_being_handed_to_a_person_is_not_sent_by_a_claim_that_waited(
    refunds_of_cancelled, paytrail
):
    """A transaction holds the order's lock and the refund's row and moves the refund to the
    platform's queue; the worker's claim waits for the row, then finds it no longer pending."""
    [refund_id] = refunds_of_cancelled(1)
    holding, release, outcome = threading.Event(), threading.Event(), []

    def take_over() -> None:
        try:
            with transaction.atomic():
                refund = Refund.objects.select_related("order").get(pk=refund_id)
                lock(refund.order)
                refund = Refund.objects.select_for_update(of=("self",)).get(pk=refund_id)
                refund.state = RefundState.MANUAL_REQUESTED
                refund.save(update_fields=["state"])
                holding.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    def send() -> None:
        try:
            outcome.append(paytrail_refunds.send(refund_id))
        finally:
            connection.close()

    person = threading.Thread(target=take_over)
    person.start()
    assert holding.wait(timeout=20)
    worker = threading.Thread(target=send)
    worker.start()
    with other_connection() as watcher:
        wait_until(lambda: waiting_on_a_lock(watcher), "the claim to wait for the refund's row")
    release.set()
    person.join(timeout=20)
    worker.join(timeout=20)
    assert outcome == ["nothing to send"]
    assert paytrail.refunds == []
    refund = Refund.objects.get(pk=refund_id)
    assert (refund.state, refund.attempts, refund.sent_at) == (
        RefundState.MANUAL_REQUESTED,
        0,
        None,
    )


def test_a_refund_sent_again_after_paytrail_did_not_take_it_keeps_its_first_sent_at(
    refunds_of_cancelled, paytrail
):
    [refund_id] = refunds_of_cancelled(1)
    paytrail.replies = [503]  # not taken: sent again later, with the same stamp
    assert paytrail_refunds.send(refund_id) == "will retry"
    first = Refund.objects.get(pk=refund_id)
    assert (first.state, first.attempts) == (RefundState.PENDING, 1)
    assert first.sent_at is not None
    assert paytrail_refunds.send(refund_id) == "ok"
    second = Refund.objects.get(pk=refund_id)
    assert (second.state, second.attempts, second.sent_at) == (
        RefundState.SUCCEEDED,
        2,
        first.sent_at,
    )


ODD_IDS = [0, -1, 2**15, 2**31, 2**63 - 1, 2**63, 2**80]


def test_odd_ids_are_nothing_to_send_however_often(db, paytrail):
    for _ in range(7):  # past psycopg's threshold: each is also run as a prepared statement
        for odd in ODD_IDS:
            assert sending.send(odd) == "nothing to send"
            assert paytrail_refunds.send(odd) == "nothing to send"
    assert paytrail.refunds == [] and mail.outbox == []


def test_tasks_for_odd_ids_finish_without_failing(db, run_tasks, paytrail):
    from boxoffice.notifications.tasks import send_email
    from boxoffice.payments.tasks import refund_send

    for odd in ODD_IDS:
        send_email.enqueue(odd)
        refund_send.enqueue(odd)
    run_tasks()  # fails on a FAILED task
    done = DBTaskResult.objects.filter(task_path__in=[SEND_EMAIL, SEND_REFUND])
    assert set(done.values_list("return_value", flat=True)) == {"nothing to send"}


# -- a worker killed between its claim and the provider's answer ----------------------------------


@pytest.fixture
def silent_server() -> Iterator[tuple[int, threading.Event]]:
    """A TCP server that accepts and never answers: a worker that calls it hangs there."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    called, held = threading.Event(), []

    def accept() -> None:
        with suppress(OSError):
            while True:
                held.append(server.accept()[0])
                called.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], called
    finally:
        server.close()
        for peer in held:
            peer.close()


@contextmanager
def killed_worker(tmp_path: Path, called: threading.Event, **env: str) -> Iterator[str]:
    """A real `boxoffice worker` on this database, SIGKILLed once it calls the silent server.
    Yields the worker's log."""
    log = tmp_path / "worker.log"
    child = procs.start_worker(
        procs.child_env(
            DATABASE_CONN_MAX_AGE="0",
            BOXOFFICE_VAR_DIR=str(tmp_path),
            PERIODIC_JOB_INTERVAL_SECONDS="3600",
            **env,
        ),
        log,
        interval=0.1,
    )
    try:
        if not called.wait(timeout=30):
            pytest.fail("the worker never called out:\n" + log.read_text(errors="replace"))
        yield log.read_text(errors="replace")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)


def _only_task(path: str, row_id: int) -> None:
    """Nothing queued but ``path(row_id)`` (the order's own emails would go first)."""
    for task in DBTaskResult.objects.all():
        if task.task_path != path or task.args_kwargs["args"] != [row_id]:
            task.delete()


@COMMITTED
def test_a_refund_whose_worker_was_killed_mid_call_is_never_sent_again(
    refunds_of_cancelled, silent_server, tmp_path, paytrail, run_tasks, settings
):
    port, called = silent_server
    [refund_id] = refunds_of_cancelled(1)
    _only_task(SEND_REFUND, refund_id)
    with killed_worker(
        tmp_path,
        called,
        PAYTRAIL_API_URL=f"http://127.0.0.1:{port}",
        PAYTRAIL_TIMEOUT_SECONDS="60",
    ):
        refund = Refund.objects.get(pk=refund_id)
        assert (refund.state, refund.attempts) == (RefundState.PROCESSING, 1)
        [task] = DBTaskResult.objects.filter(task_path=SEND_REFUND)
        assert task.status == "RUNNING" and len(task.worker_ids) == 1

    # Its worker went quiet: the task is queued again ...
    assert tasks_reclaim(now=timezone.now() + DEAD_AFTER * 2) == 1
    task = DBTaskResult.objects.get(pk=task.pk)
    assert task.status == "READY" and task.started_at is None
    # ... and running it, with the reconcile job once the call's time is long past, never sends
    # the refund a second time: the reconcile job looks it up instead.
    Refund.objects.filter(pk=refund_id).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    settings.PAYTRAIL_REFUND_STALE_SECONDS = 1
    run_tasks()
    assert DBTaskResult.objects.get(pk=task.pk).return_value == "nothing to send"
    done = dict(DBTaskResult.objects.values_list("task_path", "return_value"))
    assert done == {SEND_REFUND: "nothing to send", CHECK_REFUND: "still waiting"}
    assert paytrail.refunds == []
    assert Refund.objects.get(pk=refund_id).state == RefundState.PROCESSING


@COMMITTED
def test_an_email_whose_worker_was_killed_mid_send_goes_out_once_after_its_stale_period(
    queued_emails, silent_server, tmp_path, run_tasks, settings
):
    port, called = silent_server
    [message_id] = queued_emails(1)
    _only_task(SEND_EMAIL, message_id)
    EmailMessage.objects.exclude(pk=message_id).update(state=EmailState.SENT)  # the order's own
    with killed_worker(
        tmp_path,
        called,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
    ):
        message = EmailMessage.objects.get(pk=message_id)
        assert (message.state, message.attempts) == (EmailState.SENDING, 1)

    assert tasks_reclaim(now=timezone.now() + DEAD_AFTER * 2) == 1
    run_tasks()  # the task again: the message is "sending", nothing to do
    assert mail.outbox == []
    assert sending.emails_reconcile() == 0  # claimed ten minutes ahead: not stale yet
    EmailMessage.objects.filter(pk=message_id).update(
        next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    settings.EMAIL_RECONCILE_STALE_SECONDS = 1
    assert sending.emails_reconcile() == 1
    run_tasks()
    run_tasks()
    assert len(mail.outbox) == 1
    message = EmailMessage.objects.get(pk=message_id)
    assert (message.state, message.attempts) == (EmailState.SENT, 2)


# -- prepared statements and schema changes -----------------------------------------------------


@contextmanager
def column_type(table: str, column: str, new: str, old: str) -> Iterator[None]:
    """A deploy's migration, run by another process, changes a column's type; undone after."""
    with other_connection() as other:
        other.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {new}")
        try:
            yield
        finally:
            connection.close()  # this connection's broken statements go with it
            other.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {old}")


@COMMITTED
def test_an_added_column_leaves_prepared_claims_working(
    refunds_of_cancelled, queued_emails, paytrail
):
    refunds, emails = refunds_of_cancelled(8), queued_emails(8)
    task_rows(10, run_after=timezone.now() - timedelta(seconds=1))
    for refund_id, message_id in zip(refunds[:6], emails[:6], strict=True):
        assert paytrail_refunds.send(refund_id) == "ok"
        assert sending.send(message_id) == "sent"
    for _ in range(6):
        assert claim_next(backend_name="default", worker_id="w") is not None
    tables = ["payments_refund", "notifications_emailmessage", "django_tasks_database_dbtaskresult"]
    with other_connection() as other:
        for table in tables:
            other.execute(f"ALTER TABLE {table} ADD COLUMN attack_extra integer NULL")
        try:
            for refund_id, message_id in zip(refunds[6:], emails[6:], strict=True):
                assert paytrail_refunds.send(refund_id) == "ok"
                assert sending.send(message_id) == "sent"
            assert claim_next(backend_name="default", worker_id="w") is not None
        finally:
            connection.close()
            for table in tables:
                other.execute(f"ALTER TABLE {table} DROP COLUMN attack_extra")


@COMMITTED
def test_widened_column_a_refund_whose_read_fails_stays_pending_to_be_sent(
    refunds_of_cancelled, paytrail
):
    """A worker has sent a few refunds (its read of the claimed refund is a
    prepared statement); a deploy's migration widens ``payments_refund.provider_status`` (an
    AlterField of max_length, as this project's migrations do). The next refund's read fails: its
    claim must roll back to pending (to be sent later), never stay processing and unsent (a
    processing refund is never sent again; refunds_reconcile only looks it up)."""
    refunds = refunds_of_cancelled(7)
    for refund_id in refunds[:6]:
        assert paytrail_refunds.send(refund_id) == "ok"
    with column_type("payments_refund", "provider_status", "varchar(40)", "varchar(20)"):
        with suppress(NotSupportedError):  # cached plan must not change result type
            paytrail_refunds.send(refunds[6])
        refund = Refund.objects.get(pk=refunds[6])
        sent = [r["refundStamp"] for r in paytrail.refunds]
        assert refund.state == RefundState.PENDING or str(refund.stamp) in sent, (
            f"refund left {refund.state} (attempts {refund.attempts}) and never sent"
        )


@COMMITTED
def test_widened_column_fails_one_email_which_stays_queued_not_every_one(queued_emails):
    """After ``notifications_emailmessage.state`` is widened (notifications/0003 did exactly
    this), a connection that prepared the claim's read fails one email, not every one until it
    is recycled: the claim's ROLLBACK clears psycopg's cache, and the failed one stays queued."""
    emails = queued_emails(9)
    for message_id in emails[:6]:
        assert sending.send(message_id) == "sent"
    outcomes: list[str] = []
    with column_type("notifications_emailmessage", "state", "varchar(12)", "varchar(8)"):
        for message_id in emails[6:]:
            try:
                outcomes.append(sending.send(message_id))
            except NotSupportedError as error:
                outcomes.append(f"{type(error).__name__}: {error}".strip())
        states = dict(EmailMessage.objects.filter(pk__in=emails[6:]).values_list("pk", "state"))
    assert outcomes[0].startswith("NotSupportedError"), outcomes
    assert outcomes[1:] == ["sent", "sent"], (outcomes, states)
    assert states == {emails[6]: "queued", emails[7]: "sent", emails[8]: "sent"}


@COMMITTED
def test_control_without_prepared_statements_the_same_migration_is_harmless(
    refunds_of_cancelled, queued_emails, paytrail
):
    """The two tests above with psycopg's prepared statements off on this connection (what
    DATABASE_PREPARED_STATEMENTS=0 does): nothing fails."""
    refunds, emails = refunds_of_cancelled(7), queued_emails(7)
    connection.ensure_connection()
    connection.connection.prepare_threshold = None
    try:
        for refund_id, message_id in zip(refunds[:6], emails[:6], strict=True):
            assert paytrail_refunds.send(refund_id) == "ok"
            assert sending.send(message_id) == "sent"
        with column_type("payments_refund", "provider_status", "varchar(40)", "varchar(20)"):
            assert paytrail_refunds.send(refunds[6]) == "ok"
        connection.ensure_connection()
        connection.connection.prepare_threshold = None
        with column_type("notifications_emailmessage", "state", "varchar(12)", "varchar(8)"):
            assert sending.send(emails[6]) == "sent"
    finally:
        connection.close()


# -- queries that looked risky under server-side binding, once prepared ---------------------------


def test_the_search_probe_with_its_set_local_runs_prepared(order_in):
    orders = [order_in(OrderStatus.PAID, name=f"Elina Räsänen {i}") for i in range(3)]
    for _ in range(8):
        found = selectors._search(Order.objects.all(), "räsänen elina")
        assert sorted(o.pk for o in found.orders) == sorted(o.pk for o in orders)


def test_the_exports_sql_with_a_parameter_in_its_select_list_runs_prepared(order_in):
    order_in(OrderStatus.PAID)
    order_in(OrderStatus.CANCELLED)
    with transaction.atomic():  # in a transaction: read on this connection, one by one
        first = list(export.export_rows(Order.objects.order_by("pk"), export.Per.ORDERS))
        for _ in range(7):
            again = list(export.export_rows(Order.objects.order_by("pk"), export.Per.ORDERS))
            assert again == first
    assert any("\u00d7" in str(cell) for row in first for cell in row)


def test_the_raw_user_query_with_the_sessions_string_id_runs_prepared(owner):
    backend = UserWithRolesBackend()
    for user_id in [str(owner.pk)] * 7 + [owner.pk] * 7:
        user = backend.get_user(user_id)
        assert user is not None and user.pk == owner.pk
    assert backend.get_user("0") is None


def test_advisory_locks_are_released_when_taken_by_prepared_statements(db):
    names = [f"attack-{i}" for i in range(12)]  # keys of every size (int2/int4/int8)
    for _ in range(7):
        for name in names:
            assert run_exclusively(name, lambda: 1) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert cursor.fetchone()[0] == 0
