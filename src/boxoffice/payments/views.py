"""Endpoints Paytrail calls: server-to-server callbacks (GET, signed query)."""

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from boxoffice.payments import refund_callbacks
from boxoffice.payments.models import DiscrepancySource, PaymentState
from boxoffice.payments.paytrail import payments as paytrail_payments
from boxoffice.payments.paytrail.callbacks import verified_params

logger = logging.getLogger(__name__)


@require_GET
def paytrail_refund_callback(request: HttpRequest, outcome: str) -> HttpResponse:
    """Refund finished (``success``) or failed (``cancel``). Idempotent: Paytrail may repeat it."""
    params = verified_params(request.GET)
    if params is None:
        logger.warning("refund callback with a bad signature: %s", request.GET.urlencode())
        return HttpResponseBadRequest("bad signature")
    if not refund_callbacks.record_callback(params):
        return HttpResponseNotFound("unknown refund")
    return HttpResponse("ok")


@require_GET
def paytrail_payment_callback(request: HttpRequest, outcome: str) -> HttpResponse:
    """Server-to-server news of a payment (ok / fail / pending). Idempotent."""
    params = verified_params(request.GET)
    if params is None:
        logger.warning("payment callback with a bad signature: %s", request.GET.urlencode())
        return HttpResponseBadRequest("bad signature")
    if paytrail_payments.payment_record(params) is None:
        return HttpResponseNotFound("unknown payment")
    return HttpResponse("ok")


@require_GET
def paytrail_return(request: HttpRequest, outcome: str) -> HttpResponse:
    """The customer's browser back from Paytrail: record what it says, show their order."""
    params = verified_params(request.GET)
    payment = None
    if params is not None:
        payment = paytrail_payments.payment_record(params, source=DiscrepancySource.REDIRECT)
    if payment is None:
        return render(request, "payments/return_unknown.html", status=400)
    order = payment.order
    if payment.state == PaymentState.CONFIRMED:
        messages.success(request, _("Thank you! Your payment was received."))
    elif payment.state == PaymentState.FAILED:
        messages.warning(request, _("The payment was not completed. You can try again."))
    else:
        messages.info(
            request, _("Your payment is being processed. This page updates when it is done.")
        )
    return redirect("customer:order", order.code, order.secret)
