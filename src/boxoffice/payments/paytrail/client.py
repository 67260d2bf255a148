"""HTTP client for Paytrail's Payment API (spec §1-5): signed requests, verified answers.

Every call signs its ``checkout-*`` headers and the exact body bytes it sends, checks the
signature of the answer, logs Paytrail's ``request-id`` and turns failures into the errors of
``errors.py``. Nothing here retries: callers decide (see the module docstring of ``errors``).
"""

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from django.conf import settings

from boxoffice.common.http import tls_context
from boxoffice.payments.paytrail.credentials import Merchant
from boxoffice.payments.paytrail.errors import (
    PaytrailError,
    PaytrailRejected,
    error_for_status,
    signature_error,
    unavailable,
)
from boxoffice.payments.paytrail.signing import sign
from boxoffice.payments.reasons import Reason

logger = logging.getLogger(__name__)

ALGORITHM = "sha256"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"

# A full sentence per call (payments.reasons), so translators never glue fragments together.
_CREATE_REFUSED = "payment_refused"
_GET_REFUSED = "lookup_refused"
_REFUND_REFUSED = "refund_refused"

T = TypeVar("T")


@dataclass(frozen=True)
class CreatedPayment:
    transaction_id: str
    href: str  # the hosted payment page to redirect the customer to
    reference: str  # Paytrail's bank reference, not our order reference (spec §2.2)
    raw: dict[str, Any]


@dataclass(frozen=True)
class PaymentStatus:
    transaction_id: str
    status: str  # new, ok, fail, pending, delayed (or authorization-hold)
    amount: int  # cents
    stamp: str
    reference: str  # ours here, unlike CreatedPayment.reference
    provider: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class RefundResult:
    # None if Paytrail accepted the refund without creating a transaction (e.g. the merchant's
    # balance is too low; the cancel callback then comes without a transaction id, spec §5.1).
    transaction_id: str | None
    provider: str | None  # "email refund" when Paytrail fell back to an email refund
    status: str  # ok, pending or fail
    raw: dict[str, Any]


class _Malformed(Exception):
    """A field of a 2xx answer is missing or of the wrong type."""


