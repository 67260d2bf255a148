"""What an action has read under its order's row lock, so it reads it once.

Every service that changes an order, or its payments and refunds, locks the order's row first
(``transitions.lock``). So once an action holds that lock, nothing but the action itself can
change those rows until its transaction ends, and it changes them through ``Model.save()``,
whose ``post_save`` keeps what is held here current (``transitions``, and the payments app's
``held_rows``). A cancel with its refund used to read the same order row nine times and its
payments and refunds eighteen; now it reads them once each per action.

What is held is forgotten with the action, and at once when the transaction it was read in
ends or a savepoint inside it is rolled back: Django gives the connection a new list of
on-commit hooks each time (``BaseDatabaseWrapper.commit``, ``rollback``,
``savepoint_rollback``), so the list read with the rows identifies the state they were read
in. ``tests/payments/test_held_rows.py`` pins that, so a Django that stops doing it fails the
tests instead of serving stale money.

Everything is held per order, and only while the order's own row is held (``lock`` holds it
first): ``forget`` drops all of an order's rows at once, so nothing outlives the lock that
made it safe.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection

ORDER = "order"


class _Held:
    __slots__ = ("hooks", "orders")

    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {}
        self.hooks: object = None

    def current(self) -> dict[int, dict[str, Any]] | None:
        """Rows by order, or None outside a transaction; emptied when the transaction or a
        savepoint changed since they were read."""
        if not connection.in_atomic_block:
            self.orders.clear()
            return None
        if connection.run_on_commit is not self.hooks:
            self.orders.clear()
            self.hooks = connection.run_on_commit
        return self.orders


_held: ContextVar[_Held | None] = ContextVar("orders_held_rows", default=None)


def _of(order_id: int) -> dict[str, Any] | None:
    held = _held.get()
    orders = held.current() if held is not None else None
    return orders.get(order_id) if orders else None


@contextmanager
def scope() -> Iterator[None]:
    """Hold rows for the running action (history.action opens it with the outermost action)."""
    token = _held.set(_Held())
    try:
        yield
    finally:
        _held.reset(token)


def get(order_id: int, name: str) -> Any:
    """What the action holds of the order under ``name``, or None."""
    rows = _of(order_id)
    return rows.get(name) if rows else None


def hold(order_id: int, name: str, value: Any) -> None:
    """Keep ``value`` for the rest of the action: the order's row first (``ORDER``, taken
    under its lock), then anything read while it is held."""
    held = _held.get()
    orders = held.current() if held is not None else None
    if orders is None:
        return
    if name == ORDER:
        orders.setdefault(order_id, {})[ORDER] = value
    elif ORDER in orders.get(order_id, {}):
        orders[order_id][name] = value


def forget(order_id: int) -> None:
    """A change that bypassed ``save()`` (a queryset update): read the order's rows again."""
    held = _held.get()
    if held is not None:
        held.orders.pop(order_id, None)
