"""The order list keeps its place: filters and page survive a visit to an order and back.

The list hands its query string back to the browser in a signed cookie; every way back to the
list from an order (the "Orders" breadcrumb on the order and on each of its action pages) goes
to that address. A cookie, not the session: searching changes the query on every request, and a
session write per search would be a database round trip on the hottest page. The signature is
salted with the user, so whoever logs in next on the same browser starts from the plain list,
and only the list's own parameters are kept (re-encoded), so nothing else comes back with it.
"""

from urllib.parse import urlencode

from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse

from boxoffice.backoffice.forms import OrderFilterForm

COOKIE = "order_list_place"
# The list's filter, sort, search and paging parameters: every field of its form, and the page.
PARAMETERS = (*OrderFilterForm.base_fields, "page")
MAX_LENGTH = 1000


def _salt(request: HttpRequest) -> str:
    return f"list-place:{request.user.pk}"


def remember(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Keep the list's current query (the cookie is only sent again when it changed)."""
    query = _kept(request.GET)
    if _stored(request) != query:
        response.set_signed_cookie(
            COOKIE,
            query,
            salt=_salt(request),
            path=reverse("backoffice:home"),
            httponly=True,
            samesite="Lax",
        )
    return response


def list_url(request: HttpRequest) -> str:
    """The order list as this person last left it."""
    query = _stored(request)
    base = reverse("backoffice:order_list")
    return f"{base}?{query}" if query else base


def _stored(request: HttpRequest) -> str:
    try:
        stored = request.get_signed_cookie(COOKIE, default="", salt=_salt(request))
    except BadSignature:  # another user's, or tampered with: start from the plain list
        return ""
    # Re-read through the same filter: what comes back is only ever the list's parameters.
    return _kept(QueryDict(stored))


def _kept(params: QueryDict) -> str:
    pairs = [(key, value) for key in PARAMETERS for value in params.getlist(key) if value]
    query = urlencode(pairs)
    return query if len(query) <= MAX_LENGTH else ""