def to_cents(amount: Decimal) -> int:
    """Euros as integer cents, exactly: ``Decimal("49.90")`` -> 4990.

    Raises ValueError for amounts with fractions of a cent, and TypeError for floats, which
    cannot hold most cent values exactly.
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"amount must be finite, not {amount}")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has a fraction of a cent")
    return int(cents)


def _timestamp() -> str:
    # Paytrail's documented format: ISO 8601 UTC with milliseconds and a Z.
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PaytrailClient:
    """Calls Paytrail's API as one merchant. Usable as a context manager to close connections."""

    def __init__(
        self,
        merchant: Merchant,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.merchant = merchant
        seconds = settings.PAYTRAIL_TIMEOUT_SECONDS if timeout is None else timeout
        self._http = httpx.Client(
            base_url=base_url or settings.PAYTRAIL_API_URL,
            timeout=httpx.Timeout(seconds),
            transport=transport,
            verify=tls_context(),
        )

    def __enter__(self) -> "PaytrailClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the API ---------------------------------------------------------------------------------

    def create_payment(self, body: dict[str, Any]) -> CreatedPayment:
        """POST /payments (spec §2). ``body`` is the request of §2.1, amounts in cents."""
        return self._call("POST", "/payments", _created_payment, refused=_CREATE_REFUSED, body=body)

    def get_payment(self, transaction_id: str) -> PaymentStatus:
        """GET /payments/{id} (spec §4); also answers for refund transaction ids."""
        return self._call(
            "GET",
            _payment_path(transaction_id),
            _payment_status,
            refused=_GET_REFUSED,
            transaction_id=transaction_id,
        )

    def refund(
        self,
        transaction_id: str,
        *,
        amount: int,
        refund_stamp: str,
        refund_reference: str,
        callback_urls: dict[str, str],
        email: str | None = None,
    ) -> RefundResult:
        """POST /payments/{id}/refund (spec §5.1) for the payment ``transaction_id``.

        Never call this again for the same ``refund_stamp`` after a PaytrailUnavailable with
        ``maybe_delivered``: Paytrail does not promise to deduplicate stamps (spec §5.5).
        """
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise ValueError(f"refund amount must be a positive number of cents, not {amount!r}")
        body: dict[str, Any] = {
            "amount": amount,
            "refundStamp": refund_stamp,
            "refundReference": refund_reference,
            "callbackUrls": callback_urls,
        }
        if email:
            # Lets Paytrail fall back to an email refund when the provider has no refund API.
            body["email"] = email
        return self._call(
            "POST",
            _payment_path(transaction_id) + "/refund",
            _refund_result,
            refused=_REFUND_REFUSED,
            transaction_id=transaction_id,  # the original payment's id, as the spec insists
            body=body,
        )

    def check_credentials(self) -> None:
        """Prove that Paytrail accepts this merchant ID and secret, without creating anything.

        A signed status lookup of a transaction that cannot exist: Paytrail checks the HMAC
        before it looks anything up, so 404 means "signed correctly, no such payment" and 401
        "wrong merchant ID or secret" (spec §2.3). Raises PaytrailRejected for the latter,
        PaytrailUnavailable or PaytrailError when the answer proves nothing either way.
        """
        transaction_id = str(uuid.uuid4())
        response = self._send("GET", _payment_path(transaction_id), transaction_id, None)
        status = response.status_code
        request_id = _request_id(response)
        logger.info("Paytrail credential check -> %s request-id=%s", status, request_id)
        text = response.content.decode("utf-8", errors="replace")
        if status == 404:
            # A signed 404 must verify; an unsigned one is what Paytrail may send (spec §1.2).
            error = signature_error(
                response.headers, text, self.merchant.secret, status=status, request_id=request_id
            )
            if error is not None:
                raise error
            return
        if status in (401, 403):
            raise PaytrailRejected(
                Reason("credentials_refused"), status_code=status, request_id=request_id
            )
        raise error_for_status(
            status, text, refused=_GET_REFUSED, request_id=request_id
        ) or PaytrailError(
            Reason("unexpected_answer", {"status": status}),
            status_code=status,
            request_id=request_id,
        )

    # -- one signed round trip -------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[dict[str, Any]], T],
        *,
        refused: str,
        transaction_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> T:
        response = self._send(method, path, transaction_id, body)
        status = response.status_code
        request_id = _request_id(response)
        logger.info("Paytrail %s %s -> %s request-id=%s", method, path, status, request_id)
        # Paytrail signs the body as UTF-8 text; "replace" keeps a garbled body from crashing
        # us: its signature then fails, or an unsigned error body is reported as unreadable.
        text = response.content.decode("utf-8", errors="replace")
        error = signature_error(
            response.headers, text, self.merchant.secret, status=status, request_id=request_id
        ) or error_for_status(status, text, refused=refused, request_id=request_id)
        if error is not None:
            logger.warning("Paytrail %s %s -> %s: %s", method, path, status, text[:500])
            raise error
        try:
            return parse(_json_object(text))
        except _Malformed as exc:
            logger.error("Paytrail %s %s -> unreadable answer: %s", method, path, exc)
            raise PaytrailError(
                Reason("unreadable_answer", {"status": status}),
                status_code=status,
                request_id=request_id,
            ) from exc

    def _send(
        self, method: str, path: str, transaction_id: str | None, body: dict[str, Any] | None
    ) -> httpx.Response:
        # Serialize once and send exactly the signed string: re-encoding would break the HMAC.
        sent = None if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        headers = self._headers(method, transaction_id, has_body=sent is not None)
        headers["signature"] = sign(headers, sent or "", self.merchant.secret, ALGORITHM)
        content = None if sent is None else sent.encode()
        try:
            return self._http.request(method, path, headers=headers, content=content)
        except httpx.TransportError as exc:
            logger.warning("Paytrail %s %s failed: %r", method, path, exc)
            raise unavailable(exc) from exc

    def _headers(
        self, method: str, transaction_id: str | None, *, has_body: bool
    ) -> dict[str, str]:
        headers = {
            "checkout-account": self.merchant.account,
            "checkout-algorithm": ALGORITHM,
            "checkout-method": method,
            "checkout-nonce": str(uuid.uuid4()),
            "checkout-timestamp": _timestamp(),
            "platform-name": settings.PAYTRAIL_PLATFORM_NAME,
        }
        if transaction_id is not None:
            headers["checkout-transaction-id"] = transaction_id
        if has_body:
            headers["content-type"] = JSON_CONTENT_TYPE
        return headers


def _request_id(response: httpx.Response) -> str | None:
    # Paytrail's support asks for it; "cof-request-id" is its pre-2020 name (spec §1).
    found: str | None = response.headers.get("request-id") or response.headers.get("cof-request-id")
    return found


def _payment_path(transaction_id: str) -> str:
    if not transaction_id:
        raise ValueError("transaction_id is required")
    # Quoted so that an id can never reach another path.
    return "/payments/" + quote(transaction_id, safe="")


# -- reading 2xx answers ------------------------------------------------------------------------


# Paytrail's transaction ids are UUIDs; anything much longer is no answer of Paytrail's (and
# would not fit where it is kept).
MAX_TRANSACTION_ID = 100


def _transaction_id(data: dict[str, Any]) -> str:
    value = _text(data, "transactionId")
    if not value or len(value) > MAX_TRANSACTION_ID:
        raise _Malformed(f"transactionId={value[:40]!r}")
    return value


def _created_payment(data: dict[str, Any]) -> CreatedPayment:
    return CreatedPayment(
        transaction_id=_transaction_id(data),
        href=_text(data, "href"),
        reference=_text(data, "reference"),
        raw=data,
    )


def _payment_status(data: dict[str, Any]) -> PaymentStatus:
    return PaymentStatus(
        transaction_id=_transaction_id(data),
        status=_text(data, "status"),
        amount=_cents(data, "amount"),
        # Refund transactions made without a reference may lack one; "" matches nothing.
        stamp=_optional_text(data, "stamp") or "",
        reference=_optional_text(data, "reference") or "",
        provider=_optional_text(data, "provider"),
        raw=data,
    )


def _refund_result(data: dict[str, Any]) -> RefundResult:
    return RefundResult(
        transaction_id=None if data.get("transactionId") is None else _transaction_id(data),
        provider=_optional_text(data, "provider"),
        status=_text(data, "status"),
        raw=data,
    )


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _Malformed("not JSON") from exc
    if not isinstance(data, dict):
        raise _Malformed("not a JSON object")
    return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _Malformed(f"{key}={value!r}")
    return value


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    return None if data.get(key) is None else _text(data, key)


def _cents(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    # bool is an int in Python, but JSON's true is no amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed(f"{key}={value!r}")
    return value
