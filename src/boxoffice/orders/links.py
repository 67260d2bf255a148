"""The customer's secret link to their order: the seed's "payment URL".

Built here only: the back office shows it, the API returns it, emails carry it.
"""

from django.http import HttpRequest
from django.urls import reverse

from boxoffice.common.links import absolute_url
from boxoffice.orders.models import Order


def customer_link(order: Order, request: HttpRequest | None = None) -> str:
    """Where the customer pays, downloads tickets and corrects participants (absolute)."""
    return absolute_url(reverse("customer:order", args=[order.code, order.secret]), request)
