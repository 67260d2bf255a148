"""Back-office pages. Thin: parse input, call one selector or service, render."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from boxoffice.accounts.permissions import Action
from boxoffice.backoffice.forms import (
    CustomerForm,
    MarkPaidForm,
    MarkRefundedForm,
    ParticipantForm,
)
from boxoffice.backoffice.helpers import (
    Outcome,
    actor,
    confirmed_action,
    detail_context,
    order_or_404,
    posted,
)
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.errors import DomainError
from boxoffice.common.money import format_eur
from boxoffice.orders import selectors, services
from boxoffice.orders.models import OrderStatus, Ticket, TicketState
from boxoffice.payments import marking


@login_required
def order_detail(request: HttpRequest, code: str) -> HttpResponse:
    order = order_or_404(request, code)
    return render(request, "backoffice/order_detail.html", detail_context(request, order))


@login_required
@require_POST
def order_customer_update(request: HttpRequest, code: str) -> HttpResponse:
    order = order_or_404(request, code, Action.EDIT_CUSTOMER)
    form = CustomerForm(request.POST)
    if not form.is_valid():
        context = detail_context(request, order)
        context["customer_form"] = form
        return render(request, "backoffice/order_detail.html", context, status=400)
    changes = services.order_update_customer(
        order=order,
        actor=actor(request),
        email=form.cleaned_data["email"],
        name=form.cleaned_data["name"],
        phone=form.cleaned_data["phone"],
        language=form.cleaned_data["language"],
    )
    if changes:
        messages.success(request, _("Customer information saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect("backoffice:order_detail", code=order.code)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_participant(request: HttpRequest, code: str, ticket_id: int) -> HttpResponse:
    order = order_or_404(request, code)
    try:
        ticket = selectors.order_ticket(order, ticket_id)
    except Ticket.DoesNotExist:
        raise Http404 from None
    principal = request_principal(request)
    can_edit = principal.can(Action.EDIT_CUSTOMER, order.organizer_id) and (
        ticket.state == TicketState.VALID
    )
    form = ParticipantForm(request.POST if request.method == "POST" else None, ticket=ticket)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                changes = services.ticket_update_participant(
                    ticket=ticket,
                    actor=actor(request),
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    fields=form.extra_fields() if ticket.participant_fields else None,
                )
            except DomainError as error:
                messages.error(request, error.message)
                return redirect("backoffice:order_detail", code=order.code)
            messages.success(request, _("Participant saved.") if changes else _("Nothing changed."))
            return redirect("backoffice:order_detail", code=order.code)
    return render(
        request,
        "backoffice/ticket_participant.html",
        {"order": order, "ticket": ticket, "form": form, "can_edit": can_edit},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_mark_paid(request: HttpRequest, code: str) -> HttpResponse:
    order = order_or_404(request, code, Action.MARK_PAID)

    def perform(data: dict[str, Any]) -> Outcome:
        if order.status == OrderStatus.PAID:
            return messages.INFO, _("Order %(code)s was already paid.") % {"code": order.code}
        marking.order_mark_paid_by_hand(
            order=order, actor=actor(request), reference=data["reference"]
        )
        return messages.SUCCESS, _("Order %(code)s is marked as paid.") % {"code": order.code}

    return confirmed_action(
        request, order, MarkPaidForm(posted(request)), "backoffice/order_mark_paid.html", perform
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_mark_refunded(request: HttpRequest, code: str) -> HttpResponse:
    order = order_or_404(request, code, Action.REFUND)

    def perform(data: dict[str, Any]) -> Outcome:
        refund = marking.order_mark_refunded(
            order=order, actor=actor(request), reference=data["reference"], note=data["note"]
        )
        amount = format_eur(refund.amount, get_language() or "fi")
        return messages.SUCCESS, _("Order %(code)s is marked as refunded (%(amount)s).") % {
            "code": order.code,
            "amount": amount,
        }

    return confirmed_action(
        request,
        order,
        MarkRefundedForm(posted(request)),
        "backoffice/order_mark_refunded.html",
        perform,
    )
