"""Password guessing stops after a few tries: per account, and per client address.

After ``LOGIN_ACCOUNT_FAILURES`` wrong passwords for one account within
``LOGIN_FAILURE_WINDOW_SECONDS`` the account is locked for that long: further attempts are
refused without checking the password, even a correct one (a guesser who finally hits it must
not learn so). One address trying many accounts (``LOGIN_ADDRESS_FAILURES``) is locked the same
way. A successful login clears the account's count. Every lockout is logged.

Failures are counted where the rate limits count (common.counters: Redis, or the database);
the locks are kept in the shared cache (Redis with REDIS_URL, else the file cache all workers
of the machine share). Keys are common.ratelimit's digests and client address. The project's
own limiter was chosen over django-axes: a dozen lines on a counter the site already relies on,
no extra tables or middleware, and a lockout that is exactly what this module says.
"""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from boxoffice.common import counters
from boxoffice.common.ratelimit import client_key, digest, incr_counter

logger = logging.getLogger("boxoffice.security")

PREFIX = "login"


def _keys(kind: str, who: str) -> tuple[str, str]:
    key = digest(f"{kind}:{who}")
    return f"{PREFIX}:fail:{key}", f"{PREFIX}:lock:{key}"


def _subjects(email: str, request: HttpRequest | None) -> list[tuple[str, str, int]]:
    subjects = [("account", email.strip().lower(), settings.LOGIN_ACCOUNT_FAILURES)]
    if request is not None:
        # An IPv6 client counts by its /64, as the site's other limits do: one subscriber can
        # spread guesses over 2^64 addresses of it.
        subjects.append(("address", client_key(request), settings.LOGIN_ADDRESS_FAILURES))
    return subjects


def locked_for(email: str, request: HttpRequest | None) -> int | None:
    """Seconds until this account (or this address) may try again, or None if it may now."""
    now = time.time()
    waits = []
    for kind, who, _limit in _subjects(email, request):
        until = _get(_keys(kind, who)[1])
        if until is not None and until > now:
            waits.append(math.ceil(until - now))
    return max(waits) if waits else None


def record_failure(email: str, request: HttpRequest | None) -> None:
    """Count a wrong password; lock the account or address that reached its limit."""
    window = int(settings.LOGIN_FAILURE_WINDOW_SECONDS)
    for kind, who, limit in _subjects(email, request):
        failures_key, lock_key = _keys(kind, who)
        try:
            # The count lives one window from its first failure (adding does not extend it).
            count = incr_counter(failures_key, timeout=window)
        except Exception as error:  # the cache failed: the password check itself goes on
            logger.warning("login failure not counted, the cache failed: %s", error)
            continue
        if count >= limit and cache.add(lock_key, time.time() + window, window):
            counters.reset(failures_key)
            logger.warning(
                "login locked for %s minutes after %s failed attempts: %s %s",
                window // 60,
                count,
                kind,
                who if kind == "address" else digest(who)[:12],
            )


def record_success(email: str) -> None:
    """A correct password clears the account's failures (not the address's)."""
    try:
        counters.reset(_keys("account", email.strip().lower())[0])
    except Exception as error:
        logger.warning("login failures not cleared, the cache failed: %s", error)


def _get(key: str) -> float | None:
    try:
        value = cache.get(key)
    except Exception as error:  # a lock that cannot be read does not lock anyone out
        logger.warning("login lock not read, the cache failed: %s", error)
        return None
    return float(value) if value is not None else None
