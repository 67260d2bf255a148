"""`boxoffice bench load` against a tiny seeded database: gunicorn on the test database,
client processes for each mix, a table with requests per second, percentiles and statuses."""

import re
from io import StringIO
from typing import Any

import pytest
from django.conf import global_settings
from django.core.management import call_command
from django.db import connection

from boxoffice.accounts.models import ApiToken

from .test_run import free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]


def test_bench_load_reports_each_mix(settings: Any) -> None:
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    call_command(
        "bench", "seed", "--orders", "150", "--organizers", "2", "--events", "4",
        "--password", "salasana-123", stdout=StringIO(),
    )  # fmt: skip
    out = StringIO()
    call_command(
        "bench", "load", "--clients", "2", "--seconds", "1", "--workers", "1",
        "--port", str(free_port()), "--password", "salasana-123", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "Login form refused" not in text
    for mix in ("API reads", "back-office pages"):
        line = next(line for line in text.splitlines() if line.startswith(mix))
        found = re.search(
            r"^\S.*?\s+([\d,]+)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+≥ 300/s\s+(pass|FAIL)\s+(.*)$",
            line,
        )
        assert found, line
        requests = int(found[1].replace(",", ""))
        assert requests > 0
        # Every answer was a 200 that showed what it must: nothing else is listed.
        assert found[4] == f"200: {found[1]}", line
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2  # its own is revoked
