"""The order list keeps its place: filters and page survive a visit to an order and back.

The list remembers its query string in the session; every way back to the list from an order
(the "Orders" breadcrumb on the order and on each of its action pages) goes to that address.
Only the list's own parameters are kept, so nothing else a URL carried comes back with it.
"""

from urllib.parse import urlencode

from django.http import HttpRequest, QueryDict
from django.urls import reverse

SESSION_KEY = "order_list_place"
# The list's filter, search and paging parameters (forms.OrderFilterForm and the paginator).
PARAMETERS = ("q", "event", "organizer", "status", "payment_method", "attention", "page")
MAX_LENGTH = 1000


def remember(request: HttpRequest) -> None:
    """Keep the list's current query (written only when it changed: no session save per page)."""
    query = _kept(request.GET)
    if request.session.get(SESSION_KEY, "") != query:
        request.session[SESSION_KEY] = query


def list_url(request: HttpRequest) -> str:
    """The order list as this person last left it."""
    query = request.session.get(SESSION_KEY, "") if hasattr(request, "session") else ""
    base = reverse("backoffice:order_list")
    return f"{base}?{query}" if query else base


def _kept(params: QueryDict) -> str:
    pairs = [(key, value) for key in PARAMETERS for value in params.getlist(key) if value]
    query = urlencode(pairs)
    return query if len(query) <= MAX_LENGTH else ""
