"""/api/v1/orders/export, /api/v1/events/{id}/cancel and /api/v1/jobs/{id}: jobs of the API.

Up to the download limit the answer is the file itself; over it, 202 with the job that makes
it (``Location`` and ``job.url`` to poll), and the file at ``/jobs/{id}/file`` once the job is
done, for a week. A job is seen by every token of its organizer (an integration rotating its
token keeps its jobs) and by platform tokens; a person's export from the back office is theirs
alone and never served here.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Path, Query, Router, Schema, Status
from pydantic import Field

from boxoffice.accounts.permissions import Action
from boxoffice.api import auth, errors
from boxoffice.api.errors import ApiError
from boxoffice.api.order_query import OrderQuery, list_filters
from boxoffice.api.schemas import MAX_ID, ErrorOut, InputSchema
from boxoffice.exports.models import Export
from boxoffice.exports.services import ExportFile, export_start, stored_export
from boxoffice.jobs.models import ItemState, Job, JobState
from boxoffice.jobs.selectors import job_items
from boxoffice.orders.models import Language
from boxoffice.orders.selectors import events_visible_to
from boxoffice.payments.event_cancel import event_cancel

router = Router(tags=["exports"])

ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class ExportQuery(OrderQuery):
    format: Literal["csv", "xlsx"] = "csv"
    rows: Literal["orders", "tickets"] = Field("orders", description="one row per order or ticket")
    delimiter: Literal[",", ";"] = Field(",", description="CSV only; ';' writes decimal commas")


class JobOut(Schema):
    id: int
    kind: str
    state: str = Field(description="queued, running, paused, done or failed")
    total: int | None = Field(description="units of work (rows of an export), once counted")
    done: int
    failed: int
    refunded_total: Decimal = Field(description="refunds asked for by the job, in euros")
    errors: list[str] = Field(
        description="why the job stopped, if it did; then the first orders that failed, each "
        "as 'CODE: reason'"
    )
    created_at: datetime
    finished_at: datetime | None
    url: str = Field(description="this job")
    file_url: str | None = Field(description="the export's file, once done (kept a week)")


class JobAccepted(Schema):
    job: JobOut


def job_out(job: Job) -> dict[str, Any]:
    export = Export.objects.filter(job=job, api_token__isnull=False).first()
    ready = job.state == JobState.DONE and export is not None and export.purged_at is None
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "refunded_total": job.refunded_total,
        # The reason is for the integrator's logs; a person reads the page's summary. Then the
        # first orders that failed, each with why (the results CSV on the page has them all).
        "errors": ([job.error] if job.error else []) + _failures(job),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "url": f"/api/v1/jobs/{job.pk}",
        "file_url": f"/api/v1/jobs/{job.pk}/file" if ready else None,
    }


ERRORS_LISTED = 20


def _failures(job: Job) -> list[str]:
    if not job.failed:
        return []
    failed = job_items(job).filter(state=ItemState.FAILED)[:ERRORS_LISTED]
    return [f"{item.label}: {item.detail}" for item in failed]


def _file(export: ExportFile) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def orders_export(request: HttpRequest, response: HttpResponse, query: Query[ExportQuery]) -> Any:
    """The order list (same filters as GET /orders) as CSV or XLSX."""
    token = auth.token_of(request)
    made = export_start(
        principal=auth.principal(request),
        filters=list_filters(query),
        attention=query.attention,
        per=query.rows,
        fmt=query.format,
        query=request.META.get("QUERY_STRING", ""),
        api_token=token,
        delimiter=query.delimiter,
    )
    if isinstance(made, Job):
        job = job_out(made)
        response["Location"] = job["url"]  # ninja's temporal response: headers of the 202
        return Status(202, {"job": job})
    return _file(made)


def install(api: NinjaAPI) -> None:
    """Add GET /orders/export to the API's default router, ahead of /orders/{code} (which
    would otherwise take "export" for an order code), and the jobs' routes."""
    default = api.default_router
    api.get(
        "/orders/export",
        response={200: None, 202: JobAccepted, 400: ErrorOut, **ERRORS},
        tags=["orders"],
        openapi_extra={
            "responses": {
                200: {
                    "description": "the file (CSV or XLSX) when it has at most 10,000 rows",
                    "content": {
                        "text/csv": {},
                        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): {},
                    },
                }
            }
        },
    )(orders_export)
    export = default.path_operations.pop("/orders/export")
    default.path_operations = {"/orders/export": export, **default.path_operations}
    api.add_router("", router)


def _job(request: HttpRequest, job_id: int) -> Job:
    """The job if this token's organizer's (its orders, or started by one of its tokens);
    a platform token sees every organizer's jobs and the platform tokens' own."""
    token = auth.token_of(request)
    if token.organizer_id is not None:
        mine = Q(organizer_id=token.organizer_id) | Q(api_token__organizer_id=token.organizer_id)
    else:
        mine = Q(organizer__isnull=False) | Q(
            api_token__isnull=False, api_token__organizer__isnull=True
        )
    job = Job.objects.filter(mine, pk=job_id).first()
    if job is None:
        raise errors.not_found()
    return job


@router.get("/jobs/{job_id}", response={200: JobOut, **ERRORS})
def jobs_get(request: HttpRequest, job_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    """A job's state and progress; poll it until ``state`` is done or failed."""
    return job_out(_job(request, job_id))


@router.get(
    "/jobs/{job_id}/file",
    response={200: None, 409: ErrorOut, 410: ErrorOut, **ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "the export's file",
                "content": {
                    "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                },
            }
        }
    },
)
def jobs_file(request: HttpRequest, job_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    """The file a finished export job made."""
    job = _job(request, job_id)
    # A person's export is theirs alone (the back office); the API serves what a token made.
    export = Export.objects.filter(job=job, api_token__isnull=False).first()
    if export is None:
        raise errors.not_found()
    if export.purged_at is not None:
        raise ApiError(410, "gone", _("This export was deleted after a week. Export again."))
    if job.state != JobState.DONE:
        raise ApiError(409, "not_ready", _("This export is not ready yet."))
    return _file(stored_export(export=export))


class EventCancelIn(InputSchema):
    confirm: str = Field(max_length=200, description="the event's name, exactly")
    reason: str = Field("", max_length=2000, description="kept in each order's history")
    message: dict[Language, str] = Field(
        default_factory=dict,
        description="to customers by language (fi, sv, en); others get the first one given",
    )
    refund: bool = Field(True, description="refund every paid order by its payment method")


@router.post(
    "/events/{event_id}/cancel",
    response={202: JobAccepted, 400: ErrorOut, 403: ErrorOut, **ERRORS},
    tags=["events"],
)
def events_cancel(
    request: HttpRequest, payload: EventCancelIn, event_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    """Cancel the event: no more sales, and a job that cancels and refunds every order (202).
    Poll the job; a second call answers the same job."""
    principal = auth.principal(request)
    event = events_visible_to(principal).filter(pk=event_id).first()
    if event is None:
        raise errors.not_found()
    auth.require(request, Action.CANCEL, event.organizer_id)
    auth.require(request, Action.REFUND, event.organizer_id)
    job = event_cancel(
        event=event,
        principal=principal,
        confirm=payload.confirm,
        reason=payload.reason,
        message={str(lang): text for lang, text in payload.message.items()},
        refund=payload.refund,
        api_token=auth.token_of(request),
    )
    return Status(202, {"job": job_out(job)})
