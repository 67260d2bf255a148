"""Time the back-office pages against the demo database (run `boxoffice demo` first).

    .venv/bin/python bench/pages.py [--repeat 100]

In-process through Django's full middleware stack (no HTTP server), as the demo's organizer
and as platform staff. Prints p50 / p95 milliseconds and the SQL queries per request.
"""

import argparse
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boxoffice.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from boxoffice.accounts.models import User  # noqa: E402
from boxoffice.accounts.tokens import api_token_create  # noqa: E402
from boxoffice.orders.models import Order, OrderStatus, Ticket  # noqa: E402


def measure(client: Client, url: str, repeat: int) -> tuple[float, float, int]:
    client.get(url)  # warm caches and the connection
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=100)
    repeat = parser.parse_args().repeat

    organizer = User.objects.get(email="organizer@demo.test")
    staff = User.objects.get(email="staff@demo.test")
    order = Order.objects.filter(organizer__slug="demo-events", product_count=4).first()
    assert order is not None
    some = Order.objects.filter(organizer__slug="demo-events", status=OrderStatus.PAID).first()
    assert some is not None
    email_part = some.customer_email.split("@")[0][:5]
    event = some.event_id
    print(f"{Order.objects.count()} orders in the database; {repeat} requests per row")
    print(f"{'page':<44}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
    rows = [
        ("organizer", "list, first page", "/backoffice/orders/"),
        ("organizer", f"search email part '{email_part}'", f"/backoffice/orders/?q={email_part}"),
        ("organizer", "search exact code", f"/backoffice/orders/?q={some.code.lower()}"),
        ("organizer", "list by event + status", f"/backoffice/orders/?event={event}&status=paid"),
        ("organizer", "list, page 20", "/backoffice/orders/?page=20"),
        ("organizer", "order detail (4 tickets)", f"/backoffice/orders/{order.code}/"),
        ("staff", "staff list, all organizers", "/backoffice/orders/"),
        ("staff", "staff search name 'virtanen'", "/backoffice/orders/?q=virtanen"),
        ("customer", "customer order page (4 tickets)", f"/o/{order.code}/{order.secret}/"),
        ("organizer", "check-in page of an event", f"/backoffice/events/{event}/checkin/"),
    ]
    token = api_token_create(
        organizer=order.organizer, role="viewer", name="bench", created_by=None
    )[1]
    rows += [
        ("api", "API order list, first page", "/api/v1/orders?limit=50"),
        ("api", "API search email part", f"/api/v1/orders?q={email_part}"),
        ("api", "API order detail (4 tickets)", f"/api/v1/orders/{order.code}"),
    ]
    # The bench is one client hammering one page: lift the per-address limits for it.
    settings.RATE_LIMITS = {scope: (10**9, 60) for scope in settings.RATE_LIMITS}
    clients = {
        "organizer": Client(),
        "staff": Client(),
        "customer": Client(),
        "api": Client(headers={"Authorization": f"Bearer {token}"}),
    }
    clients["organizer"].force_login(organizer)
    clients["staff"].force_login(staff)
    for who, label, url in rows:
        p50, p95, queries = measure(clients[who], url, repeat)
        print(f"{label:<44}{p50:>9.1f}{p95:>9.1f}{queries:>9}")
    scans(organizer, event, repeat)


def scans(user: User, event_id: int, repeat: int) -> None:
    """POST the scanner page: the first scan of each ticket admits it, a repeat is refused."""
    client = Client()
    client.force_login(user)
    url = f"/backoffice/events/{event_id}/checkin/"
    secrets = list(
        Ticket.objects.filter(
            order__event_id=event_id, order__status=OrderStatus.PAID, checked_in_at__isnull=True
        ).values_list("secret", flat=True)[:repeat]
    )
    for label, batch in (("scan, admitted (first scan)", secrets), ("scan, repeat", secrets)):
        times, queries = [], 0
        for secret in batch:
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.post(url, {"code": secret})
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
            queries = len(captured)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
        name = f"{label} x{len(batch)}"
        print(f"{name:<44}{statistics.median(times):>9.1f}{p95:>9.1f}{queries:>9}")


if __name__ == "__main__":
    main()
