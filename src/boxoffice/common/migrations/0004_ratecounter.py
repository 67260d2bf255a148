"""Rate-limit counters in the database when the site has no Redis (common.counters)."""

from typing import Any

from django.db import migrations, models


def unlogged(apps: Any, schema_editor: Any) -> None:
    # Counters may be lost in a crash (PostgreSQL empties an UNLOGGED table then): a few
    # minutes of counting, against no WAL written for each API request.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE common_ratecounter SET UNLOGGED")


class Migration(migrations.Migration):
    dependencies = [("common", "0003_task_claim_index")]

    operations = [
        migrations.CreateModel(
            name="RateCounter",
            fields=[
                ("key", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("count", models.PositiveIntegerField()),
                ("expires_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(unlogged, migrations.RunPython.noop, elidable=True),
    ]
