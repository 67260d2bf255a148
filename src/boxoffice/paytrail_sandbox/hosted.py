"""The hosted payment page (spec §2.2 ``href``): the customer picks a method and an outcome.

It plays Paytrail's page and the bank's in one: GET shows the payment, POST with an ``action``
settles it, fires the callbacks and sends the browser back to the merchant with the signed query.
A POST with only ``provider`` is a merchant-rendered provider form (§2.2 ``providers[]``); it
shows the page with that method chosen. CSRF-exempt: those forms come from the merchant's site,
and the page keeps no session to protect.
"""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from boxoffice.common.money import format_eur
from boxoffice.paytrail_sandbox import control, merchants, payments
from boxoffice.paytrail_sandbox.callbacks import SandboxRedirect, dispatch
from boxoffice.paytrail_sandbox.models import PaymentStatus, SandboxPayment

ACTIONS = {
    "pay": PaymentStatus.OK,
    "fail": PaymentStatus.FAIL,
    "pending": PaymentStatus.PENDING,
    "delayed": PaymentStatus.DELAYED,
}


def money(cents: int, language: str) -> str:
    # Finnish and Swedish speakers in Finland both write 15,25 €.
    return format_eur(Decimal(cents) / 100, "en" if language == "EN" else "fi")


def _context(payment: SandboxPayment, provider: str, error: str = "") -> dict[str, Any]:
    lines = [
        {
            "name": item.get("description") or item.get("productCode", ""),
            "units": item.get("units", 1),
            "unit_price": money(item.get("unitPrice", 0), payment.language),
            "total": money(item.get("unitPrice", 0) * item.get("units", 1), payment.language),
            "vat": item.get("vatPercentage"),
        }
        for item in payment.items
    ]
    groups = [
        {"name": name, "providers": [p for p in payments.PROVIDERS if p.group == group]}
        for group, name in payments.GROUP_NAMES.items()
    ]
    return {
        "payment": payment,
        "merchant": merchants.display_name(payment.account),
        "amount": money(payment.amount, payment.language),
        "lines": lines,
        "groups": groups,
        "chosen": provider if provider in payments.PROVIDER_IDS else payments.PROVIDERS[0].id,
        "is_new": payment.status == PaymentStatus.NEW,
        "error": error,
    }


def _page(
    request: HttpRequest,
    payment: SandboxPayment,
    provider: str = "",
    *,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    return render(
        request, "paytrail_sandbox/pay.html", _context(payment, provider, error), status=status
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, transaction_id: str) -> HttpResponse:
    payment = SandboxPayment.objects.filter(transaction_id=transaction_id).first()
    if payment is None:
        return render(
            request,
            "paytrail_sandbox/not_found.html",
            {"transaction_id": transaction_id},
            status=404,
        )
    provider = request.POST.get("provider", "")
    action = request.POST.get("action", "")
    if request.method == "GET" or not action:
        return _page(request, payment, provider)
    if action not in ACTIONS or provider not in payments.PROVIDER_IDS:
        error = "Choose a payment method and an outcome."
        return _page(request, payment, provider, status=400, error=error)
    try:
        payment, outgoing = payments.complete_payment(transaction_id, ACTIONS[action], provider)
    except payments.TransitionRefused:
        # A second tab or the back button: the payment has been settled already.
        payment.refresh_from_db()
        error = "This payment is already settled."
        return _page(request, payment, provider, status=409, error=error)
    response = SandboxRedirect(payments.redirect_url(payment))
    dispatch(
        outgoing,
        response=response,
        before_response=control.get_control().callback_before_response,
    )
    return response
