"""What the back-office navigation offers the person looking at it."""

from django import template
from django.http import HttpRequest

from boxoffice.accounts.models import Role
from boxoffice.backoffice import list_place
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
