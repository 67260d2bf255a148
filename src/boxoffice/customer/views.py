"""The customer's order page (the seed's "payment URL")."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from boxoffice.customer.selectors import order_by_secret
from boxoffice.orders.models import Order
from boxoffice.orders.selectors import order_tickets


def order_page(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    try:
        order = order_by_secret(code=code, secret=secret)
    except Order.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "customer/order.html",
        {"order": order, "tickets": list(order_tickets(order))},
    )
