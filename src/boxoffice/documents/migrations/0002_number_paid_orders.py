"""Number the receipt of every paid order that has none yet.

Until now a receipt was numbered on its first download; from now on when the order is paid. The
orders paid before this change that nobody downloaded a receipt for get their numbers here, after
each organizer's highest number, in the order they were paid, dated when they were paid.
"""

from typing import Any

from django.db import migrations
from django.db.models import Max

BATCH = 2000


def number_paid_orders(apps: Any, schema_editor: Any) -> None:
    Order = apps.get_model("orders", "Order")
    Receipt = apps.get_model("documents", "Receipt")
    unnumbered = Order.objects.filter(paid_at__isnull=False, receipt__isnull=True)
    for organizer_id in unnumbered.values_list("organizer_id", flat=True).distinct():
        last = Receipt.objects.filter(organizer_id=organizer_id).aggregate(n=Max("number"))["n"]
        number = last or 0
        orders = unnumbered.filter(organizer_id=organizer_id).order_by("paid_at", "pk")
        batch = []
        for order_id, paid_at in orders.values_list("pk", "paid_at").iterator(chunk_size=BATCH):
            number += 1
            batch.append(
                Receipt(
                    organizer_id=organizer_id, number=number, order_id=order_id, issued_at=paid_at
                )
            )
            if len(batch) >= BATCH:
                Receipt.objects.bulk_create(batch)
                batch = []
        Receipt.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("orders", "0010_orderevent_kind_without_choices"),
    ]

    # Numbers handed out are never taken back (a receipt may have been sent), so backwards is a
    # no-op: the rows stay, as the download would have left them.
    operations = [migrations.RunPython(number_paid_orders, migrations.RunPython.noop)]
