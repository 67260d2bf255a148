"""The read replica (DATABASE_REPLICA_URL): the order list and search, the API's list and the
exports (at once and in the background) read orders there; an order's page, writes, logins,
sessions and who-may-see-what read the primary; without a replica nothing changes.

The tests give the test database a second alias, "replica", as DATABASE_REPLICA_URL's
``TEST: {"MIRROR": "default"}`` does: a connection of its own to the same database, so each
query is seen on the connection it ran on. Its tests commit (``transaction=True``): another
connection sees no uncommitted rows, and inside a transaction the router keeps every read on
the primary anyway. SQLite and PostgreSQL alike; the planner settings of the search's probe
and the export's own connections exist only on PostgreSQL.
"""

import copy
import importlib.util
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

import boxoffice
from boxoffice.accounts.models import ApiToken, Membership, Organizer, Role, User
from boxoffice.accounts.tokens import api_token_create
from boxoffice.catalog.models import Event, Product
from boxoffice.common.replica import (
    REPLICA,
    ReplicaRouter,
    iterate_on_replica,
    reading_from_replica,
    replica_alias,
)
from boxoffice.exports import rows as export_rows
from boxoffice.exports import services
from boxoffice.exports.models import Export, ExportChunk
from boxoffice.jobs import runner
from boxoffice.jobs.models import Job, JobState
from boxoffice.orders.models import Order, OrderStatus, Ticket
from boxoffice.payments.models import AttentionItem, Payment, Refund

ROUTER = "boxoffice.common.replica.ReplicaRouter"
ON_BOTH = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
POSTGRES = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"

ORDERS = Order._meta.db_table
TICKETS = Ticket._meta.db_table
# What who-is-asking and may-they reads touch: never the replica. (An organizer's name may
# come along joined to its events there: what a person may see is their memberships.)
PRIMARY_ONLY = [
    User._meta.db_table,
    Membership._meta.db_table,
    ApiToken._meta.db_table,
    Session._meta.db_table,
    "otp_",  # django-otp's devices
    Job._meta.db_table,
    Export._meta.db_table,
]


