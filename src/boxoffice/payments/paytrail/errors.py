"""Errors of the Paytrail integration, each with a message fit for a person (DomainError).

Each carries its ``reason`` (payments.reasons): the code a refund or payment row stores, so the
message is shown later in the reader's language, not in the one active when it was raised.

Callers choose what to do by class:

- ``PaytrailUnavailable``: transient (timeout, connection error, 5xx); retry with backoff. Its
  ``maybe_delivered`` says whether Paytrail may have acted on the request; if so, a refund must be
  looked up (callback, GET) before it is sent again (spec §5.5), never blindly re-POSTed.
- ``PaytrailRejected``: Paytrail answered 4xx; retrying the same request will not help.
- ``PaytrailBadSignature``: the answer failed the signature check. Paytrail (or something
  pretending to be it) did receive the request, so its outcome is unknown.
- ``PaytrailError`` itself: any other unusable answer (e.g. a 2xx whose JSON cannot be read);
  also an unknown outcome.
- ``MerchantNotConfigured``: no Paytrail request was made; an organizer's settings are missing.

The functions at the end say which error an answer (or its absence) means; client.py uses them.
"""

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from boxoffice.common.errors import DomainError
from boxoffice.payments.paytrail.signing import SignatureError, verify
from boxoffice.payments.reasons import Reason

logger = logging.getLogger(__name__)


class PaytrailError(DomainError):
    """Paytrail could not do what we asked, or we could not trust or read its answer."""

    def __init__(
        self, reason: Reason, *, status_code: int | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(reason.text())
        self.reason = reason
        # Paytrail's support asks for the request-id; keep it with the error for the logs.
        self.status_code = status_code
        self.request_id = request_id


class MerchantNotConfigured(PaytrailError):
    """The order's money goes to an organizer that has no Paytrail credentials configured."""


class PaytrailUnavailable(PaytrailError):
    """Timeout, connection error or 5xx: transient, so the caller retries with backoff."""

    def __init__(
        self,
        reason: Reason,
        *,
        maybe_delivered: bool,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(reason, status_code=status_code, request_id=request_id)
        # False only when the request provably never left us (no connection was made).
        self.maybe_delivered = maybe_delivered


class PaytrailRejected(PaytrailError):
    """Paytrail answered 4xx with ``{"status": "error", "message": ..., "meta": ...}``."""

    status_code: int

    def __init__(
        self,
        reason: Reason,
        *,
        status_code: int,
        paytrail_message: str = "",
        meta: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(reason, status_code=status_code, request_id=request_id)
        # ``message`` (from DomainError) is ours, for people; these are Paytrail's own words.
        self.paytrail_message = paytrail_message
        # A list of strings per the OpenAPI file, but an object in the refund-balance error (§5.1).
        self.meta = meta


class PaytrailBadSignature(PaytrailError):
    """An answer's signature is wrong, or a 2xx answer is not signed at all."""


# -- what a failed call means ------------------------------------------------------------------

# httpx errors raised before any byte of the request left us: repeating such a call is safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def unavailable(exc: httpx.TransportError) -> PaytrailUnavailable:
    """The error for a request that got no HTTP answer at all."""
    if isinstance(exc, _NOT_SENT):
        return PaytrailUnavailable(
            Reason("connect_failed"),
            maybe_delivered=False,
        )
    # A read timeout or a dropped connection after sending: Paytrail may have acted on it.
    return PaytrailUnavailable(
        Reason("timeout"),
        maybe_delivered=True,
    )


def signature_error(
    headers: Mapping[str, str], body: str, secret: str, *, status: int, request_id: str | None
) -> PaytrailBadSignature | None:
    """The error for an answer whose signature is wrong, or missing from a 2xx; else None."""
    signature = headers.get("signature")
    if signature is None:
        # Whether Paytrail signs its 4xx answers is not confirmed (spec §1.2), so only a success
        # must be signed; an unsigned error is then trusted no further than its status code.
        if not 200 <= status < 300:
            return None
        logger.error("Paytrail answer not signed, request-id=%s", request_id)
        reason = Reason("unsigned")
    else:
        try:
            verify(headers, body, secret, signature)
            return None
        except SignatureError as exc:
            logger.error("Paytrail answer: %s, request-id=%s", exc, request_id)
            reason = Reason("bad_signature")
    return PaytrailBadSignature(reason, status_code=status, request_id=request_id)


def error_for_status(
    status_code: int, body: str, *, refused: str, request_id: str | None
) -> PaytrailError | None:
    """The error a non-2xx answer means, or None for a 2xx.

    ``refused`` is the reason code naming the call, e.g. "refund_refused" ("Paytrail refused
    the refund: %(message)s").
    """
    if 200 <= status_code < 300:
        return None
    if status_code >= 500:
        return PaytrailUnavailable(
            Reason("server_error", {"status": status_code}),
            maybe_delivered=True,
            status_code=status_code,
            request_id=request_id,
        )
    if status_code >= 400:
        message, meta = _error_body(body)
        # Paytrail's own words stay as they came; an empty one reads "no reason given".
        return PaytrailRejected(
            Reason(refused, {"message": message[:300], "status": status_code}),
            status_code=status_code,
            paytrail_message=message,
            meta=meta,
            request_id=request_id,
        )
    # 1xx/3xx: Paytrail never answers so (and redirects are not followed), so nothing to trust.
    return PaytrailError(
        Reason("unexpected_answer", {"status": status_code}),
        status_code=status_code,
        request_id=request_id,
    )


def _error_body(body: str) -> tuple[str, Any]:
    """Paytrail's ``message`` and ``meta``; ("", None) for a body that is not its JSON error.

    A proxy or load balancer in front of Paytrail may answer with HTML or nothing at all.
    """
    try:
        data = json.loads(body)
    except ValueError:
        return "", None
    if not isinstance(data, dict):
        return "", None
    message = data.get("message")
    return (message if isinstance(message, str) else ""), data.get("meta")
