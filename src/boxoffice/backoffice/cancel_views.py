"""Cancel order: one action that asks what happens to the money.

An order that holds refundable money is cancelled with its refund by default ("Process Refund
Immediately", as the seed says), through the route its payment method has (Paytrail by API,
Epassi, Smartum and invoices through the platform's queue). Cancelling without a refund is a
choice the person makes on the page, with its consequence spelled out; it is never what a
click on the order's only red button does by accident.
"""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from boxoffice.accounts.permissions import Action
from boxoffice.backoffice import presenters
from boxoffice.backoffice.forms import CancelForm, MoneyChoice
from boxoffice.backoffice.helpers import (
    Outcome,
    actor,
    confirmed_action,
    detail_context,
    order_or_404,
    posted,
)
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.money import format_eur
from boxoffice.orders import services as order_services
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.orders.rules import Ledger
from boxoffice.payments import services as payment_services


def _cancel(request: HttpRequest, order: Order, *, preset: str = "") -> HttpResponse:
    # The page shows the order's money anyway: the offer reads the same rows (no second read).
    context = detail_context(request, order)
    offer = presenters.cancel_offer(
        request_principal(request), order, cast(Ledger, context["ledger"])
    )
    data = posted(request)
    if data is not None and preset:
        data = data.copy()
        data["money"] = preset
    form = CancelForm(data, offer=offer)

    def perform(cleaned: dict[str, Any]) -> Outcome:
        if order.status == OrderStatus.CANCELLED:
            return messages.INFO, _(
                "Order %(code)s was already cancelled. Use Refund order to return the money."
                if offer.refundable > 0
                else "Order %(code)s was already cancelled."
            ) % {"code": order.code}
        cancelled = _("Order %(code)s is cancelled and its tickets are void.") % {
            "code": order.code
        }
        kwargs = {"reason": cleaned["reason"], "notify": not cleaned["skip_notice"]}
        if cleaned.get("money") == MoneyChoice.REFUND:
            refund = payment_services.order_cancel_and_refund(
                order=order, actor=actor(request), **kwargs
            )
            order.refresh_from_db()  # the message reads the order as the service left it
            return messages.SUCCESS, f"{cancelled} {presenters.refund_message(refund, order)}"
        order_services.order_cancel(order=order, actor=actor(request), **kwargs)
        if offer.refundable > 0:
            kept = _(
                "%(amount)s has not been refunded: use Refund order or Mark as refunded when "
                "the money goes back."
            ) % {"amount": format_eur(offer.refundable, get_language() or "fi")}
            return messages.WARNING, f"{cancelled} {kept}"
        return messages.SUCCESS, cancelled

    return confirmed_action(
        request, order, form, "backoffice/order_cancel.html", perform, {"offer": offer}, context
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, code: str) -> HttpResponse:
    return _cancel(request, order_or_404(request, code, Action.CANCEL))


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel_and_refund(request: HttpRequest, code: str) -> HttpResponse:
    """The former "Cancel and refund" page: its address opens Cancel order, and a form still
    posted to it (an open tab from before) cancels with the refund, as it said it would."""
    order = order_or_404(request, code, Action.REFUND)
    if not request_principal(request).can(Action.CANCEL, order.organizer_id):
        raise Http404
    if request.method == "GET":
        return redirect("backoffice:order_cancel", code=order.code)
    return _cancel(request, order, preset=MoneyChoice.REFUND)
