"""What the back-office navigation offers the person looking at it."""

import threading
from collections import OrderedDict
from html import escape
from typing import Any

from django import template
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from boxoffice.accounts.models import Role
from boxoffice.backoffice import list_place
from boxoffice.backoffice.message_views import may_send
from boxoffice.backoffice.principal import request_principal
from boxoffice.payments.attention_badge import badge_count

register = template.Library()


@register.filter
def manages_api_tokens(request: HttpRequest) -> bool:
    """Owners and managers (and platform staff) see the API tokens page."""
    if not request.user.is_authenticated:
        return False
    principal = request_principal(request)  # computed once per request, cached on it
    return principal.is_platform_staff or any(
        role in (Role.OWNER, Role.MANAGER) for role in principal.roles.values()
    )


@register.filter
def sends_messages(request: HttpRequest) -> bool:
    """Those who may message customers (owners, managers, platform staff) see Messages."""
    if not request.user.is_authenticated:
        return False
    return may_send(request_principal(request))


@register.filter
def owns_an_organizer(request: HttpRequest) -> bool:
    """Owners see the payment account page (where their organizer's money goes)."""
    if not request.user.is_authenticated:
        return False
    return Role.OWNER in request_principal(request).roles.values()


# Beyond this the badge says "99+": counting on is work for the list page, not every page.
BADGE_CAP = 99


@register.simple_tag
def attention_count(request: HttpRequest) -> str:
    """Orders that need a person (payments.attention), among those this person may see: "" for
    none, else the number, or "99+"."""
    if not request.user.is_authenticated:
        return ""
    count = badge_count(request_principal(request), cap=BADGE_CAP)
    if count > BADGE_CAP:
        return f"{BADGE_CAP}+"
    return str(count) if count else ""


@register.simple_tag
def order_list_url(request: HttpRequest) -> str:
    """The order list with the filters and page this person left it at (list_place)."""
    return list_place.list_url(request)


# Stand-ins in the kept header for what differs on every request: the CSRF token (masked anew
# each time) and the page the language switch returns to.
_CSRF = "\x00csrf\x00"
_NEXT = "\x00next\x00"
# Headers a process keeps: one per person, language and highlighted menu entry, a few KB each.
KEPT_HEADERS = 1024
_headers: "OrderedDict[tuple[Any, ...], str]" = OrderedDict()
_lock = threading.Lock()  # a threaded server's requests share the LRU


@register.simple_tag(takes_context=True)
def backoffice_topbar(context: Context) -> SafeString:
    """The back office's header (menu, badge, language switch, the person's links), rendered
    once per distinct look and then reused: it was a tenth of a search page's time. The key
    holds everything the header shows; the CSRF token and the return path go in afresh."""
    request: HttpRequest = context["request"]
    user = request.user
    count = attention_count(request)
    key = (
        translation.get_language(),
        user.pk,
        getattr(user, "email", ""),
        getattr(user, "is_staff", False),
        count,
        request.resolver_match.url_name if request.resolver_match else "",
        request.GET.get("status") == "return_requested",
        bool(request.GET.get("attention")),
        manages_api_tokens(request),
        owns_an_organizer(request),
        sends_messages(request),
    )
    with _lock:
        html = _headers.get(key)
        if html is not None:
            _headers.move_to_end(key)
    if html is None:
        html = render_to_string(
            "_topbar.html",
            {
                "nav_template": "backoffice/_nav.html",
                "needing_attention": count,
                "csrf_token": _CSRF,
                "next_path": _NEXT,
                "LANG": translation.get_language(),
            },
            request=request,
        )
        with _lock:
            _headers[key] = html
            if len(_headers) > KEPT_HEADERS:
                _headers.popitem(last=False)
    fresh = html.replace(_CSRF, escape(get_token(request))).replace(
        _NEXT, escape(request.get_full_path())
    )
    return mark_safe(fresh)
