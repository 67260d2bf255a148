from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

from boxoffice.common.money import format_eur

register = template.Library()


@register.filter
def money(amount: Decimal | None) -> str:
    return format_eur(amount, get_language() or "fi")


@register.simple_tag(takes_context=True)
def query_replace(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return str(params.urlencode())


@register.filter
def grouped(number: int) -> str:
    """10000 as the page's language writes it: "10,000" (en), "10 000" (fi)."""
    return number_format(number, force_grouping=True)


@register.filter
def bound_field(form: Any, name: str) -> Any:
    """``form[name]``, or None when the form has no such field (it was left out)."""
    return form[name] if name in form.fields else None
