"""Export what the order list shows: its filters, as CSV or XLSX, a row per order or ticket."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from boxoffice.accounts.models import User
from boxoffice.backoffice import saved_filters
from boxoffice.backoffice.order_list_views import list_form
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.errors import DomainError
from boxoffice.exports.selectors import RECENT, export_of, exports_of
from boxoffice.exports.services import ExportFile, export_start, stored_export
from boxoffice.jobs.models import Job, JobState
from boxoffice.jobs.principals import still_allowed


@login_required
@require_GET
def order_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    principal = request_principal(request)
    form, _events, _many = list_form(request, principal)  # what the list takes, with its choices
    form.is_valid()
    filters = form.filters()
    user = request.user
    assert isinstance(user, User)
    query = saved_filters.query_of(request.GET)
    try:
        export = export_start(
            principal=principal,
            filters=filters,
            attention=bool(form.value("attention")),
            per=request.GET.get("rows", "orders"),
            fmt=request.GET.get("format", "csv"),
            query=query,
            user=user,
            delimiter=";" if request.GET.get("delimiter") == ";" else ",",
        )
    except DomainError as refused:
        messages.error(request, str(refused))
        base = reverse("backoffice:order_list")
        return redirect(f"{base}?{query}" if query else base)
    if isinstance(export, Job):
        messages.success(
            request,
            _(
                "This export is large, so it is being prepared in the background. Follow it "
                "here; we will also email you a link when it is ready."
            ),
        )
        return redirect("backoffice:export_list")
    return _attachment(export)


def _attachment(export: ExportFile) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    """The person's exports: those being made (with their progress) and those kept to download."""
    user = request.user
    assert isinstance(user, User)
    exports = list(exports_of(user)[:RECENT])
    working = any(e.job is not None and not e.job.finished for e in exports)
    return render(
        request,
        "backoffice/export_list.html",
        {"exports": exports, "working": working, "now": timezone.now()},
    )


@login_required
@require_GET
def export_download(request: HttpRequest, export_id: int) -> HttpResponse | StreamingHttpResponse:
    user = request.user
    assert isinstance(user, User)
    export = export_of(user, export_id)
    if export is None or export.job is None:
        raise Http404
    if not still_allowed(request_principal(request), export.job.params.get("scope", "platform")):
        # Theirs, but of orders they no longer see (a membership removed since).
        raise Http404
    if export.job.state != JobState.DONE or export.purged_at is not None:
        messages.error(
            request,
            _("This export was deleted after a week. Export the orders again.")
            if export.purged_at
            else _("This export is not ready yet."),
        )
        return redirect("backoffice:export_list")
    return _attachment(stored_export(export=export))
