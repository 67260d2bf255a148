"""`boxoffice bench export`: the biggest organizer's orders and tickets to CSV and to XLSX.

Each of the four runs in a process of its own (forked), so its peak memory (RSS) is its own;
the file is written to nowhere (its bytes counted). Targets on 2 cores: CSV >= 50,000 rows/s,
XLSX >= 15,000 rows/s, peak memory < 300 MB. "cpu s" is the Python process's own CPU time: on
a machine shared with other work the seconds vary with it, the CPU time much less (PostgreSQL
works on the other core meanwhile).
"""

import multiprocessing
import resource
import time
from collections.abc import Callable
from typing import Any

from django.db import connections

from boxoffice.accounts.models import User
from boxoffice.accounts.permissions import principal_for
from boxoffice.benchmark.catalog import OWNER_EMAIL
from boxoffice.benchmark.run import BenchError
from boxoffice.exports.rows import Per, columns, export_rows
from boxoffice.exports.writers import csv_chunks, xlsx_chunks
from boxoffice.payments.order_list import ListFilters, order_listing

TARGETS = {"csv": 50_000, "xlsx": 15_000}
MEMORY_TARGET_MB = 300


def _one(per: str, fmt: str, out: Any) -> None:
    owner = User.objects.get(email=OWNER_EMAIL)
    orders = order_listing(principal=principal_for(owner), filters=ListFilters()).orders
    cols = columns(Per(per))
    rows = 0

    def counted() -> Any:
        nonlocal rows
        for row in export_rows(orders, Per(per)):
            rows += 1
            yield row

    start, cpu = time.perf_counter(), time.process_time()
    chunks = (
        csv_chunks(cols, counted()) if fmt == "csv" else xlsx_chunks(cols, counted(), sheet="x")
    )
    size = sum(len(chunk) for chunk in chunks)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send((rows, seconds, cpu, peak, size))


def export_bench(out: Callable[[str], None] = print) -> bool:
    if not User.objects.filter(email=OWNER_EMAIL).exists():
        raise BenchError("No benchmark data here: run `boxoffice bench seed` first.")
    connections.close_all()  # each child opens its own
    fork = multiprocessing.get_context("fork")
    heads = ("rows", "seconds", "rows/s", "cpu s", "peak MB", "MB out")
    out(f"{'export':<16} " + " ".join(f"{h:>9}" for h in heads) + "  result")
    ok = True
    for per in ("orders", "tickets"):
        for fmt in ("csv", "xlsx"):
            mine, theirs = fork.Pipe()
            child = fork.Process(target=_one, args=(per, fmt, theirs))
            child.start()
            rows, seconds, cpu, peak, size = mine.recv()
            child.join()
            rate = rows / seconds if seconds else 0
            passed = rate >= TARGETS[fmt] and peak < MEMORY_TARGET_MB
            ok &= passed
            out(
                f"{per + ' ' + fmt:<16} {rows:>9,} {seconds:>9.1f} {rate:>9,.0f} {cpu:>9.1f} "
                f"{peak:>9.0f} "
                f"{size / 1e6:>9.1f}  {'pass' if passed else 'FAIL'} "
                f"(>= {TARGETS[fmt]:,}/s, < {MEMORY_TARGET_MB} MB)"
            )
    return ok
