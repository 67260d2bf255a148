"""documents.0002 numbers the paid orders that were never downloaded, after the organizer's last."""

import importlib
from collections.abc import Callable
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from boxoffice.catalog.models import Product
from boxoffice.documents.models import Receipt
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, PaymentMethod
from boxoffice.payments.marking import order_mark_paid

migration = importlib.import_module("boxoffice.documents.migrations.0002_number_paid_orders")


def test_old_paid_orders_get_numbers_in_payment_order(
    place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    downloaded, early, late = (order_mark_paid(order=place(product), actor=actor) for _ in range(3))
    unpaid = place(product, method=PaymentMethod.INVOICE)
    # As the database looked before: only the downloaded receipt had its number (7).
    Receipt.objects.exclude(order=downloaded).delete()
    Receipt.objects.filter(order=downloaded).update(number=7)
    now = timezone.now()
    Order.objects.filter(pk=early.pk).update(paid_at=now - timedelta(days=2))
    Order.objects.filter(pk=late.pk).update(paid_at=now - timedelta(days=1))

    migration.number_paid_orders(apps, None)

    rows = {r.order_id: (r.number, r.issued_at) for r in Receipt.objects.all()}
    assert rows == {
        downloaded.pk: (7, rows[downloaded.pk][1]),
        early.pk: (8, now - timedelta(days=2)),
        late.pk: (9, now - timedelta(days=1)),
    }
    assert unpaid.pk not in rows
    migration.number_paid_orders(apps, None)  # run again: nothing new
    assert Receipt.objects.count() == 3
