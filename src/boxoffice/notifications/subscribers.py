"""The customer hears about every change to their order that they did not make themselves.

Each history row the orders app writes is published (orders.signals); this module turns the
kinds that are news to someone into queued emails, in the same transaction, so the message,
its own history row and its send task exist exactly when the change does.
"""

from decimal import Decimal
from typing import Any

from django.dispatch import receiver

from boxoffice.notifications import services
from boxoffice.notifications.lifecycle import notices_on
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import CancelCause, OrderEvent, OrderStatus
from boxoffice.orders.models import OrderEventKind as Kind
from boxoffice.orders.signals import order_event_recorded


@receiver(order_event_recorded, dispatch_uid="notifications.order_emails")
def on_order_event(sender: Any, event: OrderEvent, actor: Actor, **kwargs: Any) -> None:
    if not notices_on():
        return
    order, data = event.order, event.data
    if event.kind == Kind.PAID or (event.kind == Kind.PLACED and order.status == OrderStatus.PAID):
        # The confirmation with the tickets attached; a free order is paid from the start.
        services.email_order_confirmation(order=order, actor=actor)
    elif event.kind == Kind.CANCELLED and data.get("notify", True):
        cause = data.get("cause", CancelCause.ORGANIZER)
        services.email_cancellation(
            order=order,
            actor=actor,
            reason=data.get("reason", "") if cause == CancelCause.ORGANIZER else "",
            expired=cause == CancelCause.EXPIRED,
            return_accepted=cause == CancelCause.RETURN_ACCEPTED,
            refund_announced=data.get("refund_announced"),
        )
    elif event.kind in (Kind.REFUNDED, Kind.MARKED_REFUNDED) and "amount" in data:
        # Both ways an order becomes returned; this row is written once per order.
        if not _refund_already_announced(event):
            services.email_refund_notice(order=order, actor=actor, amount=Decimal(data["amount"]))
    elif event.kind == Kind.RETURN_REQUESTED:
        services.email_return_requested(order=order, actor=actor, reason=data.get("reason", ""))
    elif event.kind == Kind.RETURN_DECLINED:
        services.email_return_declined(order=order, actor=actor, reason=data.get("reason", ""))


def _refund_already_announced(event: OrderEvent) -> bool:
    """Whether the cancellation notice of the action that made this refund already told the
    customer that Paytrail sends the money back by itself (an event cancelled, a bulk cancel):
    then that notice was their one email. A refund a person makes later (a retry, one marked
    by hand, the platform's queue) is news, and its notice goes out."""
    if event.kind != Kind.REFUNDED or not event.action:
        return False
    return OrderEvent.objects.filter(
        order_id=event.order_id,
        action=event.action,
        kind=Kind.CANCELLED,
        data__refund_announced__via="paytrail",
    ).exists()
