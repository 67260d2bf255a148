"""The JSON API: POST payments, GET payments/{id}, POST payments/{id}/refund (spec §2, §4, §5).

Every call goes through ``_api_call``: wait the configured latency, authenticate (401), apply
the failure switches, run the handler, sign the answer, log the call, then deliver callbacks
after the answer has been sent (or before it, when the switch says so).
"""

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from boxoffice.paytrail_sandbox import control, payments, refunds
from boxoffice.paytrail_sandbox.callbacks import Outgoing, SandboxResponse, dispatch
from boxoffice.paytrail_sandbox.models import (
    LogKind,
    SandboxControl,
    SandboxLogEntry,
    SandboxPayment,
)
from boxoffice.paytrail_sandbox.transport import ApiError, Caller, authenticate, respond
from boxoffice.paytrail_sandbox.validation import validate_create


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    transaction_id: str | None = None  # for the checkout-transaction-id response header
    outgoing: Outgoing = field(default_factory=Outgoing)
    payment_transaction_id: str = ""  # what the log files the call under


Handler = Callable[[HttpRequest, Caller, str | None], Answer]


def _api_call(
    request: HttpRequest, *, method: str, transaction_id: str | None, handler: Handler
) -> HttpResponse:
    _latency()
    with control.for_one_call() as switches:
        return _answer(
            request,
            method=method,
            transaction_id=transaction_id,
            handler=handler,
            switches=switches,
        )


def _answer(
    request: HttpRequest,
    *,
    method: str,
    transaction_id: str | None,
    handler: Handler,
    switches: SandboxControl,
) -> HttpResponse:
    request_id = str(uuid.uuid4())
    caller: Caller | None = None
    answer: Answer
    if request.method != method:
        answer = Answer(405, ApiError(405, f"Method {request.method} not allowed").body())
    else:
        try:
            caller = authenticate(request, transaction_id=transaction_id, control=switches)
            if control.take_failure():
                # Injected before the handler runs: the sandbox did nothing.
                raise ApiError(500, "Internal server error (injected by the Paytrail sandbox)")
            answer = handler(request, caller, transaction_id)
        except ApiError as error:
            answer = Answer(error.status, error.body(), transaction_id)
    response = respond(
        answer.status,
        answer.body,
        request_id=request_id,
        caller=caller,
        transaction_id=answer.transaction_id,
    )
    dispatch(answer.outgoing, response=response, before_response=switches.callback_before_response)
    hang = control.take_hang() if caller is not None else None
    if switches.record or switches.reject_nonce_replay:
        _log(request, request_id, caller, answer, response, transaction_id)
    if hang:
        # After the work is done and logged: like a real timeout, the call may have taken effect.
        time.sleep(hang)
    return response


def _latency() -> None:
    """Wait as the real service would take to answer (PAYTRAIL_SANDBOX_LATENCY_MS)."""
    seconds = settings.PAYTRAIL_SANDBOX_LATENCY_MS / 1000
    if seconds > 0:
        time.sleep(seconds)


def _log(
    request: HttpRequest,
    request_id: str,
    caller: Caller | None,
    answer: Answer,
    response: SandboxResponse,
    transaction_id: str | None,
) -> None:
    SandboxLogEntry.objects.create(
        kind=LogKind.API,
        payment_transaction_id=answer.payment_transaction_id,
        transaction_id=transaction_id or answer.transaction_id or "",
        status_code=answer.status,
        method=request.method or "",
        path=request.path,
        account=request.headers.get("checkout-account", "")[:40],
        authenticated=caller is not None,
        nonce=request.headers.get("checkout-nonce", "")[:200],
        request_id=request_id,
        request_body=request.body.decode("utf-8", errors="replace"),
        response_body=response.content.decode("utf-8"),
    )


def _json_body(request: HttpRequest) -> tuple[dict[str, Any], str]:
    raw = request.body.decode("utf-8")  # authenticate() has checked that it is UTF-8
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Body must be a JSON object")
    return data, raw


def hosted_href(request: HttpRequest, transaction_id: str) -> str:
    # From the request, so the link works on whatever host and port the sandbox answers.
    return request.build_absolute_uri(reverse("paytrail_sandbox:pay", args=[transaction_id]))


# -- handlers ----------------------------------------------------------------------------------


def _create(request: HttpRequest, caller: Caller, _: str | None) -> Answer:
    data, raw = _json_body(request)
    problems = validate_create(data)
    if problems:
        raise ApiError(400, "Validation failed", problems)
    payment = payments.create_payment(caller=caller, data=data, raw=raw)
    body = payments.created_body(
        payment,
        href=hosted_href(request, payment.transaction_id),
        icon=request.build_absolute_uri(static("paytrail_sandbox/provider.svg")),
        groups=data.get("groups"),
    )
    return Answer(201, body, payment.transaction_id, payment_transaction_id=payment.transaction_id)


def _status(request: HttpRequest, caller: Caller, transaction_id: str | None) -> Answer:
    assert transaction_id is not None
    payment = SandboxPayment.objects.filter(
        transaction_id=transaction_id, account=caller.account, secret=caller.secret
    ).first()
    if payment is not None:
        body = payments.status_body(payment, href=hosted_href(request, transaction_id))
        return Answer(200, body, transaction_id, payment_transaction_id=transaction_id)
    refund = refunds.own_refund(caller, transaction_id)
    if refund is None:
        raise ApiError(404, "Transaction not found")
    return Answer(
        200,
        refunds.status_body(refund),
        transaction_id,
        payment_transaction_id=refund.payment.transaction_id,
    )


def _refund(email_only: bool) -> Handler:
    def handle(request: HttpRequest, caller: Caller, transaction_id: str | None) -> Answer:
        assert transaction_id is not None
        data, raw = _json_body(request)
        result = refunds.create_refund(
            caller=caller,
            payment_transaction_id=transaction_id,
            data=data,
            raw=raw,
            email_only=email_only,
        )
        return Answer(
            201,
            result.body,
            transaction_id,
            outgoing=result.outgoing,
            payment_transaction_id=transaction_id,
        )

    return handle


# -- views -------------------------------------------------------------------------------------


@csrf_exempt
def create_payment(request: HttpRequest) -> HttpResponse:
    return _api_call(request, method="POST", transaction_id=None, handler=_create)


@csrf_exempt
def payment_status(request: HttpRequest, transaction_id: str) -> HttpResponse:
    return _api_call(request, method="GET", transaction_id=transaction_id, handler=_status)


@csrf_exempt
def refund(request: HttpRequest, transaction_id: str) -> HttpResponse:
    return _api_call(request, method="POST", transaction_id=transaction_id, handler=_refund(False))


@csrf_exempt
def refund_email(request: HttpRequest, transaction_id: str) -> HttpResponse:
    """The deprecated email refund (spec §5.3): email required, always an email refund."""
    return _api_call(request, method="POST", transaction_id=transaction_id, handler=_refund(True))
