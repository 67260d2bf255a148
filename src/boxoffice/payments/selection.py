"""Which orders an operation over many (an export, a bulk action, a message) is about: the
order list's filters or the codes ticked on it, as the list shows them to the principal.

The filters travel to the worker as JSON (a job's params) and select the same orders there.
"""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from django.db.models import QuerySet

from boxoffice.accounts.permissions import Principal
from boxoffice.orders.codes import normalize_code
from boxoffice.orders.models import Order
from boxoffice.orders.selectors import orders_visible_to
from boxoffice.payments.order_list import ListFilters, order_listing
from boxoffice.payments.selectors import orders_needing_attention

_TIMES = {"created_after", "created_before", "paid_after", "paid_before"}


def filters_json(filters: ListFilters) -> dict[str, Any]:
    """The filters as JSON values, to rebuild the same list in the worker."""
    out: dict[str, Any] = {}
    for f in fields(filters):
        value = getattr(filters, f.name)
        out[f.name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def filters_of(data: dict[str, Any]) -> ListFilters:
    known = {f.name for f in fields(ListFilters)}
    values: dict[str, Any] = {
        name: datetime.fromisoformat(value) if name in _TIMES and value else value
        for name, value in data.items()
        if name in known
    }
    return ListFilters(**values)


def listed(principal: Principal, filters: ListFilters, *, attention: bool = False) -> Any:
    """The list's orders under ``filters`` (and "Needs attention only"), as the list shows."""
    orders = order_listing(principal=principal, filters=filters).orders
    if attention:
        orders = orders_needing_attention(orders, principal)
    return orders


# The most orders one operation takes: an event of twenty thousand, and a preview that reads
# each of them still answers within a couple of seconds. More: narrow the filter.
SELECTION_MAX = 20_000
CODES_MAX = 1000  # ticked on the list (a page holds at most 200)


@dataclass(frozen=True)
class Selection:
    """Either the orders ticked on the list (``codes``), or all those matching its filters."""

    codes: tuple[str, ...] = ()
    filters: ListFilters | None = None
    attention: bool = False  # "Needs attention only", with the filters

    def as_json(self) -> dict[str, Any]:
        if self.filters is None:
            return {"codes": list(self.codes)}
        return {"filters": filters_json(self.filters), "attention": self.attention}

    @classmethod
    def of_json(cls, data: dict[str, Any]) -> "Selection":
        if "filters" in data:
            return cls(filters=filters_of(data["filters"]), attention=bool(data.get("attention")))
        return cls(codes=tuple(data.get("codes") or ()))


def selected(principal: Principal, selection: Selection) -> QuerySet[Order]:
    """The selection's orders that ``principal`` sees (codes of others' orders select
    nothing), without an order: the caller sorts or counts."""
    if selection.filters is not None:
        orders = listed(principal, selection.filters, attention=selection.attention)
        return cast("QuerySet[Order]", orders).order_by()
    codes = {normalize_code(code) for code in selection.codes[:CODES_MAX]} - {""}
    return orders_visible_to(principal).filter(code__in=codes).order_by()
