"""How fast an event's door list comes out: the PDF and the CSV of a 10,000-ticket event.

    .venv/bin/python bench/door_list.py [--tickets 10000] [--database [--event ID]]

Each measurement runs in a process of its own (forked), so its peak RSS is its own: the
seconds, the peak resident memory of that process, and how much it grew over the memory it
started with (what the work itself held at its most).

- In memory (always): a door list of ``--tickets`` rows (Finnish names as the scale
  benchmark draws them, every third ticket checked in, one in eight unnamed) rendered as PDF
  and written out as CSV, with no database.
- ``--database``: the biggest event of the database (``boxoffice bench seed``: PostgreSQL at
  DATABASE_URL), or ``--event``, downloaded through the back office as platform staff would,
  the query and the rendering or streaming included, and the number of SQL queries.
"""

import argparse
import logging
import multiprocessing
import os
import random
import resource
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boxoffice.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
django.setup()

from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from boxoffice.accounts.models import User  # noqa: E402
from boxoffice.benchmark.people import People  # noqa: E402
from boxoffice.documents.door_list import DoorList, DoorListRow, name_key  # noqa: E402
from boxoffice.documents.door_list_csv import door_list_csv  # noqa: E402
from boxoffice.documents.door_list_pdf import render_door_list  # noqa: E402
from boxoffice.orders.models import Ticket  # noqa: E402
from boxoffice.orders.rules import TICKET_VALID  # noqa: E402

HELSINKI = ZoneInfo("Europe/Helsinki")
PRODUCTS = ("Päivälippu", "Kolmen päivän lippu", "VIP-lippu", "Perhelippu (2 aikuista + 2 lasta)")


def door_list(count: int) -> DoorList:
    rng = random.Random(2026)
    people = People(rng, repeat_pool=count // 10)
    start = datetime(2026, 7, 1, 18, 0, tzinfo=HELSINKI)
    rows = []
    for i in range(count):
        person = people.customer()
        rows.append(
            DoorListRow(
                name=person.name,
                customer_name=i % 8 == 0,
                product=PRODUCTS[int(rng.random() * len(PRODUCTS))],
                order_code=f"{rng.randrange(36**6):06X}"[:6],
                checked_in_at=start + timedelta(seconds=i) if i % 3 == 0 else None,
            )
        )
    rows.sort(key=lambda r: (name_key(r.name), r.name, r.order_code))
    return DoorList(
        event_id=1,
        organizer_id=1,
        event_name="Tuska Festival 2026: Päälava",
        starts_at=start,
        venue="Suvilahti, Helsinki",
        timezone=HELSINKI,
        rows=rows,
    )


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


Result = tuple[float, float, float, str]


def _run(work: Callable[[], str], results: "multiprocessing.Queue[Result]") -> None:
    resident = _rss_mib()
    start = time.perf_counter()
    note = work()
    results.put((time.perf_counter() - start, _peak_mib(), resident, note))


def measure(label: str, work: Callable[[], str]) -> None:
    """Run ``work`` in a forked process; print its seconds, its peak RSS and how much that
    grew over what it started with (what the work itself held at its most)."""
    connections.close_all()  # the child opens its own
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[Result] = context.Queue()
    child = context.Process(target=_run, args=(work, results))
    child.start()
    seconds, peak, resident, note = results.get()
    child.join()
    print(f"{label:<34}{seconds:>8.2f} s{peak:>10.0f} MiB{peak - resident:>+10.0f} MiB   {note}")


def in_memory(count: int) -> None:
    door = door_list(count)
    print(f"in memory: a door list of {len(door.rows)} tickets (process at {_peak_mib():.0f} MiB)")
    print(f"{'':<34}{'time':>10}{'peak RSS':>14}{'growth':>14}")

    def pdf() -> str:
        content = render_door_list(door, language="fi", printed_at=datetime.now(HELSINKI))
        return f"{len(content) / 1024 / 1024:.2f} MiB"

    def csv() -> str:
        size = sum(len(chunk) for chunk in door_list_csv(door, language="fi"))
        return f"{size / 1024:.0f} KiB"

    measure("PDF (render_door_list)", pdf)
    measure("CSV (door_list_csv, consumed)", csv)


def from_database(event: int | None) -> None:
    tickets = Ticket.objects.filter(TICKET_VALID)
    if event is not None:
        tickets = tickets.filter(product__event_id=event)
    biggest = tickets.values("product__event_id").annotate(n=Count("pk")).order_by("-n").first()
    if biggest is None:
        print("no valid tickets there: seed the database first (boxoffice bench seed)")
        return
    event_id, count = biggest["product__event_id"], biggest["n"]
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    assert staff is not None, "no platform staff user (boxoffice bench seed makes one)"
    print(
        f"\n{connection.vendor}: event {event_id}, {count} valid tickets, through the back office"
    )
    print(f"{'':<34}{'time':>10}{'peak RSS':>14}{'growth':>14}")

    def download(suffix: str) -> Callable[[], str]:
        def work() -> str:
            client = Client()
            client.force_login(staff)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/backoffice/events/{event_id}/door-list.{suffix}")
                assert response.status_code == 200, response.status_code
                if response.streaming:
                    size = sum(len(chunk) for chunk in response.streaming_content)
                else:
                    size = len(response.content)
            return f"{size / 1024:.0f} KiB, {len(queries)} queries (login and session included)"

        return work

    # Warm, as a server that has answered before: the views, middleware and session code
    # imported (a forked measurement would pay for them), by asking for an event that does not
    # exist, so no rows are read and the heap the measurements start from is not inflated.
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404s below are wanted
    warm = Client()
    warm.force_login(staff)
    for suffix in ("pdf", "csv"):
        assert warm.get(f"/backoffice/events/0/door-list.{suffix}").status_code == 404
    measure("GET door-list.pdf", download("pdf"))
    measure("GET door-list.csv", download("csv"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--database", action="store_true", help="also the database's biggest event")
    parser.add_argument("--event", type=int, help="with --database: this event instead")
    args = parser.parse_args()
    # Fonts, translations and modules loaded once, before any measurement forks.
    render_door_list(door_list(10), language="fi", printed_at=datetime.now(HELSINKI))
    in_memory(args.tickets)
    if args.database:
        from_database(args.event)


if __name__ == "__main__":
    main()
