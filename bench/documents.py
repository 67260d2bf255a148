"""How fast tickets render: tickets per second on one core, and one 500-ticket order as a PDF.

    .venv/bin/python bench/documents.py [--tickets 2000] [--batch 10]

Builds TicketData in memory (no database) and times only the renderer, which is what an
order download or a confirmation email spends its time in.
"""

import argparse
import base64
import os
import secrets
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boxoffice.settings")
django.setup()

from boxoffice.documents.data import TicketData  # noqa: E402
from boxoffice.documents.tickets import render_tickets  # noqa: E402


def tickets(count: int) -> list[TicketData]:
    start = datetime(2026, 7, 1, 18, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
    return [
        TicketData(
            secret=base64.b32encode(secrets.token_bytes(20)).decode("ascii"),
            event_name="Tuska Festival: Päälava",
            starts_at=start,
            ends_at=start + timedelta(hours=6),
            venue="Suvilahti, Helsinki",
            product_name="Päivälippu",
            participant_name=f"Åsa Söderström {i}",
            order_code="ACEF34",
            organizer_name="Demo Events Oy",
        )
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=10, help="tickets per PDF (an order)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised

    render_tickets(tickets(2), language="fi")  # fonts registered, modules warm
    data = tickets(args.tickets)
    size = 0
    start = time.perf_counter()
    for i in range(0, len(data), args.batch):
        size += len(render_tickets(data[i : i + args.batch], language="fi"))
    elapsed = time.perf_counter() - start
    print(
        f"{args.tickets} tickets in PDFs of {args.batch}: {elapsed:.2f} s, "
        f"{args.tickets / elapsed:.0f} tickets/s, {size / args.tickets / 1024:.1f} KiB/ticket"
    )

    big = tickets(500)
    start = time.perf_counter()
    pdf = render_tickets(big, language="fi")
    elapsed = time.perf_counter() - start
    print(f"one 500-ticket PDF: {elapsed:.2f} s, {len(pdf) / 1024 / 1024:.2f} MiB")

    start = time.perf_counter()
    one = render_tickets(big[:1], language="fi")
    print(
        f"one single-ticket PDF: {(time.perf_counter() - start) * 1000:.1f} ms, "
        f"{len(one) / 1024:.1f} KiB"
    )


if __name__ == "__main__":
    main()
