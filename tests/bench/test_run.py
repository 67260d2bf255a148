"""`boxoffice bench run` against a tiny seeded database: gunicorn starts on the test database,
the owner logs in through the form, every row answers, --explain prints a plan."""

import json
import re
import socket
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import global_settings
from django.core.management import call_command
from django.db import connection

from boxoffice.accounts.models import ApiToken

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL only"
    ),
    # Committed data: the server the benchmark starts reads it through its own connections.
    pytest.mark.django_db(transaction=True),
]

ROWS = (
    "search exact email (HTML)",
    "search order code (HTML)",
    "search 4+ chars (HTML)",
    "search tail terms, worst (HTML)",
    "list first page (HTML)",
    "list event + status (HTML)",
    "order detail (HTML)",
    "order detail (API)",
    "list first page (API)",
    "list event + status (API)",
    "search exact email (API)",
    "search 4+ chars (API)",
    "list created in a week (HTML)",
    "list paid in a week (HTML)",
    "list product (HTML)",
    "list refund / check-in / language (HTML)",
    "list sorted (HTML)",
    "list filters (API)",
    "list needs attention (HTML)",
    "list needs attention (API)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bench_run_measures_every_row_over_http(settings: Any, tmp_path: Path) -> None:
    # The server checks the password with the real hashers: store it with one of them.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    call_command(
        "bench", "seed", "--orders", "150", "--organizers", "2", "--events", "4",
        "--password", "salasana-123", stdout=StringIO(),
    )  # fmt: skip
    out = StringIO()
    call_command(
        "bench", "run", "--requests", "3", "--workers", "1", "--port", str(free_port()),
        "--password", "salasana-123", "--explain", "--json", str(tmp_path / "run.json"),
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "Login form refused" not in text
    for label in ROWS:
        line = next(line for line in text.splitlines() if line.startswith(label))
        assert re.search(r"\d+\.\d\s+\d+\.\d\s+≤ \d+\s+(pass|FAIL)$", line), line
        assert "errors" not in line, line
    assert "EXPLAIN (ANALYZE, BUFFERS)" in text and "Execution Time" in text
    # The same table as JSON, for `bench scale`.
    written = json.loads((tmp_path / "run.json").read_text())
    assert written["orders"] == 150 and 0 < written["organizer_orders"] < 150
    assert [row["label"] for row in written["rows"]] == list(ROWS)
    for row in written["rows"]:
        line = next(line for line in text.splitlines() if line.startswith(row["label"]))
        assert f"{row['p50']:.1f}" in line and f"{row['judged']:.1f}" in line
        assert row["errors"] == 0
    # The run's token is revoked when it ends; the seed's two stay.
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2
