"""Endpoints Paytrail calls: server-to-server callbacks (GET, signed query)."""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.views.decorators.http import require_GET

from boxoffice.payments import paytrail_refunds
from boxoffice.payments.callbacks import verified_params

logger = logging.getLogger(__name__)


@require_GET
def paytrail_refund_callback(request: HttpRequest, outcome: str) -> HttpResponse:
    """Refund finished (``success``) or failed (``cancel``). Idempotent: Paytrail may repeat it."""
    params = verified_params(request.GET)
    if params is None:
        logger.warning("refund callback with a bad signature: %s", request.GET.urlencode())
        return HttpResponseBadRequest("bad signature")
    if not paytrail_refunds.record_callback(params):
        return HttpResponseNotFound("unknown refund")
    return HttpResponse("ok")
