"""`boxoffice bench scale`: the benchmark at two sizes, side by side, so growth is visible.

The database of DATABASE_URL holds the large set (a million orders by default); a companion
database on the same server (``<name>_100k``, created if missing) holds the small one. Each is
migrated and seeded if empty, then measured by `boxoffice bench run` in its own process (the
settings, and so the database, are fixed per process), and one table compares the two.
"""

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.db import connection

from boxoffice.benchmark.run import BenchError, database_url
from boxoffice.benchmark.seed import require_postgres


def companion_name(name: str, orders: int) -> str:
    size = f"{orders // 1000}k" if orders % 1000 == 0 else str(orders)
    return f"{name}_{size}"


def scale(
    *,
    orders: int,
    smaller: int,
    smaller_database: str,
    run_args: Sequence[str],
    explain: bool,
    out: Callable[[str], None] = print,
) -> bool:
    """Seed (if empty) and measure both sizes; True if the large one met every target."""
    require_postgres()
    main = dict(connection.settings_dict)
    small_name = smaller_database or companion_name(main["NAME"], smaller)
    if small_name == main["NAME"]:
        raise BenchError("The smaller set needs a database of its own (--smaller-database).")
    _create_database(small_name)
    results = []
    for count, name in ((smaller, small_name), (orders, main["NAME"])):
        env = {**os.environ, "DATABASE_URL": database_url({**main, "NAME": name})}
        out(f"\n== {count:,} orders: database {name}")
        _boxoffice(env, "migrate", "--noinput", "-v0")
        _boxoffice(env, "bench", "seed", "--orders", str(count), "--skip-if-seeded")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.json"
            wants_explain = ["--explain"] if explain and count == orders else []
            _boxoffice(env, "bench", "run", *run_args, "--json", str(path), *wants_explain)
            results.append(json.loads(path.read_text()))
    out("")
    for line in growth_table(results[0], results[1]):
        out(line)
    return all(row["passed"] for row in results[1]["rows"])


# Search and lists may grow this much at most from the smaller set to the larger (issue 18).
MAX_GROWTH = 0.25


def growth_table(small: dict[str, Any], large: dict[str, Any]) -> list[str]:
    """p50 / p95 in ms at both sizes, and how much the p95 grew; the targets are the large
    size's. A "worst" row (the tail terms) compares its slowest request instead of p95."""
    width = max(len(row["label"]) for row in large["rows"]) + 2
    head_small = f"{small['orders']:,} orders"
    head_large = f"{large['orders']:,} orders"
    lines = [
        f"{'':<{width}}{head_small:>18}{head_large:>18}",
        f"{'request':<{width}}{'p50':>9}{'p95':>9}{'p50':>9}{'p95':>9}{'growth':>9}"
        f"{'target':>9}  result",
    ]
    small_rows = {row["label"]: row for row in small["rows"]}
    for row in large["rows"]:
        nan = float("nan")
        before = small_rows.get(row["label"], {"p50": nan, "p95": nan})
        was, now = before.get("judged", before["p95"]), row.get("judged", row["p95"])
        growth = now / was - 1 if was else nan
        verdict = "pass" if row["passed"] else "FAIL"
        if row["errors"]:
            verdict += f" ({row['errors']} errors)"
        if growth > MAX_GROWTH:
            verdict += f", grew over {MAX_GROWTH:.0%}"
        lines.append(
            f"{row['label']:<{width}}{before['p50']:>9.1f}{was:>9.1f}"
            f"{row['p50']:>9.1f}{now:>9.1f}{growth:>+9.0%}"
            f"{'≤ ' + format(row['target_ms'], 'g'):>9}  {verdict}"
        )
    lines.append(
        f"(ms over HTTP; the organizer measured has {small['organizer_orders']:,} and "
        f"{large['organizer_orders']:,} orders; targets are for the larger set; growth is of "
        f"the p95, at most {MAX_GROWTH:.0%})"
    )
    return lines


def _create_database(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")


def _boxoffice(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "boxoffice", *args], env=env, check=False)
    if done.returncode != 0:
        raise BenchError(f"`boxoffice {' '.join(args)}` failed (exit status {done.returncode}).")
