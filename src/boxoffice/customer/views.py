"""The customer's order page (the seed's "payment URL")."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from boxoffice.common.errors import DomainError
from boxoffice.customer.selectors import order_by_secret
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod
from boxoffice.orders.selectors import order_tickets
from boxoffice.payments.paytrail_payments import payment_start


def order_page(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    try:
        order = order_by_secret(code=code, secret=secret)
    except Order.DoesNotExist:
        raise Http404 from None
    can_pay = (
        order.status == OrderStatus.RESERVED and order.payment_method == PaymentMethod.PAYTRAIL
    )
    return render(
        request,
        "customer/order.html",
        {"order": order, "tickets": list(order_tickets(order)), "can_pay": can_pay},
    )


@require_http_methods(["GET", "POST"])
def order_pay(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    """Start a Paytrail payment and send the customer to its page (POST: it creates one)."""
    try:
        order = order_by_secret(code=code, secret=secret)
    except Order.DoesNotExist:
        raise Http404 from None
    if request.method == "GET":
        return redirect("customer:order", order.code, order.secret)
    try:
        href = payment_start(order=order)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("customer:order", order.code, order.secret)
    return redirect(href)
