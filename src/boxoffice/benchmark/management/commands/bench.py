"""`boxoffice bench seed`, `run`, `load`, `scale`, `export` and `event-cancel` (PostgreSQL only).

boxoffice bench seed --orders 1000000 [--reset] [--password bench]
boxoffice bench run [--requests 200] [--workers 2] [--port 8765] [--explain] [--json FILE]
boxoffice bench load [--clients 16] [--seconds 20] [--workers 2] [--port 8765]
boxoffice bench scale [--orders 1000000] [--smaller 100000] [--requests 200] [--explain]
boxoffice bench event-cancel [--orders 2000] [--workers 1,2,4] [--concurrency 4]
                             [--latency-ms 150] [--json FILE] [--reset]
"""

import json
import os
from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from boxoffice.benchmark import seed as seeding
from boxoffice.benchmark.catalog import OWNER_EMAIL, STAFF_EMAIL
from boxoffice.benchmark.report import seed_report


class Command(BaseCommand):
    help = "Scale benchmark: seed PostgreSQL with orders by COPY, or time pages over HTTP."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{seed,run,load,scale,export,event-cancel}"
        )
        seed = actions.add_parser("seed", help="fill an empty PostgreSQL database with orders")
        seed.add_argument("--orders", type=int, default=1_000_000)
        seed.add_argument("--organizers", type=int, default=50)
        seed.add_argument("--events", type=int, default=200)
        seed.add_argument(
            "--reset",
            action="store_true",
            help="empty the organizer, user, event and order tables first (TRUNCATE ... CASCADE)",
        )
        seed.add_argument(
            "--skip-if-seeded",
            action="store_true",
            help="do nothing if the benchmark's data is already there",
        )
        seed.add_argument("--password", default="bench", help="of the owner and staff logins")
        seed.add_argument("--seed", type=int, default=2026, help="random seed (same data)")
        seed.add_argument("--chunk", type=int, default=25_000, help="orders per COPY batch")

        run = actions.add_parser("run", help="time searches, lists and details over HTTP")
        run.add_argument("--requests", type=int, default=200, help="per row of the table")
        run.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        run.add_argument("--port", type=int, default=8765)
        run.add_argument("--password", default="bench", help="the seeded owner's password")
        run.add_argument("--seed", type=int, default=7, help="random seed of sampled values")
        run.add_argument(
            "--explain",
            action="store_true",
            help="EXPLAIN (ANALYZE, BUFFERS) the slowest query of the worst request",
        )
        run.add_argument("--json", type=Path, help="also write the table to this file as JSON")

        load = actions.add_parser(
            "load", help="requests per second under concurrent clients (API reads, pages)"
        )
        load.add_argument("--clients", type=int, default=16, help="client processes")
        load.add_argument("--seconds", type=float, default=20, help="per mix")
        load.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        load.add_argument("--port", type=int, default=8765)
        load.add_argument("--password", default="bench", help="the seeded owner's password")
        load.add_argument("--seed", type=int, default=11, help="random seed of sampled values")

        scale = actions.add_parser(
            "scale", help="seed (if empty) and run at two sizes, and compare them"
        )
        scale.add_argument("--orders", type=int, default=1_000_000, help="in DATABASE_URL")
        scale.add_argument("--smaller", type=int, default=100_000, help="in the companion DB")
        scale.add_argument(
            "--smaller-database", default="", help="its name (default: <database>_100k)"
        )
        scale.add_argument("--requests", type=int, default=200, help="per row of the table")
        scale.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        scale.add_argument("--port", type=int, default=8765)
        scale.add_argument("--explain", action="store_true", help="for the larger set")

        actions.add_parser(
            "export", help="the biggest organizer's orders and tickets to CSV and XLSX"
        )

        cancel = actions.add_parser(
            "event-cancel",
            help="cancel a whole event (with refunds) by worker processes, per worker count",
        )
        cancel.add_argument("--orders", type=int, default=2000, help="of the event")
        cancel.add_argument(
            "--workers", type=_counts, default=[1, 2, 4], help="worker counts, e.g. 1,2,4"
        )
        cancel.add_argument("--concurrency", type=int, default=4, help="of each worker")
        cancel.add_argument(
            "--latency-ms", type=float, default=150, help="of each Paytrail sandbox answer"
        )
        cancel.add_argument("--port", type=int, default=8766, help="of the app and sandbox")
        cancel.add_argument("--timeout", type=float, default=0, help="seconds per run")
        cancel.add_argument(
            "--reset",
            action="store_true",
            help="run even if the database holds other organizers' orders (they are emptied)",
        )
        cancel.add_argument("--json", type=Path, help="also write the results to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        from boxoffice.benchmark.run import BenchError

        try:
            if options["action"] == "seed":
                self._seed(options)
                return
            if options["action"] == "event-cancel":
                ok = self._event_cancel(options)
            elif options["action"] == "export":
                from boxoffice.benchmark.export import export_bench

                ok = export_bench(out=self.stdout.write)
            elif options["action"] == "load":
                from boxoffice.benchmark.load import load

                ok = load(
                    clients=options["clients"],
                    seconds=options["seconds"],
                    workers=options["workers"],
                    port=options["port"],
                    password=options["password"],
                    random_seed=options["seed"],
                    out=self.stdout.write,
                )
            else:
                ok = self._run(options) if options["action"] == "run" else self._scale(options)
        except (seeding.SeedError, BenchError) as error:
            raise CommandError(str(error)) from None
        if not ok and options["action"] == "event-cancel":
            raise CommandError("Some runs did not do their work right (see above).")
        if not ok:
            self.stdout.write(self.style.WARNING("Some requests missed their target."))

    def _seed(self, options: dict[str, Any]) -> None:
        seeding.require_postgres()
        if options["skip_if_seeded"] and not options["reset"] and seeding.already_seeded():
            self.stdout.write("The benchmark's data is already there; nothing to do.")
            return
        seeded = seeding.seed(
            orders=options["orders"],
            organizers=options["organizers"],
            events=options["events"],
            reset=options["reset"],
            password=options["password"],
            random_seed=options["seed"],
            chunk_size=options["chunk"],
            progress=self.stdout.write,
        )
        for line in seed_report(seeded):
            self.stdout.write(line)
        biggest = seeded.catalog.organizers[0]
        self.stdout.write("")
        self.stdout.write(f"Log in (password {options['password']!r}):")
        self.stdout.write(f"  {OWNER_EMAIL:<18} owner of {biggest.name} ({biggest.slug})")
        self.stdout.write(f"  {STAFF_EMAIL:<18} platform staff")
        self.stdout.write("API tokens (role manager, shown once):")
        for whose, token in seeded.tokens.items():
            self.stdout.write(f"  {whose:<30} {token}")

    def _run(self, options: dict[str, Any]) -> bool:
        from boxoffice.benchmark.run import run

        return run(
            requests=options["requests"],
            workers=options["workers"],
            port=options["port"],
            password=options["password"],
            random_seed=options["seed"],
            explain=options["explain"],
            json_path=options["json"],
            out=self.stdout.write,
        )

    def _scale(self, options: dict[str, Any]) -> bool:
        from boxoffice.benchmark.scale import scale

        run_args = [
            *("--requests", str(options["requests"])),
            *("--workers", str(options["workers"])),
            *("--port", str(options["port"])),
        ]
        return scale(
            orders=options["orders"],
            smaller=options["smaller"],
            smaller_database=options["smaller_database"],
            run_args=run_args,
            explain=options["explain"],
            out=self.stdout.write,
        )

    def _event_cancel(self, options: dict[str, Any]) -> bool:
        from boxoffice.benchmark import cancel
        from boxoffice.benchmark.procs import ProcessError

        try:
            results = cancel.run(
                cancel.Options(
                    orders=options["orders"],
                    concurrency=options["concurrency"],
                    latency_ms=options["latency_ms"],
                    port=options["port"],
                    timeout=options["timeout"],
                ),
                options["workers"],
                reset=options["reset"],
                out=self.stdout.write,
            )
        except ProcessError as error:
            raise CommandError(str(error)) from None
        for line in cancel.table(results, cores=os.cpu_count() or 1):
            self.stdout.write(line)
        if options["json"]:
            rows = [result.as_dict() for result in results]
            options["json"].write_text(json.dumps(rows, indent=2))
        return all(not result.outcome.problems for result in results)


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not counts or min(counts) < 1:
        raise ArgumentTypeError("give one or more worker counts of 1 or more, e.g. 1,2,4")
    return counts
