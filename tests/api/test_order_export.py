"""GET /api/v1/orders/export: the file at once, or 202 and a job to poll; /jobs/{id}/file."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from boxoffice.accounts.models import Role
from boxoffice.exports import background, services
from boxoffice.exports.models import Export, ExportChunk
from boxoffice.jobs.models import Job
from boxoffice.orders.models import OrderStatus


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def orders(order_in):
    return [order_in(OrderStatus.PAID), order_in(OrderStatus.RESERVED), order_in(OrderStatus.PAID)]


@pytest.fixture
def foreign(place, make_event, make_product, other_organizer):
    return place(make_product(make_event(other_organizer)))


def test_small_exports_come_at_once(api, orders, foreign):
    response = api.get("/orders/export", status="paid")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert sorted(r[0] for r in rows_of(response)[1:]) == sorted(
        o.code for o in orders if o.status == OrderStatus.PAID
    )
    export = Export.objects.get()
    assert (export.api_token is not None, export.user, export.rows, export.query) == (
        True,
        None,
        2,
        "status=paid",
    )


def test_over_the_limit_a_job_to_poll(api, orders, foreign, monkeypatch, run_tasks):
    monkeypatch.setattr(services, "DOWNLOAD_LIMIT", 2)
    response = api.get("/orders/export", format="csv", rows="orders")
    assert response.status_code == 202
    job = Job.objects.get()
    assert response["Location"] == f"/api/v1/jobs/{job.pk}"
    answer = response.json()["job"]
    assert (answer["kind"], answer["state"], answer["total"], answer["done"]) == (
        "export",
        "queued",
        None,
        0,
    )
    assert answer["file_url"] is None
    assert api.get(f"/jobs/{job.pk}/file").json()["error"]["code"] == "not_ready"

    run_tasks()
    polled = api.get(f"/jobs/{job.pk}").json()
    assert (polled["state"], polled["total"], polled["done"], polled["errors"]) == (
        "done",
        3,
        3,
        [],
    )
    assert polled["file_url"] == f"/api/v1/jobs/{job.pk}/file"
    file = api.get(f"/jobs/{job.pk}/file")
    assert file.status_code == 200
    assert [r[0] for r in rows_of(file)[1:]] == [o.code for o in orders]  # in order of id
    # No person asked: nobody to email.
    assert not job.user


def test_another_organizers_token_never_sees_the_job(
    api, api_for, other_organizer, organizer, orders, monkeypatch, run_tasks
):
    monkeypatch.setattr(services, "DOWNLOAD_LIMIT", 1)
    api.get("/orders/export")
    run_tasks()
    job = Job.objects.get()
    theirs = api_for(other_organizer, Role.OWNER)
    assert theirs.get(f"/jobs/{job.pk}").status_code == 404
    assert theirs.get(f"/jobs/{job.pk}/file").status_code == 404
    # Platform staff's token sees every organizer's jobs, as it sees their orders.
    assert api_for(None).get(f"/jobs/{job.pk}").status_code == 200
    # Another token of the same organizer (e.g. after rotating it) sees it.
    assert api_for(organizer, Role.VIEWER).get(f"/jobs/{job.pk}").json()["state"] == "done"


def test_purged_files_are_gone(api, orders, monkeypatch, run_tasks):
    monkeypatch.setattr(services, "DOWNLOAD_LIMIT", 1)
    job_id = api.get("/orders/export").json()["job"]["id"]
    run_tasks()
    background.exports_purge(now=timezone.now() + timedelta(days=8))
    response = api.get(f"/jobs/{job_id}/file")
    assert (response.status_code, response.json()["error"]["code"]) == (410, "gone")
    assert api.get(f"/jobs/{job_id}").json()["file_url"] is None
    assert not ExportChunk.objects.exists()


@pytest.mark.parametrize(
    "params", [{"format": "pdf"}, {"rows": "lines"}, {"delimiter": "|"}, {"event": "x"}]
)
def test_bad_parameters_are_a_reason(api, orders, params):
    response = api.get("/orders/export", **params)
    assert response.status_code == 422
    assert response.json()["error"]["fields"]
    assert not Export.objects.exists() and not Job.objects.exists()


def test_an_unknown_job_is_not_found(api):
    assert api.get("/jobs/999999").status_code == 404
    assert api.get("/jobs/0").status_code == 422
