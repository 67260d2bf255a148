"""Webhook signatures: ``Boxoffice-Signature: t=<unix seconds>,v1=<hex>``.

v1 is HMAC-SHA256 keyed with the endpoint's secret (the whole string, ``whsec_`` included,
as UTF-8) over ``f"{t}.{raw_body}"``. A receiver recomputes it over the bytes it received,
compares in constant time, and rejects a ``t`` too far from its clock (replays).
"""

import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"
# How far a receiver (and ``verify``) lets the signed time be from its own clock.
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)  # 256 bits


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True if ``header`` signs ``body`` with ``secret`` and its time is within ``tolerance``."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _sep, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = signature(secret, t, body)
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))
