"""One API round trip: verify the signed request (spec §1, §6.1) and sign the answer (§6.2)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest

from boxoffice.payments.paytrail.signing import ALGORITHMS, SignatureError, sign, verify
from boxoffice.paytrail_sandbox.callbacks import SandboxResponse
from boxoffice.paytrail_sandbox.merchants import candidate_secrets
from boxoffice.paytrail_sandbox.models import LogKind, SandboxControl, SandboxLogEntry

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
REQUIRED_HEADERS = (
    "checkout-account",
    "checkout-algorithm",
    "checkout-method",
    "checkout-nonce",
    "checkout-timestamp",
)


class ApiError(Exception):
    """An error answer in Paytrail's shape: ``{"status":"error","message":...,"meta":...}``."""

    def __init__(self, status: int, message: str, meta: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.meta = meta

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": "error", "message": self.message}
        if self.meta is not None:
            data["meta"] = self.meta
        return data


@dataclass(frozen=True)
class Caller:
    """A merchant whose request verified: who it is and how to sign the answer."""

    account: str
    secret: str
    algorithm: str
    method: str
    nonce: str


def checkout_headers(request: HttpRequest) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in request.headers.items()
        if name.lower().startswith("checkout-")
    }


def authenticate(
    request: HttpRequest, *, transaction_id: str | None, control: SandboxControl
) -> Caller:
    """The verified caller, or ApiError(401).

    ``transaction_id`` is the path's id on single-transaction calls, where the spec requires the
    ``checkout-transaction-id`` header to repeat it (§1.1).
    """
    headers = checkout_headers(request)
    for name in REQUIRED_HEADERS:
        if not headers.get(name):
            raise ApiError(401, f"Missing required header {name}")
    algorithm = headers["checkout-algorithm"]
    if algorithm not in ALGORITHMS:
        raise ApiError(401, f"Unsupported checkout-algorithm {algorithm}")
    if headers["checkout-method"] != request.method:
        raise ApiError(401, "checkout-method does not match the HTTP method")
    if transaction_id is not None and headers.get("checkout-transaction-id") != transaction_id:
        raise ApiError(401, "checkout-transaction-id does not match the transaction in the path")
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(401, "Body is not UTF-8, so its signature cannot match") from None
    secret = _verifying_secret(headers, body, request.headers.get("signature"))
    account = headers["checkout-account"]
    if control.max_clock_skew_seconds is not None:
        _check_clock(headers["checkout-timestamp"], control.max_clock_skew_seconds)
    nonce = headers["checkout-nonce"]
    if control.reject_nonce_replay and _nonce_used(account, nonce):
        raise ApiError(401, "Duplicate checkout-nonce")
    return Caller(
        account=account,
        secret=secret,
        algorithm=algorithm,
        method=request.method or "",
        nonce=nonce,
    )


def _verifying_secret(headers: dict[str, str], body: str, signature: str | None) -> str:
    for secret in candidate_secrets(headers["checkout-account"]):
        try:
            verify(headers, body, secret, signature)
        except SignatureError:
            continue
        return secret
    # An unknown account and a wrong signature look the same from outside, as at Paytrail.
    raise ApiError(401, "Invalid signature")


def _check_clock(timestamp: str, max_skew: int) -> None:
    try:
        sent = datetime.fromisoformat(timestamp)
    except ValueError:
        raise ApiError(401, "checkout-timestamp is not an ISO 8601 time") from None
    if sent.tzinfo is None:
        raise ApiError(401, "checkout-timestamp has no time zone")
    if abs((datetime.now(UTC) - sent).total_seconds()) > max_skew:
        raise ApiError(401, "checkout-timestamp is too far from the server's clock")


def _nonce_used(account: str, nonce: str) -> bool:
    return SandboxLogEntry.objects.filter(
        kind=LogKind.API, account=account, nonce=nonce, authenticated=True
    ).exists()


def json_text(data: Any) -> str:
    # Compact, like Paytrail's own answers; the signature covers exactly these characters.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def respond(
    status: int,
    data: Any,
    *,
    request_id: str,
    caller: Caller | None,
    transaction_id: str | None = None,
) -> SandboxResponse:
    """A JSON answer, signed for ``caller`` (unsigned when the caller could not be verified: the
    sandbox cannot know which secret it holds)."""
    text = json_text(data)
    response = SandboxResponse(text.encode("utf-8"), status=status, content_type=JSON_CONTENT_TYPE)
    response["request-id"] = request_id
    if caller is not None:
        headers = {
            "checkout-account": caller.account,
            "checkout-algorithm": caller.algorithm,
            "checkout-method": caller.method,
        }
        if transaction_id:
            headers["checkout-transaction-id"] = transaction_id
        for name, value in headers.items():
            response[name] = value
        response["signature"] = sign(headers, text, caller.secret, caller.algorithm)
    return response
