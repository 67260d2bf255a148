"""A job's page: its progress (live while it runs), money refunded, failures with their
reasons, the time left; pause and resume; the per-order results as CSV."""

import csv
import io
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from boxoffice.accounts.permissions import Action
from boxoffice.backoffice.principal import request_principal
from boxoffice.bulk.actions import BulkAction
from boxoffice.bulk.services import KIND as BULK_KIND
from boxoffice.common.spreadsheet import safe_cell
from boxoffice.jobs.models import ItemState, Job, JobState
from boxoffice.jobs.runner import job_pause, job_resume, job_retry_failed
from boxoffice.jobs.selectors import job_items, jobs_visible_to
from boxoffice.notifications.customer_messages import KIND as MESSAGE
from boxoffice.orders.selectors import events_visible_to

# Failures listed on the page (the CSV has every order).
FAILURES_SHOWN = 100


def _job_or_404(request: HttpRequest, job_id: int) -> Job:
    job = jobs_visible_to(request_principal(request)).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def _may_steer(request: HttpRequest, job: Job) -> bool:
    """Pausing and resuming: who started it, and whoever may do what the job does (cancel
    and refund; send a message)."""
    principal = request_principal(request)
    if job.user_id is not None and job.user_id == getattr(request.user, "pk", None):
        return True
    if job.organizer_id is None:
        return False
    if job.kind == MESSAGE:  # a message to customers: whoever may send one
        return principal.can(Action.MESSAGE_CUSTOMERS, job.organizer_id)
    return principal.can(Action.CANCEL, job.organizer_id) and principal.can(
        Action.REFUND, job.organizer_id
    )


def job_title(job: Job) -> str:
    """What the job does, in words (its kind, and a bulk job's action)."""
    if job.kind == BULK_KIND:
        action = dict(BulkAction.choices).get(job.params.get("action", ""), "")
        return _("Bulk action: %(action)s") % {"action": action}
    titles = {
        "event_cancel": _("Cancelling an event"),
        "export": _("Export"),
        MESSAGE: _("Message to customers"),
    }
    return titles.get(job.kind, job.kind)


def time_left(job: Job) -> timedelta | None:
    """At the pace so far; None before there is one."""
    if job.state != JobState.RUNNING or not job.started_at or not job.total:
        return None
    finished = job.done + job.failed
    if finished == 0:
        return None
    elapsed = timezone.now() - job.started_at
    return elapsed / finished * max(job.total - finished, 0)


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    failures = list(job_items(job).filter(state=ItemState.FAILED)[:FAILURES_SHOWN])
    left = time_left(job)
    event = None
    if "event_id" in job.params:  # what the job is about, named on its page
        principal = request_principal(request)
        event = events_visible_to(principal).filter(pk=job.params["event_id"]).first()
    return render(
        request,
        "backoffice/job_detail.html",
        {
            "job": job,
            "title": job_title(job),
            "skipped": skipped_reasons(job),
            "event": event,
            "failures": failures,
            "minutes_left": None if left is None else max(1, round(left.total_seconds() / 60)),
            "may_steer": _may_steer(request, job),
            "working": job.state in (JobState.QUEUED, JobState.RUNNING),
        },
    )


def skipped_reasons(job: Job) -> list[tuple[str, int]]:
    """The orders a job left as they were, by the reason (the most common first)."""
    rows = (
        job_items(job)
        .filter(state=ItemState.SKIPPED)
        .order_by()
        .values_list("result", "detail")
        .annotate(n=Count("pk"))
        .order_by("-n")[:20]
    )
    # A skip without words is an order already cancelled before the job reached it.
    return [(detail or _("Already cancelled"), n) for _result, detail, n in rows]


@login_required
@require_POST
def job_pause_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if not _may_steer(request, job):
        raise Http404
    if job_pause(job).state == JobState.PAUSED:
        messages.success(request, _("Paused. Nothing done so far is lost; resume to go on."))
    return redirect("backoffice:job_detail", job_id=job.pk)


@login_required
@require_POST
def job_resume_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if not _may_steer(request, job):
        raise Http404
    if job_resume(job).state == JobState.QUEUED:
        messages.success(request, _("Resumed: the job goes on from where it stopped."))
    return redirect("backoffice:job_detail", job_id=job.pk)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment).isoformat()


@login_required
@require_POST
def job_retry_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if not _may_steer(request, job):
        raise Http404
    if job_retry_failed(job).state == JobState.QUEUED:
        messages.success(request, _("The failed orders are tried again."))
    return redirect("backoffice:job_detail", job_id=job.pk)


@login_required
@require_GET
def job_results_csv(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    states = dict(ItemState.choices)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Order code"), _("State"), _("Result"), _("Amount"), _("Reason"), _("Time")])
    for item in job_items(job).iterator(chunk_size=2000):
        writer.writerow(
            [
                safe_cell(item.label),
                str(states.get(item.state, item.state)),
                item.result,
                "" if item.amount is None else f"{item.amount:.2f}",
                safe_cell(item.detail),
                ""
                if item.finished_at is None
                else timezone.localtime(item.finished_at).isoformat(),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-results.csv"'
    return response
