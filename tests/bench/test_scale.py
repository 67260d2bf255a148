"""`boxoffice bench scale`: both sizes seeded and measured, one table side by side."""

import re
import socket
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from boxoffice.benchmark.scale import companion_name, growth_table


def row(label: str, p50: float, p95: float, passed: bool = True) -> dict:
    return {"label": label, "target_ms": 15, "p50": p50, "p95": p95, "errors": 0, "passed": passed}


def test_the_companion_database_is_named_by_its_size() -> None:
    assert companion_name("boxoffice_bench", 100_000) == "boxoffice_bench_100k"
    assert companion_name("b", 1234) == "b_1234"


def test_the_table_puts_the_sizes_side_by_side() -> None:
    small = {"orders": 100_000, "organizer_orders": 15_000, "rows": [row("exact", 5.0, 6.25)]}
    large = {
        "orders": 1_000_000,
        "organizer_orders": 154_000,
        "rows": [row("exact", 7.5, 16.0, passed=False)],
    }
    lines = growth_table(small, large)
    assert "100,000 orders" in lines[0] and "1,000,000 orders" in lines[0]
    assert re.fullmatch(
        r"exact\s+5\.0\s+6\.2\s+7\.5\s+16\.0\s+\+156%\s+≤ 15\s+FAIL, grew over 25%", lines[2]
    )
    assert "15,000 and 154,000 orders" in lines[3]


def test_growth_within_a_quarter_is_not_flagged() -> None:
    small = {"orders": 1, "organizer_orders": 1, "rows": [row("exact", 5.0, 8.0)]}
    large = {"orders": 2, "organizer_orders": 2, "rows": [row("exact", 5.5, 10.0)]}
    assert re.fullmatch(
        r"exact\s+5\.0\s+8\.0\s+5\.5\s+10\.0\s+\+25%\s+≤ 15\s+pass", growth_table(small, large)[2]
    )


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_scale_seeds_and_measures_both_sizes() -> None:
    small = f"{connection.settings_dict['NAME']}_scale_test"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = StringIO()
    try:
        call_command(
            "bench", "scale", "--orders", "120", "--smaller", "40", "--smaller-database", small,
            "--requests", "2", "--workers", "1", "--port", str(port), stdout=out,
        )  # fmt: skip
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(small)}")
    text = out.getvalue()
    assert re.search(r"40 orders\s+120 orders", text), text
    table = text[text.index("40 orders") :]
    rows = re.findall(r"^\S.*\d+\.\d\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d\s+[+-]\d+%\s+≤ \d+", table, re.M)
    assert len(rows) == 20  # every row of `bench run` (benchmark.run.build_probes), both sizes
