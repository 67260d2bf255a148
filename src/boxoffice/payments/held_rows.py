"""An order's payments and refunds, read once per action that holds the order's lock.

Every writer that changes what the ledger reads locks the order first, so while an action
holds that lock its own saves are the only such changes, and ``post_save`` here keeps what it
read current (orders.held says why that is safe and when it is forgotten). Without the lock
they are read each time.

What is held is the rows' values, and each reader gets instances of its own, oldest first.
Fields that workers move with queryset updates and without the order's lock (when a refund's
task is due, Paytrail's own status and transaction words) are not held: an instance reads
them from the database if asked.
"""

import copy
from typing import Any

from django.db.models import JSONField, Model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from boxoffice.orders import held
from boxoffice.orders.models import Order
from boxoffice.payments.models import Payment, Refund

_NAMES = {Payment: "payments", Refund: "refunds"}
_NOT_HELD = {
    Payment: {"href", "provider_status"},
    Refund: {"next_attempt_at", "provider_status", "provider_transaction_id"},
}
_HELD_FIELDS = {
    model: [f for f in model._meta.concrete_fields if f.attname not in _NOT_HELD[model]]
    for model in _NAMES
}
_HELD = {model: [f.attname for f in fields] for model, fields in _HELD_FIELDS.items()}
# The positions of values a reader could change in place (JSON: dicts and lists): only these
# are copied for each reader; the rest (numbers, text, times, ids) cannot change in place.
_MUTABLE = {
    model: [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
    for model, fields in _HELD_FIELDS.items()
}


def payments_of(order: Order) -> list[Payment]:
    return _rows(Payment, order)


def refunds_of(order: Order) -> list[Refund]:
    return _rows(Refund, order)


def _rows(model: Any, order: Order) -> list[Any]:
    name = _NAMES[model]
    rows = held.get(order.pk, name)
    if rows is None:
        # Through the order, so each row's ``order`` is this instance, not another query.
        found = list(getattr(order, name).order_by("pk"))
        held.hold(order.pk, name, {row.pk: _copied(model, _values(row)) for row in found})
        return found
    names, to_order = _HELD[model], model._meta.get_field("order")
    made = [
        model.from_db("default", names, _copied(model, values))  # JSON values are the reader's
        for _pk, values in sorted(rows.items())
    ]
    for row in made:
        to_order.set_cached_value(row, order)
    return made


def _values(row: Model) -> list[Any]:
    return [getattr(row, name) for name in _HELD[type(row)]]


def _copied(model: Any, values: list[Any]) -> list[Any]:
    """``values`` with its JSON values copied, so no two holders share a dict or list."""
    copied = list(values)
    for i in _MUTABLE[model]:
        copied[i] = copy.deepcopy(copied[i])
    return copied


@receiver(post_save, sender=Payment, dispatch_uid="payments.held_payments")
@receiver(post_save, sender=Refund, dispatch_uid="payments.held_refunds")
def _keep_held(sender: Any, instance: Any, update_fields: Any, **kwargs: Any) -> None:
    """What was saved is the row now: all of it, or the fields saved."""
    rows = held.get(instance.order_id, _NAMES[sender])
    if rows is None:
        return
    names = _HELD[sender]
    before = rows.get(instance.pk)
    if update_fields is None or before is None:
        values = _values(instance)
    else:
        values = list(before)
        for field in update_fields:
            attname = sender._meta.get_field(field).attname
            if attname in names:
                values[names.index(attname)] = getattr(instance, attname)
    if any(hasattr(value, "resolve_expression") for value in values):
        held.forget(instance.order_id)  # saved as F(...): the value is the database's to say
        return
    held.hold(instance.order_id, _NAMES[sender], {**rows, instance.pk: _copied(sender, values)})


@receiver(post_delete, sender=Payment, dispatch_uid="payments.held_payments_deleted")
@receiver(post_delete, sender=Refund, dispatch_uid="payments.held_refunds_deleted")
def _forget_held(sender: Any, instance: Any, **kwargs: Any) -> None:
    held.forget(instance.order_id)
