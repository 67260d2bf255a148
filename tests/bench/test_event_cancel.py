"""`boxoffice bench event-cancel` on the test database, tiny: a gunicorn serving the sandbox and
one `boxoffice worker --concurrency 2` cancel a 30-order event; the command checks the work
(every order cancelled, one sandbox refund per Paytrail order, one email each) and reports."""

import json
import socket
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from boxoffice.benchmark.cancel_seed import SLUG
from boxoffice.catalog.models import Event
from boxoffice.jobs.models import Job, JobState
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.paytrail_sandbox.models import SandboxControl, SandboxRefund

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="worker processes share one PostgreSQL"
    ),
    # Committed data: the workers and the server read it through their own connections.
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_tiny_run_cancels_refunds_emails_and_reports(tmp_path: Path) -> None:
    out = StringIO()
    report = tmp_path / "cancel.json"
    call_command(
        "bench", "event-cancel", "--orders", "30", "--workers", "1", "--concurrency", "2",
        "--latency-ms", "10", "--port", str(free_port()), "--json", str(report),
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "orders/s" in text and "seeded 30 orders" in text
    [row] = json.loads(report.read_text())
    assert row["workers"] == 1 and row["processes"] == 2 and row["event_orders"] == 30
    assert row["problems"] == []
    assert row["orders_per_second"] > 0 and row["seconds"] >= row["job_seconds"] > 0
    assert set(row["cpu_seconds"]) == {
        "workers", "server", "bench", "postgres", "others", "machine"
    }  # fmt: skip
    assert row["cpu_seconds"]["workers"] > 0 and row["cpu_seconds"]["server"] > 0
    assert row["cpu_ms_per_order"] > 0
    # The database as the run left it: the event cancelled by its job, every order closed.
    event = Event.objects.get(organizer__slug=SLUG)
    assert event.cancelled_at is not None
    job = Job.objects.get()
    assert (job.state, job.done, job.failed) == (JobState.DONE, row["orders"], 0)
    statuses = Counter(Order.objects.filter(event=event).values_list("status", flat=True))
    assert set(statuses) <= {OrderStatus.CANCELLED, OrderStatus.RETURNED}
    assert row["paytrail_refunds"] == row["results"].get("refunded", 0) > 0
    assert SandboxRefund.objects.count() == row["paytrail_refunds"]
    # The sandbox kept no log of calls (its own bookkeeping is not the app's work).
    assert SandboxControl.objects.get().record is False


def test_another_organizers_orders_are_not_emptied_without_reset(
    place: Any, make_product: Any, event: Any
) -> None:
    place(make_product(event))
    with pytest.raises(CommandError, match=r"holds other organizers' orders \(1\).*--reset"):
        call_command("bench", "event-cancel", "--orders", "5", "--workers", "1", stdout=StringIO())
    assert Order.objects.count() == 1
