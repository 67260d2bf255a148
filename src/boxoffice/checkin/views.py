"""The door scanners' JSON endpoint: ``POST /checkin/v1/scan`` with a device's bearer token.

Token authentication, no cookies, so no CSRF. Every input gets a JSON answer: 200 with the
scan's answer, 400 for a body that is not ``{"secret": "..."}``, 401 for a missing, unknown or
revoked token, 405 for other methods; never a 500 for anything a client can send.
"""

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from boxoffice.checkin import selectors, services
from boxoffice.checkin.models import CheckinDevice
from boxoffice.checkin.services import ScanResult
from boxoffice.common import ratelimit

# Far above any ticket code; the rest of a longer value is not looked at.
MAX_SECRET_LENGTH = 500


def _error(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _bearer_device(request: HttpRequest) -> CheckinDevice | None:
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return selectors.checkin_device_for_token(token.strip())


def _parse_secret(request: HttpRequest) -> tuple[str | None, JsonResponse | None]:
    try:
        body: Any = json.loads(request.body)
    except RequestDataTooBig:
        return None, _error(400, "invalid_json", _("The request body is too large."))
    except (ValueError, RecursionError):
        return None, _error(400, "invalid_json", _("The request body is not valid JSON."))
    secret = body.get("secret") if isinstance(body, dict) else None
    if not isinstance(secret, str) or not secret.strip():
        return None, _error(
            400,
            "missing_secret",
            _('Send a JSON object with the scanned code as "secret", e.g. {"secret": "..."}.'),
        )
    return secret[:MAX_SECRET_LENGTH], None


def scan_payload(result: ScanResult) -> dict[str, Any]:
    ticket = result.ticket
    return {
        "answer": result.answer,
        "checked_in_at": (
            result.checked_in_at.isoformat(timespec="seconds") if result.checked_in_at else None
        ),
        "ticket": (
            {"product": ticket.product.name, "participant_name": ticket.participant_name}
            if ticket is not None
            else None
        ),
        "order_code": ticket.order.code if ticket is not None else None,
    }


@csrf_exempt
def scan(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "method_not_allowed", _("Use POST."), Allow="POST")
    # Per address before the token is looked at (nobody guesses tokens at speed), then per
    # device (a stuck scanner cannot flood the log).
    retry_after = ratelimit.hit_scope("checkin_ip", ratelimit.client_key(request))
    device = _bearer_device(request) if retry_after is None else None
    if device is not None and retry_after is None:
        retry_after = ratelimit.hit_scope("checkin_device", str(device.pk))
    if retry_after is not None:
        return _error(
            429,
            "rate_limited",
            _("Too many requests. Try again in %(seconds)s s.") % {"seconds": retry_after},
            **{"Retry-After": str(retry_after)},
        )
    if device is None:
        return _error(
            401,
            "unauthorized",
            _("A valid check-in device token is required (Authorization: Bearer <token>)."),
            **{"WWW-Authenticate": "Bearer"},
        )
    secret, error = _parse_secret(request)
    if error is not None:
        return error
    assert secret is not None
    result = services.checkin_scan(
        secret=secret, event=device.event, device=device, actor=services.device_actor(device)
    )
    return JsonResponse(scan_payload(result))
