"""Refund pages: "Refund order" and the platform's manual refund queue (a cancel with its refund:
cancel_views)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from boxoffice.accounts.permissions import Action
from boxoffice.backoffice import presenters
from boxoffice.backoffice.helpers import (
    Outcome,
    actor,
    confirmed_action,
    order_or_404,
    posted,
)
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.errors import DomainError
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.payments import selectors as payment_selectors
from boxoffice.payments import services
from boxoffice.payments.models import Refund


class RefundForm(forms.Form):
    """No fields: the amount is what is still refundable, computed under the order's lock."""


def _in_flight(order: Order) -> bool:
    return order.refunds.filter(state__in=services.IN_FLIGHT).exists()


@login_required
@require_http_methods(["GET", "POST"])
def order_refund(request: HttpRequest, code: str) -> HttpResponse:
    order = order_or_404(request, code, Action.REFUND)

    def perform(data: dict[str, Any]) -> Outcome:
        if order.status == OrderStatus.RETURNED:
            return messages.INFO, _("The order is already refunded.")
        if _in_flight(order):
            return messages.INFO, _("A refund of this order is already on its way.")
        refund = services.refund_request(order=order, actor=actor(request))
        return messages.SUCCESS, presenters.refund_message(refund, order)

    return confirmed_action(
        request, order, RefundForm(posted(request)), "backoffice/order_refund.html", perform
    )


# -- the platform's manual refund queue ---------------------------------------------------------


class CompleteRefundForm(forms.Form):
    reference = forms.CharField(
        label=gettext_lazy("Reference (e.g. Epassi cancellation code, credit note number)"),
        max_length=200,
    )


def _staff_only(request: HttpRequest) -> None:
    if not request_principal(request).is_platform_staff:
        raise Http404


@login_required
def platform_refunds(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    return render(
        request,
        "backoffice/platform_refunds.html",
        {
            "queue": payment_selectors.manual_refund_queue(),
            "done": payment_selectors.manual_refunds_done(limit=20),
            "form": CompleteRefundForm(),
        },
    )


@login_required
@require_POST
def platform_refund_complete(request: HttpRequest, refund_id: int) -> HttpResponse:
    _staff_only(request)
    try:
        refund = Refund.objects.select_related("order").get(pk=refund_id)
    except Refund.DoesNotExist:
        raise Http404 from None
    form = CompleteRefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the reference of the refund."))
        return redirect("backoffice:platform_refunds")
    try:
        services.refund_complete_manual(
            refund=refund, actor=actor(request), reference=form.cleaned_data["reference"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Refund of order %(code)s is recorded as done.") % {"code": refund.order.code},
        )
    return redirect("backoffice:platform_refunds")
