"""Exports over the download limit: made by a job, followed on the Exports page, emailed,
downloaded by the requester alone, purged after a week; a killed worker never doubles a row."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from boxoffice.exports import background, services
from boxoffice.exports.models import Export, ExportChunk
from boxoffice.jobs import runner
from boxoffice.jobs.models import Job, JobState
from boxoffice.notifications.models import EmailKind, EmailMessage

from . import test_order_export as at_once
from .pages import messages, page_text, table_rows
from .test_order_export import EXPORT, read_csv, read_xlsx

LIST = "/backoffice/exports/"


@pytest.fixture
def mix(order_in, make_product, event):
    """The direct export's mixed orders (every status, a VIP product, a refund, a check-in)."""
    return at_once.mix.__wrapped__(order_in, make_product, event)


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(services, "DOWNLOAD_LIMIT", 1)


@pytest.fixture
def foreign(place, other_product):
    return [place(other_product) for _ in range(2)]


def job_tasks() -> int:
    return DBTaskResult.objects.filter(task_path="boxoffice.jobs.tasks.job_run").count()


def direct(client, **query):
    """The same export made at once (as under the limit), for comparison."""
    services.DOWNLOAD_LIMIT = 10_000
    try:
        return client.get(EXPORT, query)
    finally:
        services.DOWNLOAD_LIMIT = 1


def test_over_the_limit_a_job_makes_it(owner_client, owner, mix, small_limit):
    response = owner_client.get(EXPORT, {"format": "csv", "status": "paid"}, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert messages(response) == [
        "This export is large, so it is being prepared in the background. Follow it here; we "
        "will also email you a link when it is ready."
    ]
    job = Job.objects.get()
    export = Export.objects.get()
    assert (job.kind, job.state, job.user, job.total, job.done) == (
        "export",
        JobState.QUEUED,
        owner,
        None,
        0,
    )
    assert job.params["filters"]["status"] == "paid"
    assert (job.params["per"], job.params["format"], job.params["language"]) == (
        "orders",
        "csv",
        "en",
    )
    assert (export.job, export.user, export.rows, export.query) == (job, owner, None, "status=paid")
    assert job_tasks() == 1
    assert "Queued" in page_text(response)
    assert '<meta http-equiv="refresh" content="3">' in response.content.decode()


def test_the_job_writes_the_file_and_emails_the_link(
    owner_client, owner, mix, foreign, small_limit, run_tasks
):
    owner_client.get(EXPORT, {"format": "csv"})
    run_tasks()
    job = Job.objects.get()
    export = Export.objects.get()
    assert (job.state, job.total, job.done, job.failed, job.lease_token) == (
        JobState.DONE,
        4,
        4,
        0,
        None,
    )
    assert export.rows == 4
    assert export.expires_at == export.finished_at + timedelta(days=7)
    message = EmailMessage.objects.get(kind=EmailKind.EXPORT_READY)
    assert (message.to, message.order, message.language) == (owner.email, None, "en")
    [sent] = [m for m in mail.outbox if m.subject == "Your export is ready"]
    assert sent.subject == "Your export is ready"
    link = f"{settings.SITE_URL}/backoffice/exports/{export.pk}/download/"
    assert link in sent.body
    assert "Your export of 4 rows is ready to download." in sent.body

    page = owner_client.get(LIST)
    assert "refresh" not in page.content.decode()
    assert "Ready" in page_text(page)
    stored = read_csv(owner_client.get(f"{LIST}{export.pk}/download/"))
    made_at_once = read_csv(direct(owner_client, format="csv"))
    assert stored[0] == made_at_once[0]
    # The job goes in order of id, the list newest first: the same rows either way.
    assert stored[1:] == sorted(made_at_once[1:], key=lambda r: [o.code for o in mix].index(r[0]))
    assert {r[0] for r in stored[1:]} == {o.code for o in mix}  # no other organizer's


def test_xlsx_per_ticket_in_the_background(owner_client, mix, small_limit, run_tasks):
    owner_client.get(EXPORT, {"format": "xlsx", "rows": "tickets"})
    run_tasks()
    export = Export.objects.get()
    stored = read_xlsx(owner_client.get(f"{LIST}{export.pk}/download/"))
    made_at_once = read_xlsx(direct(owner_client, format="xlsx", rows="tickets"))
    assert stored[0] == made_at_once[0]
    assert sorted(stored[1:], key=repr) == sorted(made_at_once[1:], key=repr)
    assert export.rows == len(stored) - 1 == 7


def test_a_killed_worker_is_taken_over_and_no_chunk_is_written_twice(
    owner_client, mix, small_limit, monkeypatch, run_tasks
):
    monkeypatch.setattr(background, "CHUNK_ORDERS", 1)
    owner_client.get(EXPORT, {"format": "csv"})
    job = Job.objects.get()
    first = runner.claim(job.pk)
    handler = background.ExportHandler()
    assert handler.step(first) and handler.step(first)  # two chunks, then the worker dies
    assert ExportChunk.objects.count() == 2
    assert runner.claim(job.pk) is None  # its lease still holds: nobody else may take it
    run_tasks()  # the queued task: not claimed, the job is someone's
    assert Job.objects.get().state == JobState.RUNNING

    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    later = timezone.now() + runner.LEASE * 2
    assert runner.jobs_reconcile(now=later) == 1
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.done, job.total) == (JobState.DONE, 2, 4, 4)
    assert list(ExportChunk.objects.order_by("seq").values_list("seq", flat=True)) == [0, 1, 2, 3]
    # The dead worker wakes up: it no longer holds the job and writes nothing.
    with pytest.raises(runner.LeaseLost):
        handler.step(first)
    assert ExportChunk.objects.count() == 4
    rows = read_csv(owner_client.get(f"{LIST}{Export.objects.get().pk}/download/"))
    assert [r[0] for r in rows[1:]] == [o.code for o in mix]
    assert EmailMessage.objects.filter(kind=EmailKind.EXPORT_READY).count() == 1


