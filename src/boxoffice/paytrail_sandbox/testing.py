"""Helpers for tests that pay and refund against the sandbox (its own tests and everyone else's).

Typical use::

    from boxoffice.paytrail_sandbox import testing as sandbox

    with sandbox.recorded_callbacks() as recorder:      # no network, deterministic delivery
        ...call the code under test...
    assert len(sandbox.sandbox_refunds_for(payment_tid)) == 1
    assert recorder.params(-1)["checkout-status"] == "ok"

    with sandbox.switches(refund_outcome="low_balance", refund_outcome_times=1):
        ...
"""

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from boxoffice.payments.paytrail.signing import sign
from boxoffice.paytrail_sandbox import callbacks, control, payments, refunds
from boxoffice.paytrail_sandbox.control import reset as reset_switches
from boxoffice.paytrail_sandbox.control import set_switches, switches
from boxoffice.paytrail_sandbox.models import (
    LogKind,
    SandboxLogEntry,
    SandboxPayment,
    SandboxRefund,
)

__all__ = [
    "CallbackRecorder",
    "api_calls",
    "callback_log",
    "complete_payment",
    "complete_refund",
    "deliver_synchronously",
    "recorded_callbacks",
    "refund_calls",
    "remaining_refund_balance",
    "reset_sandbox",
    "reset_switches",
    "sandbox_payment",
    "sandbox_refunds_for",
    "set_switches",
    "signed_headers",
    "switches",
]

deliver_synchronously = callbacks.deliver_synchronously


class CallbackRecorder:
    """A fake callback sender: records each URL and answers with the next of ``statuses``
    (the last one repeats)."""

    def __init__(self, statuses: Sequence[int] = (200,)) -> None:
        self.urls: list[str] = []
        self._statuses = list(statuses) or [200]

    def __call__(self, url: str, timeout: float) -> int:
        self.urls.append(url)
        return self._statuses.pop(0) if len(self._statuses) > 1 else self._statuses[0]

    def params(self, index: int = -1) -> dict[str, str]:
        """The query parameters of the ``index``-th callback (merchant's own ones included)."""
        return dict(parse_qsl(urlsplit(self.urls[index]).query, keep_blank_values=True))

    @property
    def calls(self) -> list[dict[str, str]]:
        return [self.params(i) for i in range(len(self.urls))]


@contextmanager
def recorded_callbacks(*statuses: int) -> Iterator[CallbackRecorder]:
    """Deliver callbacks synchronously, without waits, to a CallbackRecorder (no network)."""
    recorder = CallbackRecorder(statuses or (200,))
    with callbacks.deliver_synchronously(recorder):
        yield recorder


def signed_headers(
    method: str,
    body: str = "",
    *,
    account: str = "375917",
    secret: str = "SAIPPUAKAUPPIAS",
    transaction_id: str | None = None,
    algorithm: str = "sha256",
) -> dict[str, str]:
    """Headers of a correctly signed API request, for Django's test client (``headers=``)."""
    headers = {
        "checkout-account": account,
        "checkout-algorithm": algorithm,
        "checkout-method": method,
        "checkout-nonce": str(uuid.uuid4()),
        "checkout-timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }
    if transaction_id is not None:
        headers["checkout-transaction-id"] = transaction_id
    headers["signature"] = sign(headers, body, secret, algorithm)
    return headers


def sandbox_payment(transaction_id: str) -> SandboxPayment:
    return SandboxPayment.objects.get(transaction_id=transaction_id)


def sandbox_refunds_for(payment_transaction_id: str) -> list[SandboxRefund]:
    """Every refund the sandbox made of that payment, oldest first, low-balance ones included
    (those have ``transaction_id`` None). Refused calls made none: see refund_calls()."""
    return list(
        SandboxRefund.objects.filter(payment__transaction_id=payment_transaction_id).order_by("id")
    )


def remaining_refund_balance(payment_transaction_id: str) -> int:
    return refunds.remaining_balance(sandbox_payment(payment_transaction_id))


def api_calls(*, method: str = "", path_contains: str = "") -> list[SandboxLogEntry]:
    """Logged API calls (switch ``record``, on by default), oldest first."""
    entries = SandboxLogEntry.objects.filter(kind=LogKind.API)
    if method:
        entries = entries.filter(method=method)
    if path_contains:
        entries = entries.filter(path__contains=path_contains)
    return list(entries.order_by("id"))


def refund_calls(payment_transaction_id: str) -> list[SandboxLogEntry]:
    """Every refund POST the sandbox received for that payment, whatever it answered."""
    return [
        entry
        for entry in api_calls(method="POST", path_contains=payment_transaction_id)
        if "/refund" in entry.path
    ]


def callback_log(payment_transaction_id: str | None = None) -> list[SandboxLogEntry]:
    """Logged callback attempts (payment and refund ones), oldest first."""
    entries = SandboxLogEntry.objects.filter(kind=LogKind.CALLBACK)
    if payment_transaction_id is not None:
        entries = entries.filter(payment_transaction_id=payment_transaction_id)
    return list(entries.order_by("id"))


def complete_payment(
    transaction_id: str, status: str = "ok", provider: str = "nordea"
) -> SandboxPayment:
    """Settle a payment as the hosted page would (no browser redirect), firing its callbacks.

    From new: ok, fail, pending or delayed with ``provider``; from pending: ok or fail; from
    delayed: ok. Raises payments.TransitionRefused otherwise.
    """
    payment, outgoing = payments.complete_payment(transaction_id, status, provider)
    callbacks.dispatch(outgoing)
    return payment


def complete_refund(transaction_id: str, status: str = "ok") -> SandboxRefund:
    """Finish a pending refund (an email refund or a ``pending`` outcome) as ok or fail."""
    refund, outgoing = refunds.complete_refund(transaction_id, status)
    callbacks.dispatch(outgoing)
    return refund


def reset_sandbox() -> None:
    """Forget every payment, refund and log entry, and reset the switches."""
    SandboxLogEntry.objects.all().delete()
    SandboxRefund.objects.all().delete()
    SandboxPayment.objects.all().delete()
    control.reset()
