"""One constructor per kind of history entry, so every row of a kind has the same shape.

Called only from services, inside their transaction: the history row commits with the change
it describes, or not at all.

Rows that one action causes share an ``action`` key, so the back office can show them as one
entry (a cancel, its refund and the emails they queue). The key lives in a context variable
while the action runs (``action()``); work the action leaves for later (a refund's send and
callback, an email's send) stores the key on its own row (Refund.action, EmailMessage.action)
and resumes it with ``action(key)``, so its rows join the group however late they come.
"""

import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.utils import timezone

from boxoffice.orders import held
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderComment, OrderEvent, OrderEventKind, Ticket
from boxoffice.orders.signals import order_event_recorded

Changes = dict[str, tuple[Any, Any]]

_current_action: ContextVar[uuid.UUID | None] = ContextVar("order_history_action", default=None)
# Work a subscriber asked to run once when the outermost action ends (``at_action_end``).
_action_end: ContextVar[dict[Hashable, Callable[[], object]] | None] = ContextVar(
    "order_history_action_end", default=None
)


@contextmanager
def action(key: uuid.UUID | None = None) -> Iterator[uuid.UUID]:
    """Every history row written inside belongs to one action; yields its key.

    The outermost action wins: a service that another service calls (order_cancel inside
    cancel-and-refund) joins its caller's action instead of starting its own. ``key`` resumes
    a stored action (a task finishing what an action started); None starts a new one. Usable
    as a decorator (``@history.action()``) on a service that writes several rows.
    """
    current = _current_action.get()
    if current is not None:
        yield current
        return
    started = key or uuid.uuid4()
    token = _current_action.set(started)
    pending: dict[Hashable, Callable[[], object]] = {}
    end_token = _action_end.set(pending)
    try:
        with held.scope():  # rows read under the order's lock, for this action only
            yield started
            # Still inside the action's transaction (every service opens its atomic block
            # around its action): what runs here commits with the rows, or rolls back with
            # them. An action that raises leaves nothing to do, its transaction being rolled
            # back.
            while pending:
                pending.pop(next(iter(pending)))()
    finally:
        _action_end.reset(end_token)
        _current_action.reset(token)


def at_action_end(key: Hashable, work: Callable[[], object]) -> None:
    """Run ``work`` once when the running action ends, however many rows asked for it under
    the same ``key`` (a subscriber's per-order recomputation after a cancel that wrote four
    ledger rows), or at once outside any action."""
    pending = _action_end.get()
    if pending is None:
        work()
    else:
        pending.setdefault(key, work)


def current_action() -> uuid.UUID | None:
    """The running action's key, for a row that work started by it should carry (a refund,
    an email), or None outside any action."""
    return _current_action.get()


def _record(
    order: Order,
    kind: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
    ticket: Ticket | None = None,
    comment: OrderComment | None = None,
) -> OrderEvent:
    # A row written outside any action is an action of its own: what its subscribers write
    # (the email it queues) joins it.
    with action() as key:
        row = OrderEvent.objects.create(
            order=order,
            kind=kind,
            created_at=timezone.now(),
            actor_kind=actor.kind,
            actor_user=actor.user,
            actor_label=actor.label[:200],
            ticket=ticket,
            comment=comment,
            data=data or {},
            action=key,
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
    order: Order,
    kind: str,
    actor: Actor,
    *,
    email_kind: str,
    to: str,
    message: int | None = None,
    **details: Any,
) -> OrderEvent:
    """An email queued, sent or failed: which message (kind, recipient) and e.g. the error.

    ``message``: the EmailMessage's id, which links a message's queued row to its sent (failed,
    skipped) row, so the history can show them as one entry. Rows written before it was kept
    have none.
    """
    data: dict[str, Any] = {"email_kind": email_kind, "to": to}
    if message is not None:
        data["message"] = message
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


def comment_added(order: Order, comment: OrderComment, actor: Actor) -> OrderEvent:
    """Staff wrote an internal comment: the row places it in the history at its time, with its
    author; the text is kept as first written (the comment holds the current one)."""
    return _record(
        order, OrderEventKind.COMMENT_ADDED, actor, {"text": comment.text}, comment=comment
    )


def comment_edited(order: Order, comment: OrderComment, actor: Actor, before: str) -> OrderEvent:
    """Its author changed a comment's text (the back office folds this into the comment's
    line, which shows the current text and when it was edited)."""
    return _record(
        order,
        OrderEventKind.COMMENT_EDITED,
        actor,
        {"changes": {"text": [before, comment.text]}},
        comment=comment,
    )
