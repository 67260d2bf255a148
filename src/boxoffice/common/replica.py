"""Reads that may come from a PostgreSQL read replica (``DATABASE_REPLICA_URL``).

Every read goes to the primary unless the code around it asks for the replica with
``reading_from_replica()``: the order list and search, the API's order list, and exports. A
replica lags the primary by a moment, so nothing that acts on what it read asks: an order's page
(whose buttons depend on its state), a cancel or refund, a preview of what a change will do.
Without a replica configured the router is not installed, and asking changes nothing.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

REPLICA = "replica"
# The tables the list, search and exports read (orders, tickets, events, products, payments,
# refunds, attention items). Everything else stays on the primary even when asked: users,
# memberships and tokens (a removed member or a revoked token counts at once), sessions and
# second factors (one written at login may not have reached the replica yet), jobs and export
# records (read to be written).
REPLICA_APPS = frozenset({"orders", "catalog", "payments"})

# Per thread and per asyncio task: a request served next to this one is not affected.
_READING = ContextVar("reading_from_replica", default=False)

T = TypeVar("T")


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Within it (or the function it decorates), reads of ``REPLICA_APPS`` go to the replica
    when there is one. Writes still go to the primary, and so do reads in a transaction."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def iterate_on_replica(items: Iterable[T]) -> Iterator[T]:
    """``items`` with each one made under ``reading_from_replica()``: for a streamed answer,
    whose body is read after its view has returned (and left the context)."""
    iterator = iter(items)
    while True:
        # Entered and left around each step, never held across a yield: the code between two
        # steps (the server writing the chunk out) is not the export's and reads the primary.
        with reading_from_replica():
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def replica_alias() -> str:
    """The replica's alias when one is configured, else the primary's: for a read pinned there
    with ``.using()`` where the router would keep it on the primary (see ``ReplicaRouter``)."""
    return REPLICA if REPLICA in connections.settings else DEFAULT_DB_ALIAS


class ReplicaRouter:
    """Django's database router (``DATABASE_ROUTERS``, set with ``DATABASE_REPLICA_URL``)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if (
            _READING.get()
            and model._meta.app_label in REPLICA_APPS
            and REPLICA in connections.settings
            # In a transaction on the primary, reads stay there: a service reading inside its
            # own transaction needs its own uncommitted writes and the rows it locked, which
            # the replica has not got (and a replica cannot lock anything).
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        # Not None: Django would then read a row's relations where the row came from, and a
        # row read from the replica, refreshed or followed later, would keep reading there.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The same rows on both: an order read from the replica may be linked to one written
        # on the primary.
        both = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= both else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # The replica copies the primary's schema through replication: never migrated itself.
        return db == DEFAULT_DB_ALIAS
