# API tokens move from the api app to accounts (DESIGN §2: the back office makes them, the API
# reads them, and neither face imports the other). The table stays where it is for now: this
# migration only tells Django's state that accounts owns it; 0004 renames the table.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_organizer_paytrail_merchant"),
        ("api", "0002_idempotencykey"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("role", models.CharField(choices=[("owner", "Owner"), ("manager", "Manager"), ("support", "Support"), ("viewer", "Viewer")], max_length=16, verbose_name="role")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("prefix", models.CharField(max_length=12, verbose_name="prefix")),
                        ("created_at", models.DateTimeField(verbose_name="created")),
                        ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="revoked")),
                        ("last_used_at", models.DateTimeField(blank=True, null=True, verbose_name="last used")),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("organizer", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="api_tokens", to="accounts.organizer")),
                    ],
                    options={
                        "verbose_name": "API token",
                        "verbose_name_plural": "API tokens",
                        "ordering": ["organizer_id", "-created_at"],
                        "db_table": "api_apitoken",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