def test_a_failing_job_says_so_and_emails_nothing(owner_client, mix, small_limit, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(background, "csv_body", broken)
    owner_client.get(EXPORT, {"format": "csv"})
    assert runner.run(Job.objects.get().pk) == "failed"
    job = Job.objects.get()
    assert (job.state, job.error, job.done) == (JobState.FAILED, "RuntimeError: disk on fire", 0)
    assert ExportChunk.objects.count() == 0
    assert not EmailMessage.objects.filter(kind=EmailKind.EXPORT_READY).exists()
    page = owner_client.get(LIST)
    assert "Failed" in page_text(page)
    assert (
        owner_client.get(f"{LIST}{Export.objects.get().pk}/download/", follow=True).status_code
        == 200
    )


def test_only_the_requester_downloads(
    owner_client, mix, small_limit, run_tasks, login, make_user, organizer, other_owner
):
    owner_client.get(EXPORT, {"format": "csv"})
    run_tasks()
    url = f"{LIST}{Export.objects.get().pk}/download/"
    colleague = login(make_user("colleague@example.com", organizer))
    assert colleague.get(url).status_code == 404
    assert login(other_owner).get(url).status_code == 404
    assert "No exports yet." in page_text(colleague.get(LIST))


def test_after_a_week_the_file_is_purged_and_the_record_stays(
    owner_client, mix, small_limit, run_tasks
):
    owner_client.get(EXPORT, {"format": "csv"}, follow=True)
    run_tasks()
    export = Export.objects.get()
    assert background.exports_purge(now=timezone.now() + timedelta(days=6)) == 0
    assert background.exports_purge(now=timezone.now() + timedelta(days=7, minutes=1)) == 1
    export.refresh_from_db()
    assert export.purged_at is not None and export.rows == 4
    assert ExportChunk.objects.count() == 0
    response = owner_client.get(f"{LIST}{export.pk}/download/", follow=True)
    assert messages(response) == ["This export was deleted after a week. Export the orders again."]
    assert "Deleted" in page_text(response)


def test_an_abandoned_partial_file_is_purged_too(owner_client, mix, small_limit, monkeypatch):
    monkeypatch.setattr(background, "CHUNK_ORDERS", 1)
    owner_client.get(EXPORT, {"format": "csv"})
    job = runner.claim(Job.objects.get().pk)
    background.ExportHandler().step(job)
    assert background.exports_purge(now=timezone.now() + timedelta(days=7, hours=23)) == 0
    assert background.exports_purge(now=timezone.now() + timedelta(days=8, minutes=1)) == 1
    assert ExportChunk.objects.count() == 0


def test_the_page_shows_progress(owner_client, mix, small_limit, monkeypatch):
    monkeypatch.setattr(background, "CHUNK_ORDERS", 1)
    owner_client.get(EXPORT, {"format": "csv"})
    job = runner.claim(Job.objects.get().pk)
    background.ExportHandler().step(job)
    page = owner_client.get(LIST)
    [row] = table_rows(page)
    assert row[2:4] == ["1 / 4", "Running 25 %"]
    assert '<progress max="100" value="25"' in page.content.decode()
