"""The failure-injection switches (spec §6.7 and the merchant's worst days).

They live in one database row (SandboxControl, pk=1) rather than in memory, so every gunicorn
worker and thread sees the same switches, and counters ("fail the next 2 calls") are consumed
exactly once by an atomic UPDATE.

From Python (tests)::

    from boxoffice.paytrail_sandbox import control
    control.set_switches(fail_next_calls=2)
    with control.switches(refund_outcome="low_balance", refund_outcome_times=1):
        ...

Over HTTP: POST JSON to /paytrail-sandbox/_control (see control_views.py).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Field

from boxoffice.paytrail_sandbox.models import RefundOutcome, SandboxControl

SINGLETON_PK = 1
# Longer than any client timeout worth testing, short enough not to tie up a server for good.
MAX_HANG_SECONDS = 600

# What each switch does; also the help shown on the control page.
SWITCHES: dict[str, str] = {
    "fail_next_calls": "Answer the next N verified API calls with HTTP 500 (nothing is done).",
    "hang_next_calls": "Make the next N verified API calls wait hang_seconds before answering "
    "(the call itself is carried out, as a real timed-out call may have been).",
    "hang_seconds": "How long a hanging call waits (default 15, past the client's timeout).",
    "refund_outcome": "Outcome of the next refunds: ok, pending, fail or low_balance.",
    "refund_outcome_times": "How many refunds refund_outcome applies to, then back to ok "
    "(empty: every refund until changed).",
    "duplicate_callbacks": "Deliver every callback twice.",
    "callback_before_response": "Deliver callbacks before answering the API call or "
    "redirecting the browser, so the merchant sees the callback first.",
    "refund_stamp_policy": "A repeated refundStamp: create (a second refund) or reject (400).",
    "max_clock_skew_seconds": "Reject (401) requests whose checkout-timestamp is further than "
    "this from the sandbox's clock (empty: off).",
    "reject_nonce_replay": "Reject (401) a checkout-nonce the merchant has used before.",
    "record": "Keep a log of every API call and callback attempt (API calls are logged anyway "
    "while reject_nonce_replay is on: the log is where used nonces are looked up).",
}


def switch_field(name: str) -> Field[Any, Any]:
    """The model field behind a switch (its type, choices and validation)."""
    model_field = SandboxControl._meta.get_field(name)
    assert isinstance(model_field, Field)
    return model_field


# The switches as one API call read them when it began (``for_one_call``), per thread: a call
# looks at them up to five times, and every call of a busy merchant would otherwise read the
# row that often. A switch changed meanwhile applies from the next call.
_this_call = threading.local()


def get_control() -> SandboxControl:
    held: SandboxControl | None = getattr(_this_call, "control", None)
    if held is not None:
        return held
    control, _ = SandboxControl.objects.get_or_create(pk=SINGLETON_PK)
    return control


@contextmanager
def for_one_call() -> Iterator[SandboxControl]:
    """The switches, read once for the API call made inside the ``with`` block."""
    outer = getattr(_this_call, "control", None)  # a call made while answering another
    _this_call.control = None
    control = get_control()
    _this_call.control = control
    try:
        yield control
    finally:
        _this_call.control = outer


def as_dict(control: SandboxControl) -> dict[str, Any]:
    return {name: getattr(control, name) for name in SWITCHES}


def _cleaned(control: SandboxControl, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes as field values; ValidationError names the first bad switch."""
    unknown = sorted(set(changes) - set(SWITCHES))
    if unknown:
        raise ValidationError(f"Unknown switch: {', '.join(unknown)}")
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        model_field = switch_field(name)
        if value in ("", None) and model_field.null:
            cleaned[name] = None
            continue
        try:
            cleaned[name] = model_field.clean(value, control)
        except ValidationError as exc:
            raise ValidationError(f"{name}: {'; '.join(exc.messages)}") from exc
    if "hang_seconds" in cleaned and not 0 <= cleaned["hang_seconds"] <= MAX_HANG_SECONDS:
        # Also refuses NaN and infinity, which a float field otherwise takes.
        raise ValidationError(f"hang_seconds: from 0 to {MAX_HANG_SECONDS}")
    if cleaned.get("refund_outcome_times") == 0:
        raise ValidationError("refund_outcome_times: at least 1, or empty for every refund")
    return cleaned


def set_switches(**changes: Any) -> SandboxControl:
    """Change switches by name (see SWITCHES); raises ValidationError and changes nothing on a
    bad name or value."""
    with transaction.atomic():
        control = get_control()
        cleaned = _cleaned(control, changes)
        if cleaned:
            SandboxControl.objects.filter(pk=SINGLETON_PK).update(**cleaned)
    return get_control()


def reset() -> SandboxControl:
    """Every switch back to its default."""
    defaults = SandboxControl()
    return set_switches(**{name: getattr(defaults, name) for name in SWITCHES})


@contextmanager
def switches(**changes: Any) -> Iterator[SandboxControl]:
    """Set switches for a ``with`` block, then put back the values they had."""
    saved = {name: getattr(get_control(), name) for name in changes}
    try:
        yield set_switches(**changes)
    finally:
        set_switches(**saved)


# -- consuming the switches (each an atomic step, safe across workers) -------------------------


def _take(counter: str) -> bool:
    """Consume one unit of ``counter``; False when it was already zero."""
    held: SandboxControl | None = getattr(_this_call, "control", None)
    if held is not None and getattr(held, counter) <= 0:
        return False  # zero when the call began: no UPDATE that would change nothing
    taken = SandboxControl.objects.filter(pk=SINGLETON_PK, **{f"{counter}__gt": 0}).update(
        **{counter: F(counter) - 1}
    )
    return taken == 1


def take_failure() -> bool:
    """Whether this API call is one of the "next N" to fail with a 500."""
    return _take("fail_next_calls")


def take_hang() -> float | None:
    """Seconds this API call must hang, or None."""
    if not _take("hang_next_calls"):
        return None
    return get_control().hang_seconds


def take_refund_outcome() -> str:
    """The outcome of the refund being made now, counting it against refund_outcome_times.

    Call it inside the refund's transaction, after every check that could still refuse the
    refund, so that a refused call does not use up a planned outcome.
    """
    current = get_control()
    if current.refund_outcome_times is None:
        # Every refund until changed: nothing to count, so no lock on the one row that every
        # refund of every merchant would otherwise wait for (Paytrail has no such queue).
        return current.refund_outcome
    control = SandboxControl.objects.select_for_update().get(pk=SINGLETON_PK)
    outcome = control.refund_outcome
    if control.refund_outcome_times is not None:
        remaining = control.refund_outcome_times - 1
        if remaining <= 0:
            control.refund_outcome, control.refund_outcome_times = RefundOutcome.OK, None
        else:
            control.refund_outcome_times = remaining
        control.save(update_fields=["refund_outcome", "refund_outcome_times"])
    return outcome
