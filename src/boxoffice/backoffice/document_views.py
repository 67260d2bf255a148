"""The seed's "Receipts" section: Resend Tickets, Download Tickets, Download Receipt, and the
per-ticket download of the products table. Downloads and resends are written to the history."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from boxoffice.accounts.permissions import Action
from boxoffice.backoffice.helpers import actor, detail_context, order_or_404, posted
from boxoffice.common.errors import DomainError
from boxoffice.documents import downloads
from boxoffice.notifications.services import email_resend_tickets
from boxoffice.orders import selectors
from boxoffice.orders.models import Order, Ticket


def _refused(request: HttpRequest, order: Order, error: DomainError) -> HttpResponse:
    messages.error(request, error.message)
    return redirect("backoffice:order_detail", code=order.code)


@login_required
def order_tickets_download(request: HttpRequest, code: str) -> HttpResponse:
    order = order_or_404(request, code, Action.DOWNLOAD)
    try:
        download = downloads.tickets_download(order=order, actor=actor(request))
    except DomainError as error:
        return _refused(request, order, error)
    return download.response()


@login_required
def ticket_download(request: HttpRequest, code: str, ticket_id: int) -> HttpResponse:
    order = order_or_404(request, code, Action.DOWNLOAD)
    try:
        ticket = selectors.order_ticket(order, ticket_id)
        download = downloads.ticket_download(ticket=ticket, actor=actor(request))
    except Ticket.DoesNotExist:
        raise Http404 from None
    except DomainError as error:
        return _refused(request, order, error)
    return download.response()


@login_required
def receipt_download(request: HttpRequest, code: str) -> HttpResponse:
    order = order_or_404(request, code, Action.DOWNLOAD)
    try:
        download = downloads.receipt_download(order=order, actor=actor(request))
    except DomainError as error:
        return _refused(request, order, error)
    return download.response()


class ResendForm(forms.Form):
    to = forms.EmailField(
        label=gettext_lazy("Send to another address (optional)"),
        required=False,
        max_length=254,
        help_text=gettext_lazy("Empty: the customer's address on the order."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_resend_tickets(request: HttpRequest, code: str) -> HttpResponse:
    order = order_or_404(request, code, Action.RESEND)
    form = ResendForm(posted(request))
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["to"] or None
        try:
            email_resend_tickets(order=order, actor=actor(request), to=to)
        except DomainError as error:
            return _refused(request, order, error)
        messages.success(
            request,
            _("The tickets are on their way to %(email)s.") % {"email": to or order.customer_email},
        )
        return redirect("backoffice:order_detail", code=order.code)
    context = detail_context(request, order)
    context["form"] = form
    return render(request, "backoffice/order_resend.html", context)
