"""The one helper that changes an order's status, by the table in states.py (DESIGN §4)."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.common.errors import TransitionNotAllowed
from boxoffice.orders import held, history
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
    """The order's row, locked until the transaction ends: every service that changes an order
    or its money takes it first. Read once per action (orders.held); each call answers a new
    instance of the row as it is now."""
    values = held.get(order.pk, held.ORDER)
    if values is not None:
        locked = Order.from_db("default", _ATTNAMES, values)  # as locked: on the primary
    else:
        locked = Order.objects.select_for_update().get(pk=order.pk)
        held.hold(order.pk, held.ORDER, _row(locked))
    # The event and organizer the caller read come along (emails name the event): the lock
    # is about the order's own row.
    for relation in _CARRIED:
        if relation.is_cached(order):
            relation.set_cached_value(locked, relation.get_cached_value(order))
    return locked


_ATTNAMES = [f.attname for f in Order._meta.concrete_fields]
_CARRIED: list[Any] = [Order._meta.get_field("event"), Order._meta.get_field("organizer")]


def _row(order: Order) -> list[Any]:
    return [getattr(order, name) for name in _ATTNAMES]


@receiver(post_save, sender=Order, dispatch_uid="orders.held_order_row")
def _keep_held_row(sender: Any, instance: Order, update_fields: Any, **kwargs: Any) -> None:
    """What was saved is the row now (whichever instance saved it)."""
    values = held.get(instance.pk, held.ORDER)
    if values is None:
        return
    if update_fields is None:
        values = _row(instance)
    else:
        values = list(values)
        for name in update_fields:
            attname = Order._meta.get_field(name).attname  # type: ignore[union-attr]
            values[_ATTNAMES.index(attname)] = getattr(instance, attname)
    if any(hasattr(value, "resolve_expression") for value in values):
        held.forget(instance.pk)  # saved as F(...): the value is the database's to say
        return
    held.hold(instance.pk, held.ORDER, values)


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
