"""The order list's reads that need money: the refund filter on top of the orders' own.

Every face lists orders through ``order_listing`` (the back office, the API, exports), so a
filter means the same in each.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.permissions import Principal
from boxoffice.orders.selectors import OrderFilters, OrderSearch, order_search
from boxoffice.payments.models import (
    REFUND_STATES_DONE,
    REFUND_STATES_IN_FLIGHT,
    Refund,
    RefundState,
)


class RefundStanding(TextChoices):
    """Where an order's money stands with refunds, as the order list filters it."""

    NONE = "none", _("Not refunded")
    IN_PROGRESS = "in_progress", _("Refund in progress")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Refund failed")


@dataclass(frozen=True)
class ListFilters(OrderFilters):
    """The order list's filters: the orders' own, and the refund standing (``RefundStanding``
    value, or empty for any), which only this layer knows."""

    refund: str = ""

    @property
    def narrowed(self) -> bool:
        return super().narrowed or bool(self.refund)


def order_listing(*, principal: Principal, filters: ListFilters) -> OrderSearch:
    """The order list (back office, API, exports): ``orders.selectors.order_search`` and the
    refund filter."""
    found = order_search(principal=principal, filters=filters)
    if filters.refund not in RefundStanding.values:
        return found
    return replace(found, orders=found.orders.filter(_refund_standing(filters.refund)))


def _refund_standing(standing: str) -> Q:
    # Refunds are few beside orders: "the orders among these refunds' orders" reads the refunds
    # once (a hashed set), where a per-order EXISTS would probe every order in scope.
    def having(states: Iterable[str]) -> Q:
        return Q(pk__in=Refund.objects.filter(state__in=list(states)).values("order_id"))

    in_flight, done = having(REFUND_STATES_IN_FLIGHT), having(REFUND_STATES_DONE)
    if standing == RefundStanding.IN_PROGRESS:
        return in_flight
    if standing == RefundStanding.REFUNDED:
        return done
    if standing == RefundStanding.FAILED:
        return having([RefundState.FAILED]) & ~in_flight & ~done
    return ~in_flight & ~done  # NONE
