"""The customer hears about every change to their order that they did not make themselves.

The order services call these inside their own transaction, right after the status change, so
the message, its history row and its send task exist exactly when the change does. Each one
returns the queued message, or None when notices are switched off (see ``notices_off``).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from boxoffice.notifications import services
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order

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


def notify_paid(*, order: Order, actor: Actor) -> EmailMessage | None:
    """The order confirmation with the tickets attached, once the order is paid (or free)."""
    if not notices_on():
        return None
    return services.email_order_confirmation(order=order, actor=actor)


def notify_cancelled(
    *,
    order: Order,
    actor: Actor,
    reason: str = "",
    expired: bool = False,
    return_accepted: bool = False,
) -> EmailMessage | None:
    if not notices_on():
        return None
    return services.email_cancellation(
        order=order, actor=actor, reason=reason, expired=expired, return_accepted=return_accepted
    )


def notify_refunded(*, order: Order, actor: Actor, amount: Decimal) -> EmailMessage | None:
    if not notices_on():
        return None
    return services.email_refund_notice(order=order, actor=actor, amount=amount)


def notify_return_requested(*, order: Order, actor: Actor, reason: str) -> EmailMessage | None:
    """The organizer hears that a customer asked to return an order (to its support address)."""
    if not notices_on():
        return None
    return services.email_return_requested(order=order, actor=actor, reason=reason)


def notify_return_declined(*, order: Order, actor: Actor, reason: str) -> EmailMessage | None:
    if not notices_on():
        return None
    return services.email_return_declined(order=order, actor=actor, reason=reason)
