"""The navigation's "Needs attention" count, kept in the cache between changes.

Every back-office page shows it, and counting the open items of an organizer is a query that
costs more than the rest of a small page's reads. The count changes only when an attention item
opens, closes or is dismissed (payments.attention), so it is kept under a version that each
change replaces: the next page after a change counts again. A change made where nothing calls
``attention_changed`` (a bulk load) shows within ``BADGE_SECONDS``.
"""

import time

from django.core.cache import cache
from django.db import transaction

from boxoffice.accounts.permissions import Principal
from boxoffice.payments.selectors import attention_count

VERSION_KEY = "attention-badge:version"
BADGE_SECONDS = 60


def _new_version() -> str:
    version = str(time.time_ns())
    cache.set(VERSION_KEY, version, timeout=None)
    return version


def attention_changed() -> None:
    """Items opened, closed or dismissed: every badge counts again.

    Now, for the rest of this transaction's requests, and again once it commits: a page that
    read the new version before the commit may have kept the old count under it.
    """
    _new_version()
    transaction.on_commit(_new_version)


def badge_count(principal: Principal, *, cap: int) -> int:
    """``attention_count(principal, cap=cap)``, from the cache while nothing has changed."""
    # The version first: a count made after a change's commit is stored under its version.
    version = cache.get(VERSION_KEY) or _new_version()
    scope = "all" if principal.is_platform_staff else ",".join(map(str, sorted(principal.roles)))
    key = f"attention-badge:{version}:{cap}:{scope}"
    count = cache.get(key)
    if count is None:
        count = attention_count(principal, cap=cap)
        cache.set(key, count, timeout=BADGE_SECONDS)
    return int(count)
