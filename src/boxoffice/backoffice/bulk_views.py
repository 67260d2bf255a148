"""Bulk actions from the order list: the orders ticked there, or all matching its filters.

The list's form posts the selection (the ticked codes, or "all matching" with the list's
filters) and the action: the page shows the preview (how many orders the action applies to,
and why the others are skipped) with the confirmation form, which carries the same selection
on, so the preview and the job are about the same orders. The form's key makes a double click
answer the first job.
"""

import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from boxoffice.backoffice.order_list_views import list_form
from boxoffice.backoffice.principal import request_principal
from boxoffice.bulk.actions import BulkAction
from boxoffice.bulk.services import REASON_MAX, bulk_preview, bulk_start
from boxoffice.common.errors import DomainError
from boxoffice.payments.selection import Selection

# The confirmation's own fields (the rest of a bulk form is the selection and the action).
# None may share a name with one of the list's filters (the list's is ``refund``): the
# confirmation would drop that filter, and "all matching" would widen to more orders.
_CONFIRMATION = ("csrfmiddlewaretoken", "key", "reason", "refund_orders", "reference")
# What of the selection is not the list's filters.
_NOT_FILTERS = ("action", "scope", "code", "page", "per_page")


class BulkConfirmForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=40)
    reason = forms.CharField(
        label=gettext_lazy("Reason, told to the customers"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    refund_orders = forms.BooleanField(
        label=gettext_lazy("Refund each paid order by its payment method"),
        required=False,
        initial=True,
    )
    reference = forms.CharField(
        label=gettext_lazy("Payment reference (optional)"), required=False, max_length=100
    )


def _selection(request: HttpRequest, data: QueryDict) -> Selection:
    """The orders ticked, or all matching the list's filters. DomainError for filters the
    list would drop (another organizer's event, a date that is not one): an action over
    "all matching" must never widen to more orders than the list showed."""
    if data.get("scope") == "filter":
        form, _events, _many = list_form(request, request_principal(request), data)
        if not form.is_valid():
            raise DomainError(_("These filters are not valid: go back to the list and check them."))
        return Selection(filters=form.filters(), attention=bool(form.value("attention")))
    return Selection(codes=tuple(data.getlist("code")))


def _carried(data: QueryDict) -> list[tuple[str, str]]:
    """The selection as hidden fields of the confirmation form: the same orders again."""
    return [
        (name, value)
        for name, values in data.lists()
        if name not in _CONFIRMATION
        for value in values
    ]


def _back(data: QueryDict) -> str:
    """The order list with the selection's filters."""
    kept = data.copy()
    for name in (*_CONFIRMATION, *_NOT_FILTERS):
        kept.pop(name, None)
    return f"{reverse('backoffice:order_list')}?{kept.urlencode()}"


@login_required
@require_http_methods(["GET", "POST"])
def order_bulk(request: HttpRequest) -> HttpResponse:
    """GET (a link with the filters) or POST (the list's form, with the ticked codes) shows
    the preview; POST with the confirmation form's key starts the job."""
    principal = request_principal(request)
    data = request.POST if request.method == "POST" else request.GET
    action = data.get("action", "")
    if action == BulkAction.MESSAGE:
        # Messages are written on their own page, for the same orders.
        query = urlencode(_carried(data))
        return redirect(f"{reverse('backoffice:message_new')}?{query}")
    confirming = request.method == "POST" and "key" in data
    form = BulkConfirmForm(data if confirming else None, initial={"key": uuid.uuid4().hex})
    preview = error = None
    try:
        selection = _selection(request, data)
        preview = bulk_preview(principal=principal, action=action, selection=selection)
        if confirming and form.is_valid():
            job = bulk_start(
                principal=principal,
                action=action,
                selection=selection,
                reason=form.cleaned_data["reason"],
                refund=form.cleaned_data["refund_orders"],
                reference=form.cleaned_data["reference"],
                key=f"{request.user.pk}:{form.cleaned_data['key']}",
                user=request.user,  # type: ignore[arg-type]
            )
            return redirect("backoffice:job_detail", job_id=job.pk)
    except DomainError as refused:
        error = refused.message
    return render(
        request,
        "backoffice/order_bulk.html",
        {
            "action": action,
            "action_label": dict(BulkAction.choices).get(action, ""),
            "preview": preview,
            "error": error,
            "form": form,
            # Not echoed back when refused: only a selection that stands is carried on.
            "carried": _carried(data) if error is None else [],
            "back": _back(data),
        },
        status=200 if error is None else 422,
    )
