"""What an action has read under its order's row lock, so it reads it once.

Every service that changes an order, or its payments and refunds, locks the order's row first
(``transitions.lock``). So once an action holds that lock, nothing but the action itself can
change those rows until its transaction ends, and it changes them through ``Model.save()``,
whose ``post_save`` keeps what is held here current (``orders.receivers``, and the payments
app's for its rows). A cancel with its refund used to read the same order row nine times and
its payments and refunds eighteen; now it reads them once.

What is held is forgotten with the action, and at once when the transaction it was read in
ends or a savepoint inside it is rolled back: Django gives the connection a new list of
on-commit hooks each time (``BaseDatabaseWrapper.commit``, ``rollback``,
``savepoint_rollback``), so the list read with the rows identifies the state they were read
in. ``tests/orders/test_held.py`` pins that, so a Django that stops doing it fails the tests
instead of serving stale money.

Only rows that are locked may be held: ``hold`` refuses without the order's lock, which
``transitions.lock`` takes before it holds the order.
"""

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection


class _Held:
    __slots__ = ("hooks", "rows")

    def __init__(self) -> None:
        self.rows: dict[Hashable, Any] = {}
        self.hooks: object = None

    def current(self) -> dict[Hashable, Any] | None:
        """The rows, or None outside a transaction; emptied when the transaction or a
        savepoint changed since they were read."""
        if not connection.in_atomic_block:
            self.rows.clear()
            return None
        if connection.run_on_commit is not self.hooks:
            self.rows.clear()
            self.hooks = connection.run_on_commit
        return self.rows


_held: ContextVar[_Held | None] = ContextVar("orders_held_rows", default=None)


@contextmanager
def scope() -> Iterator[None]:
    """Hold rows for the running action (history.action opens it with the outermost action)."""
    token = _held.set(_Held())
    try:
        yield
    finally:
        _held.reset(token)


def get(key: Hashable) -> Any:
    """What the action holds under ``key``, or None."""
    held = _held.get()
    rows = held.current() if held is not None else None
    return rows.get(key) if rows else None


def hold(key: Hashable, value: Any, *, order_id: int) -> None:
    """Keep ``value`` for the rest of the action: only while it holds the order's lock."""
    held = _held.get()
    rows = held.current() if held is not None else None
    if rows is not None and (key == ("order", order_id) or ("order", order_id) in rows):
        rows[key] = value


def forget(key: Hashable) -> None:
    """A change that bypassed ``save()`` (a queryset update): read it again next time."""
    held = _held.get()
    if held is not None:
        held.rows.pop(key, None)


def is_locked(order_id: int) -> bool:
    """Whether the running action holds this order's row lock (and so may hold its rows)."""
    return get(("order", order_id)) is not None
