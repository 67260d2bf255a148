"""/paytrail-sandbox/_control: see and set the switches, settle pending payments and refunds.

JSON (``content-type: application/json``), for scripts and tests against a live server::

    POST {"fail_next_calls": 2, "hang_seconds": 0.5}         set switches
    POST {"reset": true}                                     every switch back to its default
    POST {"complete": {"transactionId": "...", "status": "ok", "provider": "nordea"}}
                                                             settle a payment or a pending refund

and answers ``{"switches": {...}}`` (plus ``"completed"``), or 400/404 in Paytrail's error shape.
The HTML page does the same with plain forms.

Only platform staff may use it, logged in as usual (POSTs carry the CSRF token): its switches
complete payments and fail refunds, so even in a shared staging sandbox an anonymous visitor is
sent to the login page and an organizer gets the same 404 as for any page not theirs.
"""

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from boxoffice.paytrail_sandbox import control, payments, refunds
from boxoffice.paytrail_sandbox.callbacks import SandboxResponse, dispatch
from boxoffice.paytrail_sandbox.models import (
    PaymentStatus,
    RefundStatus,
    SandboxLogEntry,
    SandboxPayment,
    SandboxRefund,
)
from boxoffice.paytrail_sandbox.transport import ApiError, json_text


def complete(transaction_id: str, status: str, provider: str | None = None) -> dict[str, Any]:
    """Settle the payment or pending refund ``transaction_id``; its callbacks go out at once.

    Raises ApiError (404 unknown, 400 not allowed).
    """
    if SandboxPayment.objects.filter(transaction_id=transaction_id).exists():
        try:
            payment, outgoing = payments.complete_payment(transaction_id, status, provider)
        except payments.TransitionRefused as exc:
            raise ApiError(400, str(exc)) from None
        dispatch(outgoing)
        return {"transactionId": transaction_id, "kind": "payment", "status": payment.status}
    if SandboxRefund.objects.filter(transaction_id=transaction_id).exists():
        try:
            refund, outgoing = refunds.complete_refund(transaction_id, status)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        dispatch(outgoing)
        return {"transactionId": transaction_id, "kind": "refund", "status": refund.status}
    raise ApiError(404, "Transaction not found")


def _apply(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    completing = data.pop("complete", None)
    if completing is not None and (
        not isinstance(completing, dict) or not isinstance(completing.get("transactionId"), str)
    ):
        raise ApiError(400, "complete needs {transactionId, status[, provider]}")
    try:
        # All or nothing: a bad switch must not leave a reset or half the changes behind.
        with transaction.atomic():
            if data.pop("reset", False):
                control.reset()
            control.set_switches(**data)
    except ValidationError as exc:
        raise ApiError(400, "; ".join(exc.messages)) from None
    answer: dict[str, Any] = {}
    if completing is not None:
        provider = completing.get("provider")
        answer["completed"] = complete(
            completing["transactionId"],
            str(completing.get("status", "")),
            provider if isinstance(provider, str) else None,
        )
    answer["switches"] = control.as_dict(control.get_control())
    return answer


def _json(status: int, data: Any) -> SandboxResponse:
    return SandboxResponse(
        json_text(data).encode("utf-8"), status=status, content_type="application/json"
    )


@login_required
@require_http_methods(["GET", "POST"])
def control_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise Http404
    if request.method == "POST" and request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return _json(400, ApiError(400, "Body is not valid JSON").body())
        try:
            if not isinstance(data, dict):
                raise ApiError(400, "Body must be a JSON object")
            return _json(200, _apply(data))
        except ApiError as error:
            return _json(error.status, error.body())
    if request.method == "POST":
        return _form_post(request)
    if "application/json" in request.headers.get("accept", ""):
        return JsonResponse({"switches": control.as_dict(control.get_control())})
    return _render(request)


def _form_post(request: HttpRequest) -> HttpResponse:
    form = request.POST.get("form")
    try:
        if form == "reset":
            control.reset()
        elif form == "switches":
            changes: dict[str, Any] = {}
            for name in control.SWITCHES:
                field = control.switch_field(name)
                if field.get_internal_type() == "BooleanField":
                    changes[name] = name in request.POST  # an unticked box is not sent
                else:
                    changes[name] = request.POST.get(name, "")
            control.set_switches(**changes)
        elif form == "complete":
            complete(
                request.POST.get("transaction_id", ""),
                request.POST.get("status", ""),
                request.POST.get("provider") or None,
            )
    except (ValidationError, ApiError) as exc:
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
        return _render(request, error=message, status=400)
    return redirect(reverse("paytrail_sandbox:control"), permanent=False)


def _render(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    switches = control.get_control()
    rows = []
    for name, help_text in control.SWITCHES.items():
        field = control.switch_field(name)
        kind = field.get_internal_type()
        rows.append(
            {
                "name": name,
                "help": help_text,
                "value": getattr(switches, name),
                "kind": {"BooleanField": "checkbox", "CharField": "select"}.get(kind, "number"),
                "choices": [value for value, _ in getattr(field, "choices", None) or []],
            }
        )
    open_payments = SandboxPayment.objects.filter(
        status__in=[PaymentStatus.NEW, PaymentStatus.PENDING, PaymentStatus.DELAYED]
    ).order_by("-id")[:20]
    pending_refunds = (
        SandboxRefund.objects.filter(status=RefundStatus.PENDING)
        .select_related("payment")
        .order_by("-id")[:20]
    )
    context = {
        "rows": rows,
        "open_payments": open_payments,
        "pending_refunds": pending_refunds,
        "log": SandboxLogEntry.objects.order_by("-id")[:30],
        "error": error,
    }
    return render(request, "paytrail_sandbox/control.html", context, status=status)
