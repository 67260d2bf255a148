"""The one helper that changes an order's status, by the table in states.py (DESIGN §4)."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.common.errors import TransitionNotAllowed
from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEvent, OrderStatus
from boxoffice.orders.states import TRANSITIONS

# The first time an order reaches these statuses is kept on the order itself.
STATUS_TIMESTAMPS: dict[str, str] = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.CANCELLED: "cancelled_at",
    OrderStatus.RETURNED: "returned_at",
}


def refusal(from_status: str, to_status: str) -> str:
    labels = dict(OrderStatus.choices)
    if from_status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        return _('The order is already "%(status)s". Cancellations and refunds are final.') % {
            "status": labels[from_status]
        }
    return _('An order in status "%(from)s" cannot be changed to "%(to)s".') % {
        "from": labels[from_status],
        "to": labels[to_status],
    }


def lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def sync(target: Order, source: Order) -> None:
    """Copy the locked, updated row onto the caller's instance."""
    for f in Order._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


# No savepoint: it runs inside its callers' transactions, and none of them goes on after it
# fails, so a savepoint would only add two statements to every cancel and refund.
@transaction.atomic(savepoint=False)
def order_transition(
    *,
    order: Order,
    to: str,
    actor: Actor,
    kind: str | None = None,
    data: dict[str, Any] | None = None,
) -> OrderEvent | None:
    """Move an order to ``to`` if the table allows it (joining the caller's transaction).

    Returns the history row, or None when the order already had that status (a repeat is a
    no-op, so a double click or a replayed callback changes nothing).
    """
    if to not in OrderStatus.values:
        raise TransitionNotAllowed(_("Unknown order status: %(status)s") % {"status": to})
    locked = lock(order)
    if locked.status == to:
        sync(order, locked)
        return None
    table_kind = TRANSITIONS.get((locked.status, to))
    if table_kind is None:
        sync(order, locked)
        raise TransitionNotAllowed(refusal(locked.status, to))
    from_status = locked.status
    now = timezone.now()
    locked.status = to
    update = ["status", "updated_at"]
    stamp_field = STATUS_TIMESTAMPS.get(to)
    if stamp_field and getattr(locked, stamp_field) is None:
        setattr(locked, stamp_field, now)
        update.append(stamp_field)
    locked.save(update_fields=update)
    sync(order, locked)
    return history.status_changed(order, kind or table_kind, actor, from_status, data)
