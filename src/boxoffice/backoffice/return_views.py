"""A customer's return request: "Accept return" (cancel and refund) or "Decline return"."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from boxoffice.accounts.permissions import Action
from boxoffice.backoffice import presenters
from boxoffice.backoffice.helpers import (
    Outcome,
    actor,
    confirmed_action,
    order_or_404,
    posted,
)
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.orders.returns import order_decline_return
from boxoffice.payments.services import order_accept_return


class AcceptReturnForm(forms.Form):
    pass  # nothing to ask: the page says what will happen


class DeclineReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (emailed to the customer)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _return_order(request: HttpRequest, code: str) -> Order:
    # Accepting cancels and refunds, so both rights are needed (DESIGN §6: manager or owner).
    order = order_or_404(request, code, Action.CANCEL)
    order_or_404(request, code, Action.REFUND)
    return order


def _not_open(order: Order) -> Outcome | None:
    if order.status == OrderStatus.RETURN_REQUESTED:
        return None
    return messages.INFO, _("Order %(code)s has no open return request (it is %(status)s).") % {
        "code": order.code,
        "status": order.get_status_display(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def order_accept_return_view(request: HttpRequest, code: str) -> HttpResponse:
    order = _return_order(request, code)

    def perform(data: dict[str, Any]) -> Outcome:
        if (refused := _not_open(order)) is not None:
            return refused
        refund = order_accept_return(order=order, actor=actor(request))
        order.refresh_from_db()  # the message reads the order as the service left it
        accepted = _("Return accepted: order %(code)s is cancelled and its tickets are void.") % {
            "code": order.code
        }
        return messages.SUCCESS, f"{accepted} {presenters.refund_message(refund, order)}"

    return confirmed_action(
        request,
        order,
        AcceptReturnForm(posted(request)),
        "backoffice/order_accept_return.html",
        perform,
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_decline_return_view(request: HttpRequest, code: str) -> HttpResponse:
    order = _return_order(request, code)

    def perform(data: dict[str, Any]) -> Outcome:
        if (refused := _not_open(order)) is not None:
            return refused
        order_decline_return(order=order, actor=actor(request), reason=data["reason"])
        return messages.SUCCESS, _(
            "Return declined: order %(code)s stays paid and the customer has been emailed."
        ) % {"code": order.code}

    return confirmed_action(
        request,
        order,
        DeclineReturnForm(posted(request)),
        "backoffice/order_decline_return.html",
        perform,
    )
