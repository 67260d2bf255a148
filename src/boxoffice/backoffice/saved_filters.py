"""Saving the order list's current view under a name, and forgetting it (accounts.preferences).

The list links to each saved filter; saving takes the query string the list was shown with,
keeping only the list's own parameters (not its page), so following it reproduces the view.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from boxoffice.accounts.models import User
from boxoffice.accounts.preferences import saved_filter_delete, saved_filter_save
from boxoffice.backoffice.forms import OrderFilterForm
from boxoffice.common.errors import DomainError

# The list's parameters, in the form's order; anything else in a URL is not saved.
PARAMETERS = tuple(OrderFilterForm.base_fields)


def query_of(data: QueryDict) -> str:
    """The list's own, non-empty parameters of ``data`` as a query string."""
    return urlencode([(name, data[name]) for name in PARAMETERS if data.get(name)])


def of_user(request: HttpRequest) -> list[dict[str, str]]:
    """The user's saved filters, each with its ``url``."""
    user = request.user
    assert isinstance(user, User)
    base = reverse("backoffice:order_list")
    return [
        {"name": saved["name"], "url": f"{base}?{saved['query']}" if saved["query"] else base}
        for saved in user.saved_filters
    ]


@login_required
@require_POST
def save(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    query = query_of(QueryDict(request.POST.get("query", "")))
    try:
        saved_filter_save(user=user, name=request.POST.get("name", ""), query=query)
    except DomainError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Filter saved."))
    return _back_to_list(query)


@login_required
@require_POST
def delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    saved_filter_delete(user=user, name=request.POST.get("name", ""))
    messages.success(request, _("Saved filter deleted."))
    return _back_to_list(query_of(QueryDict(request.POST.get("query", ""))))


def _back_to_list(query: str) -> HttpResponse:
    base = reverse("backoffice:order_list")
    return redirect(f"{base}?{query}" if query else base)
