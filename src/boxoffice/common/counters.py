"""The rate limits' hit counters: in Redis when the site has it, else in a database table.

Every API request and customer page counts a hit, so the store sits on the hot path. Redis
(``REDIS_URL``) is shared by every machine and counts in memory. Without it the counters are
rows of ``common.RateCounter``, raised by one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
statement (PostgreSQL and SQLite both have it), atomic however many workers race, and, on
PostgreSQL, in an UNLOGGED table that writes no WAL. The file cache they used to live in cost a
read, a write and a rename per hit and, past its size limit, a listing of the directory.

``settings.RATE_LIMIT_STORE`` says which: "cache" (Django's cache, Redis in production) or
"database". A counter lives ``timeout`` seconds from its first hit and then starts again at
one, in either store.
"""

import hashlib
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router

from boxoffice.common.models import RateCounter
from boxoffice.common.retention import delete_in_batches

KEY_LENGTH = RateCounter._meta.get_field("key").max_length or 255


def _fit(key: str) -> str:
    # A key longer than the column (an odd client address) is kept as its hash, not refused:
    # a refused write would let the request through uncounted.
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def incr(key: str, *, timeout: int, now: float) -> int:
    """Add one to the counter ``key`` (made to live ``timeout`` seconds from ``now``, epoch
    seconds, if it is new or has lived its time); the new count."""
    key = _fit(key)
    if settings.RATE_LIMIT_STORE == "cache":
        return _incr_in_cache(key, timeout)
    return _incr_in_database(key, timeout, now)


def reset(key: str) -> None:
    """Forget the counter ``key`` (its next hit counts one)."""
    key = _fit(key)
    if settings.RATE_LIMIT_STORE == "cache":
        cache.delete(key)
    else:
        RateCounter.objects.filter(key=key).delete()


def _incr_in_cache(key: str, timeout: int) -> int:
    # add, then incr: both atomic on Redis and locmem.
    if cache.add(key, 1, timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:
        # Expired (or culled) between the add and the incr: this hit starts a new count.
        if cache.add(key, 1, timeout):
            return 1
        return int(cache.incr(key))


UPSERT = (
    "INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN {table}.expires_at > %s THEN {table}.count + 1 ELSE 1 END, "
    "expires_at = CASE WHEN {table}.expires_at > %s THEN {table}.expires_at "
    "ELSE excluded.expires_at END "
    "RETURNING count"
)


def _incr_in_database(key: str, timeout: int, now: float) -> int:
    connection = connections[router.db_for_write(RateCounter)]
    sql = UPSERT.format(table=connection.ops.quote_name(RateCounter._meta.db_table))
    at = datetime.fromtimestamp(now, tz=UTC)
    # As the ORM writes them (SQLite keeps text): the purge compares through the ORM.
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, adapt(at + timedelta(seconds=timeout)), adapt(at), adapt(at)])
        (count,) = cursor.fetchone()
    return int(count)


def purge_expired(*, now: datetime) -> int:
    """Delete the counters whose time is over (a window's key is never hit again once it
    ends); the retention job calls it."""
    return delete_in_batches(RateCounter.objects.filter(expires_at__lte=now))
