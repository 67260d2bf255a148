"""Indexes for the order list's date, language, total and status-reversed filters and sorts,
a product's orders, and the tickets let in (for "checked in" / "not checked in").

On PostgreSQL each is built CONCURRENTLY (the migration is not atomic): at a million orders a
plain CREATE INDEX would hold off new orders for the tens of seconds it takes.
"""

from django.db import migrations, models

from boxoffice.common.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0007_user_saved_filters"),
        ("catalog", "0001_initial"),
        ("orders", "0012_search_text_folded"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(fields=["product", "order"], name="ticket_product_order"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["organizer", "paid_at"], name="order_org_paid"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["organizer", "language", "-created_at"], name="order_org_language"
            ),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["organizer", "total", "id"], name="order_org_total"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["organizer", "-status", "-created_at", "-id"], name="order_org_status_desc"
            ),
        ),
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("checked_in_at__isnull", False)),
                fields=["order"],
                name="ticket_checked_in_order",
            ),
        ),
    ]
