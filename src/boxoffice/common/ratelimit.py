"""Rate limits: fixed-window hit counters (common.counters: Redis, or a database table).

A window is a fixed slice of time (``window_seconds`` long, aligned to the epoch); each key
counts its hits in the current slice and is refused past ``limit`` until the slice ends. The
counter is raised atomically in one round trip to its store, however many workers race.

The store is shared by all workers of all machines: Redis with ``REDIS_URL``, else the
database (see ``RATE_LIMIT_STORE`` in settings.py). A store that fails (Redis down) lets the
request through and logs it: a rate limit must not take the site down.

Limits live in ``settings.RATE_LIMITS`` as ``{scope: (limit, window_seconds)}``, read at
request time, so a deployment (or a test) can change them without touching views. A test
lowers one with ``settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scope": (2, 60)}``.
"""

import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac

from boxoffice.common import counters

logger = logging.getLogger("boxoffice.ratelimit")

KEY_PREFIX = "ratelimit"
View = Callable[..., HttpResponse]


def hit(key: str, *, limit: int, window_seconds: int) -> int | None:
    """Count one hit on ``key``: None if it is allowed, else the seconds until the window ends.

    ``key`` is stored in the cache as given: pass ``digest(value)`` for anything personal
    (an email address). A refused hit still counts, so hammering does not shorten the wait.
    """
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")
    now = time.time()
    window = int(now // window_seconds)
    resets_in = max(1, math.ceil((window + 1) * window_seconds - now))
    cache_key = f"{KEY_PREFIX}:{key}:{window_seconds}:{window}"
    try:
        count = incr_counter(cache_key, timeout=resets_in + 1)
    except Exception as error:  # the store itself failed (Redis down): let the request through
        logger.warning(
            "rate limit not checked, its store failed: %s: %s", type(error).__name__, error
        )
        return None
    return resets_in if count > limit else None


def incr_counter(cache_key: str, *, timeout: int) -> int:
    """Add one to the counter at ``cache_key`` (made with ``timeout`` if new); the new count."""
    return counters.incr(cache_key, timeout=timeout, now=time.time())


def digest(value: str) -> str:
    """A keyed hash of ``value`` for a cache key, so the cache never holds it in clear."""
    return salted_hmac(KEY_PREFIX, value, algorithm="sha256").hexdigest()[:32]


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For behind trusted proxies.

    With ``settings.TRUSTED_PROXY_HOPS = n > 0`` the client is the n-th address from the right
    of X-Forwarded-For (each of our n proxies appends the address it got the request from);
    anything left of it was written by the client and is not believed. A header with fewer
    addresses than that, or garbage, is ignored.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0) or 0)
    if hops <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    if len(forwarded) < hops:
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_key(request: HttpRequest) -> str:
    """The client's address as a rate-limit key; IPv6 by /64 (one subscriber's network)."""
    ip = client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def limits_for(
    scope: str, limit: int | None = None, window_seconds: int | None = None
) -> tuple[int, int]:
    """``settings.RATE_LIMITS[scope]`` if set there, else the given defaults."""
    configured = getattr(settings, "RATE_LIMITS", {}).get(scope)
    if configured is not None:
        return int(configured[0]), int(configured[1])
    if limit is None or window_seconds is None:
        raise ImproperlyConfigured(f"No rate limit for scope {scope!r}: add it to RATE_LIMITS.")
    return limit, window_seconds


def hit_scope(scope: str, ident: str) -> int | None:
    """Count one hit on ``scope`` for ``ident`` with the scope's configured limits."""
    limit, window_seconds = limits_for(scope)
    return hit(f"{scope}:{ident}", limit=limit, window_seconds=window_seconds)


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The 429 page: when to try again, in the visitor's language, plus a Retry-After header."""
    minutes = math.ceil(retry_after / 60)
    response = render(
        request,
        "429.html",
        {"retry_after": retry_after, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(
    scope: str,
    *,
    limit: int | None = None,
    window_seconds: int | None = None,
    methods: Iterable[str] | None = None,
) -> Callable[[View], View]:
    """Limit a view per client address: ``limit`` requests per window, then a 429 page.

    The numbers come from ``settings.RATE_LIMITS[scope]`` at request time; ``limit`` and
    ``window_seconds`` are the defaults for a scope not listed there (neither: the request
    fails with ImproperlyConfigured). ``methods`` (e.g. ``("POST",)``) counts only those; by
    default every request counts.
    """
    counted = {method.upper() for method in methods} if methods is not None else None

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if counted is None or request.method in counted:
                allowed, window = limits_for(scope, limit, window_seconds)
                key = f"{scope}:ip:{client_key(request)}"
                retry_after = hit(key, limit=allowed, window_seconds=window)
                if retry_after is not None:
                    return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
