"""Search ignores accents (orders.search.search_key folds "Räsänen" to "rasanen"): the stored
search texts are folded again the same way.

Only orders whose text has a character outside ASCII can change: a text whose case-folded
form is ASCII folds no further (search_key says why). Those are found in primary-key order, a
batch at a time, rebuilt from the order's and its tickets' own fields, and written back in one
statement per batch on PostgreSQL.

Measured at 1,000,000 benchmark orders (PostgreSQL 15, 2 shared cores): 340,000 texts had
accents, and the migration took 99 s. The trigram index stays and is kept up by the updates:
dropping it would take an ACCESS EXCLUSIVE lock on the orders table (no order readable) for
the whole migration, and rebuilding it alone takes 24 s; kept, the updates lock only their
rows and the back office keeps reading the old texts until the commit. Safe to run twice: a
second run finds every text already folded.
"""

from typing import Any

from django.db import migrations

from boxoffice.orders.search import search_text

BATCH = 5000
# Any character outside ASCII (a NUL cannot be stored in a text, so 1 is the lowest).
NOT_ASCII = r"[^\x01-\x7f]"


def refold(apps: Any, schema_editor: Any) -> None:
    Order = apps.get_model("orders", "Order")
    Ticket = apps.get_model("orders", "Ticket")
    last = 0
    while True:
        orders = list(
            Order.objects.filter(pk__gt=last, search_text__regex=NOT_ASCII)
            .order_by("pk")
            .values_list("pk", "customer_email", "customer_name", "customer_phone", "search_text")[
                :BATCH
            ]
        )
        if not orders:
            return
        last = orders[-1][0]
        participants: dict[int, list[tuple[str, str]]] = {}
        tickets = (
            Ticket.objects.filter(order_id__in=[o[0] for o in orders])
            .order_by("order_id", "pk")
            .values_list("order_id", "participant_name", "participant_email")
        )
        for order_id, name, email in tickets:
            participants.setdefault(order_id, []).append((name, email))
        texts = {}
        for pk, email, name, phone, old in orders:
            new = search_text(
                email=email, name=name, phone=phone, participants=participants.get(pk, ())
            )
            if new != old:
                texts[pk] = new
        _write(schema_editor, Order, texts)


def _write(schema_editor: Any, Order: Any, texts: dict[int, str]) -> None:
    if not texts:
        return
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


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0011_history_action"),
    ]

    operations = [
        migrations.RunPython(refold, migrations.RunPython.noop, elidable=False),
    ]
