"""Attention items carry their order's created_at, so the list of flagged orders, newest first,
is read from the items' own index (see payments.selectors.orders_needing_attention)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_created_at(apps, schema_editor):
    AttentionItem = apps.get_model("payments", "AttentionItem")
    Order = apps.get_model("orders", "Order")
    created = Order.objects.filter(pk=OuterRef("order_id")).values("created_at")[:1]
    AttentionItem.objects.update(order_created_at=Subquery(created))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_history_ledger_kinds"),
        ("payments", "0005_discrepancy_resolution"),
    ]

    operations = [
        migrations.AddField(
            model_name="attentionitem",
            name="order_created_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(copy_created_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="attentionitem",
            name="order_created_at",
            field=models.DateTimeField(),
        ),
        migrations.RemoveIndex(model_name="attentionitem", name="attention_open"),
        migrations.AddIndex(
            model_name="attentionitem",
            index=models.Index(
                condition=models.Q(("state", "open")),
                fields=["organizer", "-order_created_at", "-order"],
                name="attention_open",
            ),
        ),
        migrations.AddIndex(
            model_name="attentionitem",
            index=models.Index(
                condition=models.Q(("state", "open")),
                fields=["-order_created_at", "-order"],
                name="attention_open_all",
            ),
        ),
    ]