@pytest.fixture(scope="module")
def replica_alias_on_test_database(django_db_setup: None) -> Iterator[None]:
    """A "replica" alias on the test database, as settings.py makes one with TEST MIRROR.

    Module-scoped: pytest sets it up before the function-scoped database fixtures, which
    check that every alias a test names exists."""
    if REPLICA in connections.settings:  # run with DATABASE_REPLICA_URL: Django mirrored it
        yield
        return
    default = connections[DEFAULT_DB_ALIAS].settings_dict  # already the test database's
    mirror = copy.deepcopy(default)
    mirror["TEST"] = {**default["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = mirror
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def routed(replica_alias_on_test_database: None, settings: Any) -> None:
    """The router installed, as DATABASE_REPLICA_URL does."""
    settings.DATABASE_ROUTERS = [ROUTER]


@dataclass
class Reads:
    primary: list[str]
    replica: list[str]

    @staticmethod
    def tables(queries: list[str]) -> set[str]:
        return {name for sql in queries for name in re.findall(r'"(\w+)"', sql)}

    def on_replica(self, table: str) -> bool:
        return any(table in name for name in self.tables(self.replica))

    def read_on_primary(self, table: str) -> bool:
        """A SELECT on the primary that reads ``table`` (writes and their locks aside)."""
        return any(
            sql.lstrip().upper().startswith("SELECT")
            and "FOR UPDATE" not in sql.upper()
            and f'"{table}"' in sql
            for sql in self.primary
        )


@contextmanager
def reads() -> Iterator[Reads]:
    """The SQL each connection ran inside the block."""
    seen = Reads([], [])
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        yield seen
    seen.primary = [q["sql"] for q in primary.captured_queries]
    seen.replica = [q["sql"] for q in replica.captured_queries]


def assert_nothing_primary_only_on_replica(seen: Reads) -> None:
    touched = [t for t in seen.tables(seen.replica) for p in PRIMARY_ONLY if t.startswith(p)]
    assert touched == []


@pytest.fixture
def orders(
    order_in: Callable[..., Order], make_product: Callable[..., Product], event: Event
) -> list[Order]:
    vip = make_product(event, name="VIP", price=Decimal("150.00"))
    return [
        order_in(OrderStatus.PAID, name="Aino Replica"),
        order_in(OrderStatus.RESERVED, name="Veikko Primary"),
        order_in(OrderStatus.PAID, product=vip, quantity=1, name="Aino Toinen"),
    ]


@pytest.fixture
def owner_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def api_headers(organizer: Organizer) -> dict[str, str]:
    _token, value = api_token_create(
        organizer=organizer, role=Role.MANAGER, name="replica test", created_by=None
    )
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def sql_batches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The aliases whose connections the export's hand-written SQL read its batches on
    (PostgreSQL; Django does not see those queries): the caller's, or its own two."""
    used: list[str] = []
    one_by_one, own_connection = export_rows._one_by_one, export_rows._own_connection

    def spy_one_by_one(db: Any, batches: Any, per: Any) -> Iterator[Any]:
        used.append(db.alias)
        yield from one_by_one(db, batches, per)

    @contextmanager
    def spy_own_connection(db: Any) -> Iterator[Any]:
        used.append(f"{db.alias} (own)")
        with own_connection(db) as own:
            yield own

    monkeypatch.setattr(export_rows, "_one_by_one", spy_one_by_one)
    monkeypatch.setattr(export_rows, "_own_connection", spy_own_connection)
    return used


# -- the router -------------------------------------------------------------------------------


def test_reads_go_to_the_replica_only_when_asked(replica_alias_on_test_database: None) -> None:
    routes = ReplicaRouter()
    assert routes.db_for_read(Order) == DEFAULT_DB_ALIAS
    with reading_from_replica():
        read = {m.__name__: routes.db_for_read(m) for m in (Order, Ticket, Event, Product)}
        read |= {m.__name__: routes.db_for_read(m) for m in (Payment, Refund, AttentionItem)}
        assert set(read.values()) == {REPLICA}
        # Who is asking and what they may see, sessions, jobs and export records: primary.
        for model in (User, Membership, Organizer, ApiToken, Session, Job, Export, ExportChunk):
            assert routes.db_for_read(model) == DEFAULT_DB_ALIAS, model
        assert routes.db_for_write(Order) == DEFAULT_DB_ALIAS
    assert routes.db_for_read(Order) == DEFAULT_DB_ALIAS


@ON_BOTH
def test_reads_in_a_transaction_stay_on_the_primary(routed: None) -> None:
    with reading_from_replica():
        assert router.db_for_read(Order) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(Order) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Order) == REPLICA


def test_migrations_only_on_the_primary_and_rows_relate_across(
    replica_alias_on_test_database: None,
) -> None:
    routes = ReplicaRouter()
    assert routes.allow_migrate(DEFAULT_DB_ALIAS, "orders") is True
    assert routes.allow_migrate(REPLICA, "orders") is False
    on_replica, on_primary = Order(), Event()
    on_replica._state.db, on_primary._state.db = REPLICA, DEFAULT_DB_ALIAS
    assert routes.allow_relation(on_replica, on_primary) is True


def test_another_thread_is_not_asked_along(replica_alias_on_test_database: None) -> None:
    answers: list[str] = []
    with reading_from_replica():
        thread = threading.Thread(target=lambda: answers.append(router_answer()))
        thread.start()
        thread.join()
        answers.append(router_answer())
    assert answers == [DEFAULT_DB_ALIAS, REPLICA]


def router_answer() -> str:
    return ReplicaRouter().db_for_read(Order)


def test_a_stream_reads_the_replica_only_in_its_own_steps(
    replica_alias_on_test_database: None,
) -> None:
    def steps() -> Iterator[str]:
        for _ in range(3):
            yield router_answer()

    between = []
    for answer in iterate_on_replica(steps()):
        between.append((answer, router_answer()))
    assert between == [(REPLICA, DEFAULT_DB_ALIAS)] * 3


def test_without_a_replica_asking_changes_nothing(
    replica_alias_on_test_database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(connections.settings, REPLICA)
    with reading_from_replica():
        assert ReplicaRouter().db_for_read(Order) == DEFAULT_DB_ALIAS
    assert replica_alias() == DEFAULT_DB_ALIAS


def load_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> Any:
    """settings.py run afresh under ``env`` (beside Django's loaded settings, not instead)."""
    monkeypatch.setenv("BOXOFFICE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = Path(boxoffice.__file__).parent / "settings.py"
    spec = importlib.util.spec_from_file_location("settings_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_add_the_replica_only_with_its_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    primary = "postgres://app@db-primary:5432/boxoffice"
    plain = load_settings(monkeypatch, tmp_path, DATABASE_URL=primary)
    assert list(plain.DATABASES) == [DEFAULT_DB_ALIAS]
    assert not hasattr(plain, "DATABASE_ROUTERS")

    replicated = load_settings(
        monkeypatch,
        tmp_path,
        DATABASE_URL=primary,
        DATABASE_REPLICA_URL="postgres://reader@db-replica:5433/boxoffice",
        DATABASE_CONN_MAX_AGE="30",
    )
    replica = replicated.DATABASES[REPLICA]
    assert (replica["ENGINE"], replica["HOST"], replica["PORT"], replica["USER"]) == (
        "django.db.backends.postgresql",
        "db-replica",
        5433,
        "reader",
    )
    assert replica["CONN_MAX_AGE"] == replicated.DATABASES[DEFAULT_DB_ALIAS]["CONN_MAX_AGE"] == 30
    assert replica["TEST"] == {"MIRROR": DEFAULT_DB_ALIAS}
    assert replicated.DATABASE_ROUTERS == [ROUTER]


# -- what reads the replica -------------------------------------------------------------------


@ON_BOTH
def test_the_order_list_reads_the_replica(
    routed: None, owner_client: Client, orders: list[Order]
) -> None:
    with reads() as seen:
        response = owner_client.get("/backoffice/orders/", {"status": "paid"})
    assert response.status_code == 200
    page = response.content.decode()
    assert [o.code in page for o in orders] == [True, False, True]
    assert seen.on_replica(ORDERS)
    assert not seen.read_on_primary(ORDERS)
    assert_nothing_primary_only_on_replica(seen)


@ON_BOTH
def test_the_search_reads_the_replica(
    routed: None, owner_client: Client, orders: list[Order]
) -> None:
    with reads() as seen:
        response = owner_client.get("/backoffice/orders/", {"q": "aino"})
    assert response.status_code == 200
    page = response.content.decode()
    assert [o.code in page for o in orders] == [True, False, True]
    assert seen.on_replica(ORDERS)
    assert not seen.read_on_primary(ORDERS)
    if POSTGRES:  # the probe's planner settings, in its transaction on the replica
        assert any("enable_seqscan" in sql for sql in seen.replica)
        assert not any("enable_seqscan" in sql for sql in seen.primary)
    assert_nothing_primary_only_on_replica(seen)


@ON_BOTH
def test_the_api_order_list_reads_the_replica(
    routed: None, api_headers: dict[str, str], orders: list[Order]
) -> None:
    with reads() as seen:
        response = Client().get("/api/v1/orders", {"q": "aino"}, headers=api_headers)
    assert response.status_code == 200
    codes = [row["code"] for row in response.json()["orders"]]
    assert sorted(codes) == sorted([orders[0].code, orders[2].code])
    assert seen.on_replica(ORDERS)
    assert not seen.read_on_primary(ORDERS)
    assert_nothing_primary_only_on_replica(seen)


@ON_BOTH
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("per", ["orders", "tickets"])
def test_an_export_reads_the_replica_and_records_on_the_primary(
    routed: None,
    owner_client: Client,
    orders: list[Order],
    sql_batches: list[str],
    fmt: str,
    per: str,
) -> None:
    with reads() as seen:
        response = owner_client.get("/backoffice/orders/export/", {"format": fmt, "rows": per})
        body = b"".join(response.streaming_content)  # read while it streams
    assert response.status_code == 200
    assert body
    export = Export.objects.get()
    assert export.rows == (3 if per == "orders" else 5)
    assert export.finished_at is not None
    assert seen.on_replica(ORDERS)
    # The tickets: by the ORM, or by the SQL on the replica's connection (PostgreSQL).
    assert sql_batches == ([REPLICA] if POSTGRES else [])
    assert seen.on_replica(TICKETS) or POSTGRES
    assert not seen.read_on_primary(ORDERS)
    assert not seen.read_on_primary(TICKETS)
    assert any(Export._meta.db_table in sql for sql in seen.primary)  # the audit record
    assert_nothing_primary_only_on_replica(seen)


@ON_BOTH
def test_an_api_export_reads_the_replica(
    routed: None, api_headers: dict[str, str], orders: list[Order]
) -> None:
    with reads() as seen:
        response = Client().get("/api/v1/orders/export", {"format": "csv"}, headers=api_headers)
        body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert all(o.code.encode() in body for o in orders)
    assert seen.on_replica(ORDERS)
    assert not seen.read_on_primary(ORDERS)


@ON_BOTH
def test_a_background_export_reads_orders_from_the_replica_in_its_chunks(
    routed: None,
    owner_client: Client,
    orders: list[Order],
    sql_batches: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "DOWNLOAD_LIMIT", 1)
    response = owner_client.get("/backoffice/orders/export/", {"format": "csv", "rows": "tickets"})
    assert response.status_code == 302
    with reads() as seen:
        assert runner.run(Job.objects.get().pk) == "done"  # the job's task, alone
    job = Job.objects.get()
    export = Export.objects.get()
    assert (job.state, job.total, job.done, export.rows) == (JobState.DONE, 5, 5, 5)
    assert ExportChunk.objects.filter(export=export).count() == 1
    assert seen.on_replica(ORDERS)
    assert seen.on_replica(TICKETS)  # counted
    assert sql_batches == ([REPLICA] if POSTGRES else [])
    assert not seen.read_on_primary(ORDERS)
    assert not seen.read_on_primary(TICKETS)
    assert any(ExportChunk._meta.db_table in sql for sql in seen.primary)
    assert_nothing_primary_only_on_replica(seen)


@ON_BOTH
@pytest.mark.skipif(not POSTGRES, reason="the export's own connections are PostgreSQL's")
def test_the_exports_own_connections_open_the_replica(
    routed: None,
    owner_client: Client,
    orders: list[Order],
    sql_batches: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export_rows, "PG_BATCH", 1)  # three orders: three batches
    response = owner_client.get("/backoffice/orders/export/", {"format": "csv"})
    body = b"".join(response.streaming_content)
    assert all(o.code.encode() in body for o in orders)
    assert sql_batches == [f"{REPLICA} (own)", f"{REPLICA} (own)"]


# -- what never reads the replica -------------------------------------------------------------


@ON_BOTH
def test_an_orders_page_reads_the_primary(
    routed: None, owner_client: Client, orders: list[Order]
) -> None:
    with reads() as seen:
        response = owner_client.get(f"/backoffice/orders/{orders[0].code}/")
    assert response.status_code == 200
    assert seen.replica == []
    assert seen.read_on_primary(ORDERS)


@ON_BOTH
def test_a_cancel_reads_and_writes_the_primary(
    routed: None, owner_client: Client, orders: list[Order]
) -> None:
    order = orders[0]
    with reads() as seen:
        response = owner_client.post(
            f"/backoffice/orders/{order.code}/cancel/", {"reason": "Asked", "money": "keep"}
        )
    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/orders/{order.code}/"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert seen.replica == []


@ON_BOTH
def test_the_api_order_and_its_changes_read_the_primary(
    routed: None, api_headers: dict[str, str], orders: list[Order]
) -> None:
    code = orders[0].code
    with reads() as seen:
        read = Client().get(f"/api/v1/orders/{code}", headers=api_headers)
        cancelled = Client().post(
            f"/api/v1/orders/{code}/cancel",
            {"reason": "Asked"},
            content_type="application/json",
            headers=api_headers,
        )
    assert (read.status_code, cancelled.status_code) == (200, 200)
    assert seen.replica == []


@ON_BOTH
def test_logging_in_reads_the_primary_and_the_list_after_it_the_replica(
    routed: None, owner: User, password: str, orders: list[Order]
) -> None:
    client = Client()
    with reads() as seen:
        response = client.post(
            "/accounts/login/", {"username": owner.email, "password": password}, follow=True
        )
    assert response.redirect_chain == [("/backoffice/orders/", 302)]
    assert response.status_code == 200
    assert seen.read_on_primary(User._meta.db_table)
    assert any(Session._meta.db_table in sql for sql in seen.primary)
    assert seen.on_replica(ORDERS)  # the list it opens
    assert_nothing_primary_only_on_replica(seen)


@ON_BOTH
def test_without_the_router_the_list_reads_the_primary(
    replica_alias_on_test_database: None, owner_client: Client, orders: list[Order]
) -> None:
    # Settings without DATABASE_REPLICA_URL install no router: even with an alias there,
    # nothing reads it.
    with reads() as seen:
        assert owner_client.get("/backoffice/orders/", {"q": "aino"}).status_code == 200
        response = owner_client.get("/backoffice/orders/export/", {"format": "csv"})
        b"".join(response.streaming_content)
    assert seen.replica == []
    assert seen.read_on_primary(ORDERS)
