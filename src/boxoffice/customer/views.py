"""The customer's order pages (the seed's "payment URL"): pay, download, edit participants, return.

Every page is reached with the order's secret link; a wrong code or secret is the same 404.
Every write is rate limited per client address and recorded with the customer as actor.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from boxoffice.common.errors import DomainError
from boxoffice.common.ratelimit import rate_limit
from boxoffice.customer import presenters
from boxoffice.customer.selectors import order_by_secret
from boxoffice.documents import downloads
from boxoffice.orders import rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, Ticket
from boxoffice.orders.returns import order_request_return
from boxoffice.orders.selectors import order_ticket, order_tickets
from boxoffice.orders.services import ticket_update_participant
from boxoffice.payments.paytrail.payments import payment_start

View = Callable[..., HttpResponse]


def _order(code: str, secret: str) -> Order:
    try:
        return order_by_secret(code=code, secret=secret)
    except Order.DoesNotExist:
        raise Http404 from None


def _customer(order: Order) -> Actor:
    return Actor.customer(order.customer_email)


def _back(order: Order) -> HttpResponse:
    return redirect("customer:order", order.code, order.secret)


@rate_limit("customer_page")
def order_page(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    order = _order(code, secret)
    tickets = list(order_tickets(order))
    return render(
        request,
        "customer/order.html",
        {"order": order, "tickets": tickets, "can": presenters.customer_actions(order)},
    )


@rate_limit("customer_write", methods=("POST",))
@require_http_methods(["GET", "POST"])
def order_pay(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    """Start a Paytrail payment and send the customer to its page (POST: it creates one)."""
    order = _order(code, secret)
    if request.method == "GET":
        return _back(order)
    try:
        href = payment_start(order=order)
    except DomainError as error:
        messages.error(request, error.message)
        return _back(order)
    return redirect(href)


# -- documents ---------------------------------------------------------------------------------


@rate_limit("customer_page")
def tickets_download(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    order = _order(code, secret)
    try:
        download = downloads.tickets_download(order=order, actor=_customer(order))
    except DomainError as error:
        messages.error(request, error.message)
        return _back(order)
    return download.response()


@rate_limit("customer_page")
def ticket_download(request: HttpRequest, code: str, secret: str, ticket_id: int) -> HttpResponse:
    order = _order(code, secret)
    try:
        ticket = order_ticket(order, ticket_id)
        download = downloads.ticket_download(ticket=ticket, actor=_customer(order))
    except Ticket.DoesNotExist:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.message)
        return _back(order)
    return download.response()


@rate_limit("customer_page")
def receipt_download(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    order = _order(code, secret)
    try:
        download = downloads.receipt_download(order=order, actor=_customer(order))
    except DomainError as error:
        messages.error(request, error.message)
        return _back(order)
    return download.response()


# -- participant details -----------------------------------------------------------------------


class ParticipantForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254, required=False)


@rate_limit("customer_write", methods=("POST",))
@require_http_methods(["GET", "POST"])
def participant_edit(request: HttpRequest, code: str, secret: str, ticket_id: int) -> HttpResponse:
    order = _order(code, secret)
    try:
        ticket = order_ticket(order, ticket_id)
    except Ticket.DoesNotExist:
        raise Http404 from None
    refusal = rules.edit_participant(order, ticket, customer=True).reason or None
    initial = {"name": ticket.participant_name, "email": ticket.participant_email}
    form = ParticipantForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            changes = ticket_update_participant(
                ticket=ticket,
                actor=_customer(order),
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if changes:
                messages.success(request, _("The participant details are saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return _back(order)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "customer/participant.html",
        {"order": order, "ticket": ticket, "form": form, "refusal": refusal},
        status=status,
    )


# -- returns -----------------------------------------------------------------------------------


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you want to return the order? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@rate_limit("customer_write", methods=("POST",))
@require_http_methods(["GET", "POST"])
def return_request(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    order = _order(code, secret)
    form = ReturnForm(request.POST if request.method == "POST" else None)
    refusal = rules.request_return(order).reason or None
    if request.method == "POST" and form.is_valid():
        try:
            order_request_return(
                order=order, actor=_customer(order), reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your return request was sent. The organizer will answer you by email."),
            )
        return _back(order)
    context: dict[str, Any] = {
        "order": order,
        "form": form,
        "refusal": refusal,
        "deadline": rules.returns_deadline(order),
    }
    return render(request, "customer/return.html", context)
