"""`boxoffice bench seed`: a platform's worth of orders loaded into the migrated schema by COPY.

The catalog (organizers, events, products, logins) is made by the ORM; orders and everything
under them are generated in Python (rows.py) while two writer threads stream earlier batches
into PostgreSQL with COPY (one the orders, the other the rows that refer to them), so
generating and loading keep both cores busy. Each batch is one transaction per writer, with
its foreign keys checked as it loads. At the end the identity sequences are
moved past the loaded ids and the tables are vacuumed and analyzed, as autovacuum would have
done to a database that grew over two years.
"""

import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from boxoffice.accounts.models import Organizer, User
from boxoffice.accounts.tokens import api_token_create
from boxoffice.benchmark.catalog import OWNER_EMAIL, Catalog, create_catalog
from boxoffice.benchmark.rows import COLUMNS, TABLES, Chunk, Ids, OrderRows
from boxoffice.orders.models import Order
from boxoffice.payments.attention import attention_sweep

# What --reset empties (CASCADE takes what hangs off them: memberships, tokens, sessions' users,
# receipts, emails, webhook deliveries...). Nothing is dropped: the schema stays the migrations'.
RESET_TABLES = (
    "accounts_organizer",
    "accounts_user",
    "catalog_event",
    "catalog_product",
    *TABLES,
    "accounts_apitoken",
)
CATALOG_TABLES = ("accounts_organizer", "accounts_user", "catalog_event", "catalog_product")


class SeedError(Exception):
    """The database is not one the seed may fill (SQLite, or already holding orders)."""


