"""What the back-office navigation offers the person looking at it."""

from django import template
from django.http import HttpRequest

from boxoffice.accounts.models import Role
from boxoffice.backoffice.principal import request_principal
from boxoffice.payments.selectors import attention_count as count_for

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


@register.simple_tag
def attention_count(request: HttpRequest) -> int:
    """Orders that need a person (payments.attention), among those this person may see."""
    if not request.user.is_authenticated:
        return 0
    return count_for(request_principal(request))
