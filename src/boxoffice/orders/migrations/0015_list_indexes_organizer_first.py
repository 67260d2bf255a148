"""The event filter's indexes lead with the organizer (orders.selectors._of_event says why).

Built and dropped CONCURRENTLY on PostgreSQL, so orders keep coming in meanwhile.
"""

from django.db import migrations, models

from boxoffice.common.migration_ops import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("orders", "0014_ordercomment")]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["organizer", "event", "status", "-created_at", "-id"],
                name="order_org_event_status",
            ),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["organizer", "event", "-created_at", "-id"], name="order_org_event_created"
            ),
        ),
        RemoveIndexConcurrently(model_name="order", name="order_event_status"),
        RemoveIndexConcurrently(model_name="order", name="order_event_created"),
    ]