@dataclass
class Load:
    """Rows and seconds per table: COPY (including index upkeep and FK checks), VACUUM ANALYZE."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    copy: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TABLES, 0.0))
    vacuum: dict[str, float] = field(default_factory=dict)
    generate: float = 0.0
    commit: float = 0.0
    catalog: float = 0.0
    reset: float = 0.0
    total: float = 0.0


@dataclass
class Seeded:
    catalog: Catalog
    load: Load
    rows: OrderRows
    tokens: dict[str, str]


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        raise SeedError(
            "The scale benchmark needs PostgreSQL (it loads with COPY and measures PostgreSQL's "
            "indexes); this is "
            f"{connection.vendor}. Set DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db>."
        )


def already_seeded() -> bool:
    return User.objects.filter(email=OWNER_EMAIL).exists() and Order.objects.exists()


def seed(
    *,
    orders: int,
    organizers: int = 50,
    events: int = 200,
    reset: bool = False,
    password: str = "bench",
    random_seed: int = 2026,
    chunk_size: int = 25_000,
    progress: Callable[[str], None] = print,
    now: datetime | None = None,
) -> Seeded:
    require_postgres()
    if orders < 1 or organizers < 1 or events < organizers:
        raise SeedError("Need at least one order and organizer, and an event per organizer.")
    load = Load()
    started = time.perf_counter()
    if not reset and (Order.objects.exists() or Organizer.objects.exists()):
        raise SeedError(
            f"The database already has {Order.objects.count()} orders and "
            f"{Organizer.objects.count()} organizers. Seed an empty database, or pass "
            "--reset to empty the organizer, user, event and order tables first."
        )
    if reset:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(RESET_TABLES)} RESTART IDENTITY CASCADE")
        load.reset = time.perf_counter() - t
        progress(f"Emptied {', '.join(RESET_TABLES)} (and what refers to them).")

    rng = random.Random(random_seed)
    now = now or timezone.now()
    t = time.perf_counter()
    with transaction.atomic():
        catalog = create_catalog(
            rng, now=now, organizers=organizers, events=events, password=password
        )
    load.catalog = time.perf_counter() - t
    progress(
        f"{len(catalog.organizers)} organizers, {len(catalog.events)} events and their products "
        f"in {load.catalog:.1f} s; generating and loading {orders:,} orders..."
    )
    rows = OrderRows(rng, catalog.events, now.timestamp(), next_ids(), orders)
    _stream(rows, chunk_size, load, progress, started)
    _finish(load, progress)
    # What the worker's hourly sweep finds in this history (cancelled orders whose money was
    # never returned), so the attention list has a platform's worth of items too.
    t = time.perf_counter()
    looked_at = attention_sweep(now=now)
    progress(f"Attention sweep: {looked_at:,} orders in {time.perf_counter() - t:.1f} s.")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) payments_attentionitem")
    tokens = _tokens(catalog)
    load.total = time.perf_counter() - started
    return Seeded(catalog=catalog, load=load, rows=rows, tokens=tokens)


def next_ids() -> Ids:
    with connection.cursor() as cursor:
        found = []
        for table in TABLES:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            found.append(cursor.fetchone()[0])
    return Ids(*found)


def _stream(
    rows: OrderRows,
    chunk_size: int,
    load: Load,
    progress: Callable[[str], None],
    started: float,
) -> None:
    """Generate batches here while two writer threads COPY the previous ones.

    The first writer loads a batch's orders and commits; the second then loads the rows that
    refer to them (tickets, history, payments, refunds) while the first takes the next batch.
    """
    to_orders: queue.Queue[Chunk | None] = queue.Queue(maxsize=2)
    to_rest: queue.Queue[Chunk | None] = queue.Queue(maxsize=2)
    failures: list[BaseException] = []
    writers = [
        threading.Thread(
            target=_write, args=(to_orders, to_rest, TABLES[:1], load, failures), daemon=True
        ),
        threading.Thread(
            target=_write, args=(to_rest, None, TABLES[1:], load, failures), daemon=True
        ),
    ]
    for writer in writers:
        writer.start()
    done = 0
    try:
        chunks = rows.chunks(chunk_size)
        while True:
            t = time.perf_counter()
            chunk = next(chunks, None)
            load.generate += time.perf_counter() - t
            if chunk is None or failures:
                break
            to_orders.put(chunk)
            done += chunk.orders
            if done % (chunk_size * 4) == 0 or done == rows.count:
                elapsed = time.perf_counter() - started
                progress(f"  {done:>9,} / {rows.count:,} orders generated ({elapsed:.0f} s)")
    finally:
        to_orders.put(None)
        for writer in writers:
            writer.join()
    if failures:
        raise failures[0]
    progress(f"  all loaded ({time.perf_counter() - started:.0f} s)")


def _write(
    inbox: "queue.Queue[Chunk | None]",
    outbox: "queue.Queue[Chunk | None] | None",
    tables: tuple[str, ...],
    load: Load,
    failures: list[BaseException],
) -> None:
    """A writer thread: its own connection, one transaction per batch; passes batches on."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            while (chunk := inbox.get()) is not None:
                if failures:
                    continue  # drain, so nobody blocks on a dead writer
                with transaction.atomic():
                    # Check each foreign key as its rows load, so its cost shows per table.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    for table in tables:
                        lines = chunk.text[table]
                        if not lines:
                            continue
                        t = time.perf_counter()
                        columns = ", ".join(COLUMNS[table])
                        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                            copy.write("".join(lines))
                        load.copy[table] += time.perf_counter() - t
                        load.rows[table] += len(lines)
                    t = time.perf_counter()
                load.commit += time.perf_counter() - t
                if outbox is not None:
                    outbox.put(chunk)
    except BaseException as error:
        failures.append(error)
        while inbox.get() is not None:
            pass
    finally:
        if outbox is not None:
            outbox.put(None)
        connection.close()


def move_sequences() -> None:
    """The id sequences past the ids loaded by COPY, so the services' inserts go on after them."""
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )


def _finish(load: Load, progress: Callable[[str], None]) -> None:
    """Sequences past the loaded ids; VACUUM ANALYZE (visibility map, statistics)."""
    move_sequences()
    with connection.cursor() as cursor:
        progress("VACUUM ANALYZE...")
        for table in (*CATALOG_TABLES, *TABLES):
            t = time.perf_counter()
            cursor.execute(f"VACUUM (ANALYZE) {table}")
            load.vacuum[table] = time.perf_counter() - t


def _tokens(catalog: Catalog) -> dict[str, str]:
    biggest = catalog.organizers[0]
    _, manager = api_token_create(
        organizer=biggest, role="manager", name="bench", created_by=catalog.owner
    )
    _, platform = api_token_create(
        organizer=None, role="manager", name="bench (platform)", created_by=catalog.staff
    )
    return {biggest.slug: manager, "platform": platform}
