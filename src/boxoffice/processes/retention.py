"""The daily retention job: old personal data goes, each app deleting its own rows."""

import logging
from datetime import timedelta

from django.utils import timezone

from boxoffice.api.idempotency import idempotency_keys_purge
from boxoffice.checkin.services import scans_purge
from boxoffice.common.counters import purge_expired as rate_counters_purge
from boxoffice.common.schedule import claim_turn
from boxoffice.exports.background import exports_purge
from boxoffice.notifications.sending import email_bodies_purge
from boxoffice.webhooks.delivery import deliveries_purge

logger = logging.getLogger("boxoffice.retention")


def retention_purge() -> dict[str, int]:
    """Run every purge now; returns how many rows each touched."""
    done = {
        "idempotency_keys": idempotency_keys_purge(),
        "webhook_deliveries": deliveries_purge(),
        "email_bodies": email_bodies_purge(),
        "scans": scans_purge(),
        "export_files": exports_purge(),
        "rate_counters": rate_counters_purge(now=timezone.now()),
    }
    logger.info("retention: %s", done)
    return done


def retention_daily() -> int:
    """The worker's periodic job: the purge, once a day across all workers."""
    if not claim_turn("retention", every=timedelta(days=1)):
        return 0
    return sum(retention_purge().values())
