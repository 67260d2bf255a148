"""A switch for the lifecycle emails (notifications.subscribers): bulk work can turn them off."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_notices_on: ContextVar[bool] = ContextVar("boxoffice_lifecycle_notices", default=True)


@contextmanager
def notices_off() -> Iterator[None]:
    """Change orders without emailing their customers.

    For bulk work that is not news to anyone: the demo seeding thousands of made-up orders, or
    an import of orders whose customers were already told elsewhere.
    """
    token = _notices_on.set(False)
    try:
        yield
    finally:
        _notices_on.reset(token)


def notices_on() -> bool:
    return _notices_on.get()
