"""An order's payments and refunds, read once per action that holds the order's lock.

Every writer of these rows locks the order first, so while an action holds that lock its own
saves are the only changes, and ``post_save`` here keeps what it read current (orders.held
says why that is safe and when it is forgotten). Without the lock they are read each time.
What is held is the rows' values: each reader gets instances of its own, oldest first.
"""

from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from boxoffice.orders import held
from boxoffice.orders.models import Order
from boxoffice.payments.models import Payment, Refund

_NAMES = {Payment: "payments", Refund: "refunds"}
_ATTNAMES = {model: [f.attname for f in model._meta.concrete_fields] for model in _NAMES}


def payments_of(order: Order) -> list[Payment]:
    return _rows(Payment, order)


def refunds_of(order: Order) -> list[Refund]:
    return _rows(Refund, order)


def _rows(model: Any, order: Order) -> list[Any]:
    key = (_NAMES[model], order.pk)
    rows = held.get(key)
    if rows is None:
        # Through the order, so each row's ``order`` is this instance, not another query.
        found = list(getattr(order, _NAMES[model]).order_by("pk"))
        held.hold(key, {row.pk: _values(row) for row in found}, order_id=order.pk)
        return found
    names, to_order = _ATTNAMES[model], model._meta.get_field("order")
    made = [model.from_db("default", names, values) for _pk, values in sorted(rows.items())]
    for row in made:
        to_order.set_cached_value(row, order)
    return made


def _values(row: Model) -> list[Any]:
    return [getattr(row, name) for name in _ATTNAMES[type(row)]]


@receiver(post_save, sender=Payment, dispatch_uid="payments.held_payments")
@receiver(post_save, sender=Refund, dispatch_uid="payments.held_refunds")
def _keep_held(sender: Any, instance: Any, update_fields: Any, **kwargs: Any) -> None:
    """What was saved is the row now: all of it, or the fields saved."""
    key = (_NAMES[sender], instance.order_id)
    rows = held.get(key)
    if rows is None:
        return
    before = rows.get(instance.pk)
    if update_fields is None or before is None:
        values = _values(instance)
    else:
        names = _ATTNAMES[sender]
        values = list(before)
        for name in update_fields:
            attname = sender._meta.get_field(name).attname
            values[names.index(attname)] = getattr(instance, attname)
    held.hold(key, {**rows, instance.pk: values}, order_id=instance.order_id)


@receiver(post_delete, sender=Payment, dispatch_uid="payments.held_payments_deleted")
@receiver(post_delete, sender=Refund, dispatch_uid="payments.held_refunds_deleted")
def _forget_held(sender: Any, instance: Any, **kwargs: Any) -> None:
    held.forget((_NAMES[sender], instance.order_id))
