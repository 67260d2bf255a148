"""One search column per order (orders.search): filled for existing orders, trigram-indexed on
PostgreSQL, and the per-column trigram indexes of 0007 it replaces are dropped (the exact-path
btree indexes stay).

On a large live database, build order_search_trgm with CREATE INDEX CONCURRENTLY by hand after
the backfill; this migration then finds it (IF NOT EXISTS).
"""

from typing import Any

from django.db import migrations, models

from boxoffice.orders.search import search_text

BATCH = 5000

REPLACED = [
    ("order_email_trgm", "orders_order", "gin (UPPER(customer_email::text) gin_trgm_ops)"),
    ("order_name_trgm", "orders_order", "gin (UPPER(customer_name::text) gin_trgm_ops)"),
    ("order_phone_trgm", "orders_order", "gin (UPPER(customer_phone::text) gin_trgm_ops)"),
    (
        "order_phone_digits_trgm",
        "orders_order",
        "gin ((REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(customer_phone, ' ', ''), '-', ''), "
        "'+', ''), '(', ''), ')', '')) gin_trgm_ops)",
    ),
    ("ticket_pname_trgm", "orders_ticket", "gin (UPPER(participant_name::text) gin_trgm_ops)"),
    ("ticket_pemail_trgm", "orders_ticket", "gin (UPPER(participant_email::text) gin_trgm_ops)"),
]


def backfill(apps: Any, schema_editor: Any) -> None:
    Order = apps.get_model("orders", "Order")
    Ticket = apps.get_model("orders", "Ticket")
    last = 0
    while True:
        orders = list(
            Order.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "customer_email", "customer_name", "customer_phone")[:BATCH]
        )
        if not orders:
            return
        last = orders[-1][0]
        participants: dict[int, list[tuple[str, str]]] = {}
        tickets = (
            Ticket.objects.filter(order_id__gte=orders[0][0], order_id__lte=last)
            .order_by("order_id", "pk")
            .values_list("order_id", "participant_name", "participant_email")
        )
        for order_id, name, email in tickets:
            participants.setdefault(order_id, []).append((name, email))
        texts = {
            pk: search_text(email=e, name=n, phone=p, participants=participants.get(pk, ()))
            for pk, e, n, p in orders
        }
        _write(schema_editor, Order, texts)


def _write(schema_editor: Any, Order: Any, texts: dict[int, str]) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE orders_order o SET search_text = v.t"
                " FROM unnest(%s::bigint[], %s::text[]) AS v(id, t) WHERE o.id = v.id",
                [list(texts), list(texts.values())],
            )
        return
    for pk, text in texts.items():
        Order.objects.filter(pk=pk).update(search_text=text)


def create_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS order_search_trgm ON orders_order"
        " USING gin (search_text gin_trgm_ops)"
    )
    for name, _table, _using in REPLACED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def drop_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS order_search_trgm")
    for name, table, using in REPLACED:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING {using}")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
