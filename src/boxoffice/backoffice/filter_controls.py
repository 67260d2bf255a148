"""The order list's filter controls, rendered once per distinct input and then reused.

Rendering the dozen selects and date fields through Django's form templates took about 2 ms of
every list page. The controls depend only on what the key below holds: the language and time
zone, the choices offered (this person's events, organizers, the chosen event's products), the
list's parameters other than the search text and the page, the form's errors and whether
anything filters. So the HTML is kept per process, by that key, in a small LRU: a new event or
product changes the choices and with them the key; nothing can go stale.
"""

import threading
from collections import OrderedDict
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from boxoffice.backoffice.forms import OrderFilterForm

# Kinds of filter control a process keeps (a few kilobytes each).
KEPT = 512
# The parameters the controls do not show: the search box is outside them, the page is a link.
NOT_SHOWN = frozenset({"q", "page"})

_kept: "OrderedDict[tuple[Any, ...], str]" = OrderedDict()
# A threaded server's requests share it: the LRU's steps are not atomic.
_lock = threading.Lock()


def _choices(form: OrderFilterForm, name: str) -> tuple[Any, ...]:
    field = form.fields.get(name)
    return tuple(field.choices) if field is not None else ()  # type: ignore[attr-defined]


def filter_controls(
    request: HttpRequest, form: OrderFilterForm, *, attention_only: bool, filtered: bool
) -> SafeString:
    key = (
        translation.get_language(),
        timezone.get_current_timezone_name(),
        _choices(form, "event"),
        _choices(form, "organizer"),
        _choices(form, "product"),
        tuple(sorted((k, tuple(v)) for k, v in request.GET.lists() if k not in NOT_SHOWN)),
        tuple(sorted((k, tuple(v)) for k, v in form.errors.items())),
        attention_only,
        filtered,
    )
    with _lock:
        html = _kept.get(key)
        if html is not None:
            _kept.move_to_end(key)
    if html is None:
        html = render_to_string(
            "backoffice/_order_filters.html",
            {"form": form, "attention_only": attention_only, "filtered": filtered},
            request=request,
        )
        with _lock:
            _kept[key] = html
            if len(_kept) > KEPT:
                _kept.popitem(last=False)
    return mark_safe(html)
