"""`boxoffice bench event-cancel`: how fast a whole event is cancelled and refunded by the real
job machinery, with W `boxoffice worker --concurrency C` processes (PostgreSQL only).

Per worker count: empty the run's tables, seed a fresh event (cancel_seed.py), serve the app
and its Paytrail sandbox with gunicorn (each API call answered after ``latency_ms``), start the
workers, then cancel the event as its owner would (payments.event_cancel) and time until the
job is done, every Paytrail refund is settled by the sandbox and every email is sent. CPU is
read from /proc over exactly that window: the workers (and the processes they fork), the
server, PostgreSQL and the whole machine. The checks (cancel_checks.py) run after the workers
have stopped.
"""

import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boxoffice.accounts.permissions import principal_for
from boxoffice.benchmark import procs
from boxoffice.benchmark.cancel_checks import Outcome, Progress, outcome, progress
from boxoffice.benchmark.cancel_seed import (
    SeededEvent,
    bench_owner,
    check_database,
    reset_run_tables,
    seed_event,
)
from boxoffice.common.models import WorkerHeartbeat
from boxoffice.jobs.models import Job
from boxoffice.payments.event_cancel import event_cancel
from boxoffice.paytrail_sandbox import control

MESSAGE = {
    "fi": "Festivaali on peruttu. Rahat palautetaan maksutavallesi.",
    "sv": "Festivalen är inställd. Pengarna återbetalas till ditt betalsätt.",
    "en": "The festival is cancelled. Your money is returned by the way you paid.",
}


@dataclass(frozen=True)
class Options:
    orders: int
    concurrency: int
    latency_ms: float
    port: int = 8766
    interval: float = 1.0  # the workers' poll when the queue is empty (their default)
    timeout: float = 0.0  # seconds per run; 0: from the number of orders
    random_seed: int = 2026


@dataclass
class RunResult:
    workers: int
    concurrency: int
    seeded: SeededEvent
    seconds: float  # event_cancel() called -> everything settled
    job_seconds: float  # ... -> the job done
    cpu: procs.CpuUse
    outcome: Outcome
    samples: list[tuple[float, int, int, int]] = field(default_factory=list)

    @property
    def orders(self) -> int:
        """Orders the job cancelled (the event's open ones)."""
        return self.outcome.items

    @property
    def per_second(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_order(self) -> float:
        """The app's CPU per order (workers, server, PostgreSQL): what bounds the throughput
        once the machine is saturated, whoever else shares it."""
        cpu = self.cpu
        used = sum(cpu.trees.values()) + cpu.postgres
        return 1000 * used / self.orders if self.orders else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "concurrency": self.concurrency,
            "processes": self.workers * self.concurrency,
            "event_orders": self.seeded.orders,
            "orders": self.orders,
            "seconds": round(self.seconds, 2),
            "job_seconds": round(self.job_seconds, 2),
            "orders_per_second": round(self.per_second, 2),
            "cpu_ms_per_order": round(self.cpu_ms_per_order, 1),
            "paytrail_refunds": self.outcome.paytrail_refunds,
            "platform_refunds": self.outcome.platform_refunds,
            "emails": self.outcome.emails,
            "results": self.outcome.results,
            "cpu_seconds": {k: round(v, 2) for k, v in self.cpu.as_dict().items()},
            "machine_busy": round(self.cpu.machine_share, 3),
            "seed_seconds": round(self.seeded.seconds, 2),
            "problems": self.outcome.problems,
            # (seconds, orders cancelled, refunds open, emails open) every few seconds
            "progress": self.samples,
        }


def run(
    options: Options, worker_counts: list[int], *, reset: bool, out: Callable[[str], None]
) -> list[RunResult]:
    check_database(reset=reset)
    results = []
    # Stopped by SIGTERM or SIGINT (also when started in the background, where the shell
    # ignores SIGINT): the processes this run started are stopped on the way out.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for workers in worker_counts:
            out(f"\n{workers} worker(s) x --concurrency {options.concurrency}:")
            results.append(run_one(options, workers, out=out))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return results


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_one(options: Options, workers: int, *, out: Callable[[str], None]) -> RunResult:
    reset_run_tables()
    owner = bench_owner()
    seeded = seed_event(orders=options.orders, owner=owner, random_seed=options.random_seed)
    out(
        f"  seeded {seeded.orders:,} orders ({seeded.sandbox_payments:,} Paytrail payments in "
        f"the sandbox) in {seeded.seconds:.1f} s"
    )
    # The sandbox keeps no log of calls: that is Paytrail's own bookkeeping, not our work.
    control.reset()
    control.set_switches(record=False)
    base = f"http://127.0.0.1:{options.port}"
    with tempfile.TemporaryDirectory(prefix="bench-cancel-") as var:
        log = Path(var) / "processes.log"
        env = procs.child_env(
            BOXOFFICE_VAR_DIR=var,  # the workers' .eml files land here and go with it
            PAYTRAIL_API_URL=f"{base}/paytrail-sandbox",
            PUBLIC_BASE_URL=base,  # Paytrail's callbacks come to this server
            PAYTRAIL_SANDBOX_LATENCY_MS=str(options.latency_ms),
            # Connections kept for the whole run (not renewed each minute), so the PostgreSQL
            # backends serving them live through it and their CPU is counted (procs.py).
            DATABASE_CONN_MAX_AGE="86400",
        )
        server = procs.start_server(env, log, port=options.port)
        fleet = []
        try:
            procs.wait_until_serving(f"{base}/paytrail-sandbox/payments", 60, server)
            fleet = [
                procs.start_worker(
                    env, log, concurrency=options.concurrency, interval=options.interval
                )
                for _ in range(workers)
            ]
            expected = workers * options.concurrency
            procs.wait_for(
                f"{expected} worker processes",
                lambda: WorkerHeartbeat.objects.count() >= expected,
                60,
                [server, *fleet],
                log,
            )
            return _measure(options, workers, seeded, server, fleet, log, out)
        finally:
            procs.stop(fleet)
            procs.stop([server])


