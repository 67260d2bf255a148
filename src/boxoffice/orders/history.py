"""One constructor per kind of history entry, so every row of a kind has the same shape.

Called only from services, inside their transaction: the history row commits with the change
it describes, or not at all.
"""

from decimal import Decimal
from typing import Any

from django.utils import timezone

from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEvent, OrderEventKind, Ticket
from boxoffice.orders.signals import order_event_recorded

Changes = dict[str, tuple[Any, Any]]


def _record(
    order: Order,
    kind: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
    ticket: Ticket | None = None,
) -> OrderEvent:
    row = OrderEvent.objects.create(
        order=order,
        kind=kind,
        created_at=timezone.now(),
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_label=actor.label[:200],
        ticket=ticket,
        data=data or {},
    )
    # The apps above subscribe (attention, emails, webhooks) and write in this transaction.
    order_event_recorded.send(sender=OrderEvent, event=row, actor=actor)
    return row


def order_placed(order: Order, actor: Actor) -> OrderEvent:
    return _record(
        order,
        OrderEventKind.PLACED,
        actor,
        {
            "status": order.status,
            "payment_method": order.payment_method,
            "total": str(order.total),
            "product_count": order.product_count,
        },
    )


def status_changed(
    order: Order, kind: str, actor: Actor, from_status: str, extra: dict[str, Any] | None = None
) -> OrderEvent:
    data: dict[str, Any] = {"from": from_status, "to": order.status}
    data.update(extra or {})
    return _record(order, kind, actor, data)


def money_event(
    order: Order, kind: str, actor: Actor, amount: Decimal, **details: Any
) -> OrderEvent:
    """A payment or refund step: its amount and whatever identifies it (stamp, reason...)."""
    data: dict[str, Any] = {"amount": str(amount)}
    # A dict stays one (a reason's values, shown in the reader's language); the rest is text.
    data.update(
        {
            key: value if isinstance(value, dict) else str(value)
            for key, value in details.items()
            if value not in (None, "", {})
        }
    )
    return _record(order, kind, actor, data)


def customer_updated(order: Order, actor: Actor, changes: Changes) -> OrderEvent:
    return _record(order, OrderEventKind.CUSTOMER_UPDATED, actor, {"changes": _jsonable(changes)})


def participant_updated(order: Order, ticket: Ticket, actor: Actor, changes: Changes) -> OrderEvent:
    return _record(
        order,
        OrderEventKind.PARTICIPANT_UPDATED,
        actor,
        {"changes": _jsonable(changes)},
        ticket=ticket,
    )


def email_event(
    order: Order, kind: str, actor: Actor, *, email_kind: str, to: str, **details: Any
) -> OrderEvent:
    """An email queued, sent or failed: which message (kind, recipient) and e.g. the error."""
    data: dict[str, Any] = {"email_kind": email_kind, "to": to}
    # A dict stays one (a reason's values, shown in the reader's language); the rest is text.
    data.update(
        {
            key: value if isinstance(value, dict) else str(value)
            for key, value in details.items()
            if value not in (None, "", {})
        }
    )
    return _record(order, kind, actor, data)


def _jsonable(changes: Changes) -> dict[str, list[Any]]:
    def value(v: Any) -> Any:
        return str(v) if isinstance(v, Decimal) else v

    return {field: [value(before), value(after)] for field, (before, after) in changes.items()}


def document_downloaded(
    order: Order, kind: str, actor: Actor, ticket: Ticket | None = None
) -> OrderEvent:
    """Someone downloaded the order's tickets (all, or ``ticket`` alone) or its receipt."""
    return _record(order, kind, actor, ticket=ticket)


def ticket_checked_in(order: Order, ticket: Ticket, actor: Actor) -> OrderEvent:
    """A ticket was let in at the door: written once, by its first successful scan."""
    return _record(order, OrderEventKind.CHECKED_IN, actor, ticket=ticket)


def attention_dismissed(order: Order, actor: Actor, *, code: str, note: str) -> OrderEvent:
    """A manager dismissed an attention item (payments.attention) with ``note``."""
    return _record(order, OrderEventKind.ATTENTION_DISMISSED, actor, {"code": code, "note": note})
