"""The development tools (Paytrail sandbox, demo, benchmark) exist only with the sandbox flag.

Run as a production server would be set up: a fresh database, the flag off.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

DEV_TABLE_PREFIXES = ("paytrail_sandbox_", "demo_", "benchmark_")


def _boxoffice(var_dir: Path, *args: str, sandbox: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(var_dir),
        "BOXOFFICE_VAR_DIR": str(var_dir),
        "PAYTRAIL_SANDBOX": sandbox,
    }
    return subprocess.run(
        [sys.executable, "-m", "boxoffice", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _tables(var_dir: Path) -> set[str]:
    with sqlite3.connect(var_dir / "boxoffice.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


@pytest.mark.parametrize("sandbox", ["0", "1"])
def test_the_dev_tools_and_their_tables_come_only_with_the_sandbox(
    tmp_path: Path, sandbox: str
) -> None:
    _boxoffice(tmp_path, "migrate", "--noinput", "-v0", sandbox=sandbox)
    tables = _tables(tmp_path)
    dev_tables = {t for t in tables if t.startswith(DEV_TABLE_PREFIXES)}
    commands = _boxoffice(tmp_path, "help", "--commands", sandbox=sandbox).stdout.split()

    assert "orders_order" in tables and "accounts_apitoken" in tables
    if sandbox == "1":
        assert "paytrail_sandbox_sandboxpayment" in dev_tables
        assert {"demo", "bench"} <= set(commands)
    else:
        assert dev_tables == set()
        assert {"demo", "bench"} & set(commands) == set()
        assert {"serve", "worker"} <= set(commands)
