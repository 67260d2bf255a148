"""A user's own settings: the order list's saved filters.

A saved filter is a name and the list's query string (its filters, sort and page size, never
its page). Applying one is following a link: the list scopes it by whoever follows it, so a
saved filter grants nothing.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from boxoffice.accounts.models import User
from boxoffice.common.errors import DomainError

NAME_MAX = 60
QUERY_MAX = 2000
SAVED_MAX = 30


@transaction.atomic
def saved_filter_save(*, user: User, name: str, query: str) -> list[dict[str, str]]:
    """Save the list's view under ``name`` (replacing one of the same name); returns the list.
    Refused, changing nothing, without a name, with a name or query too long, or past
    ``SAVED_MAX`` filters."""
    name = " ".join(name.split())
    if not name:
        raise DomainError(_("Give the filter a name."))
    if len(name) > NAME_MAX:
        raise DomainError(
            _("The name is too long (at most %(max)d characters).") % {"max": NAME_MAX}
        )
    if len(query) > QUERY_MAX:
        raise DomainError(_("These filters are too long to save."))
    locked = User.objects.select_for_update().get(pk=user.pk)
    kept: list[dict[str, str]] = [f for f in locked.saved_filters if f.get("name") != name]
    if len(kept) >= SAVED_MAX:
        raise DomainError(
            _("You have %(max)d saved filters; delete one to save another.") % {"max": SAVED_MAX}
        )
    saved = sorted([*kept, {"name": name, "query": query}], key=_by_name)
    locked.saved_filters = user.saved_filters = saved
    locked.save(update_fields=["saved_filters"])
    return saved


@transaction.atomic
def saved_filter_delete(*, user: User, name: str) -> list[dict[str, str]]:
    """Forget the saved filter ``name`` (nothing happens if there is none)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    saved: list[dict[str, str]] = [f for f in locked.saved_filters if f.get("name") != name]
    locked.saved_filters = user.saved_filters = saved
    locked.save(update_fields=["saved_filters"])
    return saved


def _by_name(saved: dict[str, str]) -> str:
    return saved["name"].casefold()
