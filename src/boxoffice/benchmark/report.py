"""Printing what the seed did and what the benchmark measured."""

import time
from collections.abc import Sequence
from dataclasses import dataclass

from boxoffice.benchmark.rows import TABLES
from boxoffice.benchmark.seed import CATALOG_TABLES, Seeded


def seed_report(seeded: Seeded) -> list[str]:
    load, rows = seeded.load, seeded.rows
    lines = [
        "",
        f"{'table':<22}{'rows':>12}{'COPY s':>9}{'rows/s':>11}{'VACUUM ANALYZE s':>18}",
    ]
    for table in CATALOG_TABLES:
        lines.append(f"{table:<22}{'':>12}{'':>9}{'':>11}{load.vacuum.get(table, 0):>18.1f}")
    for table in TABLES:
        n, seconds = load.rows[table], load.copy[table]
        rate = f"{n / seconds:,.0f}" if seconds else "-"
        lines.append(
            f"{table:<22}{n:>12,}{seconds:>9.1f}{rate:>11}{load.vacuum.get(table, 0):>18.1f}"
        )
    lines += [
        "",
        f"catalog and logins (ORM) {load.catalog:.1f} s; generating rows (Python, overlaps the "
        f"COPY) {load.generate:.1f} s; commits {load.commit:.1f} s"
        + (f"; reset {load.reset:.1f} s" if load.reset else ""),
        f"total {load.total:.1f} s ({load.total / 60:.1f} min)",
        "",
        "orders by status:  " + _counts(rows.status_counts),
        "orders by method:  " + _counts(rows.method_counts),
    ]
    return lines


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


@dataclass
class Row:
    """One line of the benchmark's table."""

    label: str
    target_ms: float
    times_ms: list[float]
    errors: int
    # The target is for the slowest request, not the 95th percentile (the tail terms' row):
    # the table's second column then shows that worst time.
    worst: bool = False

    @property
    def p50(self) -> float:
        return percentile(self.times_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.times_ms, 95)

    @property
    def judged(self) -> float:
        """What the target is held against: p95, or the worst time."""
        return max(self.times_ms, default=float("nan")) if self.worst else self.p95

    @property
    def passed(self) -> bool:
        return self.errors == 0 and bool(self.times_ms) and self.judged <= self.target_ms


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 200 values is the 190th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def results_table(rows: Sequence[Row]) -> list[str]:
    width = max(len(r.label) for r in rows) + 2
    lines = [f"{'request':<{width}}{'p50 ms':>9}{'p95 ms':>9}{'target':>9}  result"]
    for r in rows:
        verdict = "pass" if r.passed else "FAIL"
        if r.errors:
            verdict += f" ({r.errors} errors)"
        lines.append(
            f"{r.label:<{width}}{r.p50:>9.1f}{r.judged:>9.1f}{'≤ ' + format(r.target_ms, 'g'):>9}"
            f"  {verdict}"
        )
    if any(r.worst for r in rows):
        lines.append("(rows marked 'worst': the second column is the slowest request, not p95)")
    return lines


def machine_speed() -> str:
    """How fast this machine runs plain Python right now (best of five 1,000,000-step loops):
    shared virtual machines vary from hour to hour, and a run is only comparable with one made
    at about the same speed."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return f"Machine speed: a 1,000,000-step Python loop takes {best * 1000:.0f} ms (best of 5)."