def _measure(
    options: Options,
    workers: int,
    seeded: SeededEvent,
    server: Any,
    fleet: list[Any],
    log: Path,
    out: Callable[[str], None],
) -> RunResult:
    event, owner = seeded.event, seeded.owner
    roots = {"workers": [p.pid for p in fleet], "server": [server.pid]}
    first = procs.cpu_sample(roots)
    started = time.monotonic()
    job = event_cancel(
        event=event,
        principal=principal_for(owner),
        confirm=event.name,
        reason="The festival is cancelled.",
        message=MESSAGE,
        user=owner,
    )
    timeout = options.timeout or 300 + options.orders * 0.5
    samples: list[tuple[float, int, int, int]] = []
    job_seconds = 0.0
    last_said = started

    def over() -> bool:
        nonlocal job_seconds, last_said
        now: Progress = progress(job, event)
        elapsed = time.monotonic() - started
        if not job_seconds and now.job_state == "done":
            job_seconds = elapsed
        if now.job_state == "failed":
            raise procs.ProcessError(f"the job failed: {Job.objects.get(pk=job.pk).error}")
        samples.append((round(elapsed, 1), now.cancelled, now.refunds_open, now.emails_open))
        if time.monotonic() - last_said >= 15 or now.over:
            last_said = time.monotonic()
            out(
                f"  {elapsed:6.0f} s  {now.cancelled:>7,} / {now.total:,} orders cancelled, "
                f"{now.refunds_open:,} refunds and {now.emails_open:,} emails waiting"
            )
        return now.over

    procs.wait_for("the job, its refunds and emails", over, timeout, [server, *fleet], log)
    seconds = time.monotonic() - started
    cpu = procs.cpu_between(first, procs.cpu_sample(roots))
    procs.stop(fleet)
    return RunResult(
        workers=workers,
        concurrency=options.concurrency,
        seeded=seeded,
        seconds=seconds,
        job_seconds=job_seconds or seconds,
        cpu=cpu,
        outcome=outcome(job, event),
        samples=samples[:: max(len(samples) // 200, 1)],
    )


def table(results: list[RunResult], *, cores: int) -> list[str]:
    lines = [
        "",
        f"{'workers':>7} {'procs':>5} {'orders':>7} {'job s':>7} {'total s':>8} {'orders/s':>9}"
        f" {'CPU s: workers':>14} {'server':>6} {'postgres':>8} {'others':>6}"
        f" {'CPU ms/order':>12} {'machine busy':>12}  check",
    ]
    for r in results:
        cpu = r.cpu
        lines.append(
            f"{r.workers:>7} {r.workers * r.concurrency:>5} {r.orders:>7,} {r.job_seconds:>7.1f}"
            f" {r.seconds:>8.1f} {r.per_second:>9.1f} {cpu.trees['workers']:>14.1f}"
            f" {cpu.trees['server']:>6.1f} {cpu.postgres:>8.1f} {cpu.others:>6.1f}"
            f" {r.cpu_ms_per_order:>12.0f} {cpu.machine_share:>12.0%}"
            f"  {'ok' if not r.outcome.problems else 'FAILED'}"
        )
    lines += [
        "job s: until the job was done; total s: until every refund was settled and every "
        "email sent; orders/s: orders cancelled / total s.",
        "CPU seconds over total s: the workers and the processes they fork; the server "
        "(gunicorn: app and Paytrail sandbox); PostgreSQL's backends of this database;",
        "others: the rest of the machine (PostgreSQL's shared writers, anything else running). "
        "CPU ms/order: workers + server + postgres per order cancelled.",
        f"Machine busy: of {cores} cores' time (/proc/stat).",
    ]
    for r in results:
        for problem in r.outcome.problems:
            lines.append(f"  {r.workers} worker(s): {problem}")
    return lines
