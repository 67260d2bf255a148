"""Delivering callbacks: server-to-server GETs of the signed ``checkout-*`` query (spec §3, §5.2).

Paytrail calls the callback URL after the browser redirect or the refund response, possibly
delayed (``callbackDelay``), possibly more than once, and retries until it gets a 2xx. The sandbox
does the same, bounded: a few attempts with a short backoff, each one written to the log.

Delivery normally runs in a background thread started once the response has been sent, so a
refund's 201 reaches the merchant first. Tests want determinism instead: ``deliver_synchronously()``
(or the setting ``PAYTRAIL_SANDBOX_SYNC_CALLBACKS = True``) delivers in the request's own thread,
right after the response is complete, and skips ``callbackDelay`` (it is still logged). The sender
is injectable, so unit tests never touch the network.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.db import connections
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone

from boxoffice.common.http import tls_context
from boxoffice.payments.paytrail.signing import sign
from boxoffice.paytrail_sandbox.models import LogKind, SandboxLogEntry

logger = logging.getLogger(__name__)

# GET ``url`` with ``timeout`` seconds; answer the HTTP status. Raising means no answer at all.
Sender = Callable[[str, float], int]


@functools.cache
def _client() -> httpx.Client:
    """One client per process, shared by the delivery threads (httpx's is thread-safe): its
    connections to a merchant are kept and used again, as Paytrail's are, instead of a new
    client, pool and TCP connection for every callback."""
    # Redirects are not followed: a callback endpoint must answer 2xx itself.
    return httpx.Client(follow_redirects=False, verify=tls_context())


def httpx_sender(url: str, timeout: float) -> int:
    return _client().get(url, timeout=timeout).status_code


@dataclass(frozen=True)
class DeliverySettings:
    sender: Sender = httpx_sender
    synchronous: bool = False
    attempts: int = 5
    # Waits between attempts; the last one repeats if there are more attempts than waits.
    backoff_seconds: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    timeout_seconds: float = 5.0


_settings = DeliverySettings()


def current() -> DeliverySettings:
    return _settings


@contextmanager
def configured(**changes: Any) -> Iterator[DeliverySettings]:
    """Change delivery settings (sender, synchronous, attempts, ...) for a ``with`` block."""
    global _settings
    saved = _settings
    _settings = replace(saved, **changes)
    try:
        yield _settings
    finally:
        _settings = saved


@contextmanager
def deliver_synchronously(sender: Sender | None = None) -> Iterator[DeliverySettings]:
    """Deliver in the request's thread with no backoff waits, optionally through ``sender``."""
    changes: dict[str, Any] = {"synchronous": True, "backoff_seconds": (0.0,)}
    if sender is not None:
        changes["sender"] = sender
    with configured(**changes) as delivery:
        yield delivery


def is_synchronous() -> bool:
    return _settings.synchronous or bool(
        getattr(settings, "PAYTRAIL_SANDBOX_SYNC_CALLBACKS", False)
    )


# -- what to deliver ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Callback:
    url: str  # the merchant's URL extended with the signed query
    about: str  # "payment" or "refund"
    payment_transaction_id: str
    transaction_id: str  # checkout-transaction-id; "" when there is none (low-balance refund)
    checkout_status: str
    stamp: str


@dataclass(frozen=True)
class Outgoing:
    callbacks: tuple[Callback, ...] = ()
    delay_seconds: float = 0
    # Read from the switches when the callbacks were decided, so a later switch change does not
    # alter a delivery already promised.
    duplicate: bool = False
    record: bool = True


def signed_query(params: Mapping[str, str], secret: str, algorithm: str) -> dict[str, str]:
    """``params`` plus their ``signature`` (body "", spec §1.2)."""
    return {**params, "signature": sign(params, "", secret, algorithm)}


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` appended: after an existing query with ``&``, before a fragment."""
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


# -- responses that deliver after they have been sent ------------------------------------------


def _run_hooks(hooks: list[Callable[[], None]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:
            # The response has gone out already; a failing delivery must not turn it into a 500.
            logger.exception("Paytrail sandbox: after-response hook failed")
    hooks.clear()


class SandboxResponse(HttpResponse):
    """An HttpResponse that runs ``after_send`` hooks when the server closes it (after sending).

    The hooks run before Django's own close(), whose request_finished signal then tidies any
    database connection they used.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after_send: list[Callable[[], None]] = []

    def close(self) -> None:
        _run_hooks(self.after_send)
        super().close()


class SandboxRedirect(HttpResponseRedirect):
    """A redirect with ``after_send`` hooks, like SandboxResponse."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after_send: list[Callable[[], None]] = []

    def close(self) -> None:
        _run_hooks(self.after_send)
        super().close()


def dispatch(
    outgoing: Outgoing,
    *,
    response: SandboxResponse | SandboxRedirect | None = None,
    before_response: bool = False,
) -> None:
    """Deliver ``outgoing``: now (``before_response``, or no response to wait for in synchronous
    mode), after ``response`` has been sent, in this thread or a background one."""
    if not outgoing.callbacks:
        return
    if before_response:
        deliver(outgoing, honour_delay=False)
    elif is_synchronous():
        if response is None:
            deliver(outgoing, honour_delay=False)
        else:
            _pending(+1)
            response.after_send.append(lambda: _deliver_counted(outgoing, honour_delay=False))
    elif response is None:
        _pending(+1)
        start_thread(outgoing)
    else:
        _pending(+1)
        response.after_send.append(lambda: start_thread(outgoing))


# Deliveries scheduled to run after their response (in the server's thread or one of their
# own) and not finished yet, counted from the moment they are scheduled: the client already
# has its answer while they run.
_pending_count = 0
_pending_changed = threading.Condition()


def _pending(change: int) -> None:
    global _pending_count
    with _pending_changed:
        _pending_count += change
        _pending_changed.notify_all()


def wait_for_deliveries(timeout: float) -> bool:
    """Wait until every scheduled background delivery has finished; False on timeout. Tests
    call it so no callback reaches the next test's server and database."""
    with _pending_changed:
        return _pending_changed.wait_for(lambda: _pending_count <= 0, timeout=timeout)


def _deliver_counted(outgoing: Outgoing, *, honour_delay: bool) -> None:
    try:
        deliver(outgoing, honour_delay=honour_delay)
    finally:
        _pending(-1)


def start_thread(outgoing: Outgoing) -> None:
    threading.Thread(
        target=_deliver_in_thread, args=(outgoing,), name="paytrail-sandbox-callbacks", daemon=True
    ).start()


def _deliver_in_thread(outgoing: Outgoing) -> None:
    try:
        deliver(outgoing, honour_delay=True)
    except Exception:
        logger.exception("Paytrail sandbox: callback delivery failed")
    finally:
        # This thread's own connections; nobody else would ever close them.
        connections.close_all()
        _pending(-1)


def deliver(outgoing: Outgoing, *, honour_delay: bool) -> None:
    """Deliver every callback (twice each when ``duplicate``), retrying each until a 2xx."""
    if honour_delay and outgoing.delay_seconds > 0:
        time.sleep(outgoing.delay_seconds)
    copies = 2 if outgoing.duplicate else 1
    for callback in outgoing.callbacks:
        for _ in range(copies):
            _deliver_one(callback, outgoing)


def _deliver_one(callback: Callback, outgoing: Outgoing) -> bool:
    delivery = _settings
    for attempt in range(1, delivery.attempts + 1):
        status: int | None = None
        error = ""
        try:
            status = delivery.sender(callback.url, delivery.timeout_seconds)
        except Exception as exc:
            error = repr(exc)
        if outgoing.record:
            _record(callback, outgoing, attempt=attempt, status=status, error=error)
        if status is not None and 200 <= status < 300:
            return True
        logger.info(
            "Paytrail sandbox: callback %s attempt %s failed: %s",
            callback.url,
            attempt,
            status or error,
        )
        if attempt < delivery.attempts:
            waits = delivery.backoff_seconds or (0.0,)
            time.sleep(waits[min(attempt - 1, len(waits) - 1)])
    logger.warning("Paytrail sandbox: gave up on callback %s", callback.url)
    return False


def _record(
    callback: Callback, outgoing: Outgoing, *, attempt: int, status: int | None, error: str
) -> None:
    SandboxLogEntry.objects.create(
        kind=LogKind.CALLBACK,
        payment_transaction_id=callback.payment_transaction_id,
        transaction_id=callback.transaction_id,
        status_code=status,
        about=callback.about,
        url=callback.url,
        checkout_status=callback.checkout_status,
        stamp=callback.stamp,
        attempt=attempt,
        delay_seconds=outgoing.delay_seconds,
        error=error,
        delivered_at=timezone.now() if status is not None else None,
    )


def build(
    *,
    about: str,
    url: str | None,
    params: Mapping[str, str],
    secret: str,
    algorithm: str,
    payment_transaction_id: str,
) -> tuple[Callback, ...]:
    """The callback for ``url`` (none when the merchant gave no callback URL)."""
    if not url:
        return ()
    return (
        Callback(
            url=with_query(url, signed_query(params, secret, algorithm)),
            about=about,
            payment_transaction_id=payment_transaction_id,
            transaction_id=params.get("checkout-transaction-id", ""),
            checkout_status=params.get("checkout-status", ""),
            stamp=params.get("checkout-stamp", ""),
        ),
    )
