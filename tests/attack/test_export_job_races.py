"""Two or more workers on one export job at the same moment (PostgreSQL, real threads): one
claims it, the file holds each order once, one ready-email goes out."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from boxoffice.exports import background, services
from boxoffice.exports.models import Export, ExportChunk
from boxoffice.jobs import runner
from boxoffice.jobs.models import Job, JobState
from boxoffice.notifications.models import EmailKind, EmailMessage
from boxoffice.orders.models import OrderStatus
from races import RACE_ON_POSTGRESQL

pytestmark = RACE_ON_POSTGRESQL


@pytest.fixture
def job(owner_client, order_in, monkeypatch):
    monkeypatch.setattr(services, "DOWNLOAD_LIMIT", 1)
    monkeypatch.setattr(background, "CHUNK_ORDERS", 1)
    orders = [order_in(OrderStatus.PAID) for _ in range(5)]
    owner_client.get("/backoffice/orders/export/")
    return Job.objects.get(), orders


def _file_codes(owner_client) -> list[str]:
    export = Export.objects.get()
    response = owner_client.get(f"/backoffice/exports/{export.pk}/download/")
    body = b"".join(response.streaming_content).decode("utf-8")
    return [row[0] for row in list(csv.reader(io.StringIO(body[1:])))[1:]]


@pytest.mark.parametrize("round_", range(3))
def test_workers_racing_for_a_queued_job(race, owner_client, job, round_):
    made, orders = job
    results = race(*[lambda: runner.run(made.pk)] * 4)
    assert sorted(results) == ["done", "not claimed", "not claimed", "not claimed"], results
    made.refresh_from_db()
    assert (made.state, made.done, made.attempts) == (JobState.DONE, 5, 1)
    assert list(ExportChunk.objects.order_by("seq").values_list("seq", flat=True)) == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert sorted(_file_codes(owner_client)) == sorted(o.code for o in orders)
    assert EmailMessage.objects.filter(kind=EmailKind.EXPORT_READY).count() == 1


@pytest.mark.parametrize("round_", range(3))
def test_workers_racing_to_take_over_a_stalled_job(race, owner_client, job, round_):
    made, orders = job
    stalled = runner.claim(made.pk)
    background.ExportHandler().step(stalled)
    Job.objects.filter(pk=made.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    results = race(*[lambda: runner.run(made.pk)] * 4)
    assert results.count("done") == 1, results
    with pytest.raises(runner.LeaseLost):
        background.ExportHandler().step(stalled)
    made.refresh_from_db()
    assert (made.state, made.done) == (JobState.DONE, 5)
    assert sorted(_file_codes(owner_client)) == sorted(o.code for o in orders)
    assert EmailMessage.objects.filter(kind=EmailKind.EXPORT_READY).count() == 1
