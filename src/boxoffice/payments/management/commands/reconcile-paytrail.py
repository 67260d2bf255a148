"""`boxoffice reconcile-paytrail [--since YYYY-MM-DD]`: compare the ledger with Paytrail.

Prints a table of what it compared and found; exits 1 while unresolved mismatches remain (or a
lookup failed), so cron or a monitor notices. The worker runs the same every day.
"""

from argparse import ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from boxoffice.payments.checks import require_paytrail_credentials
from boxoffice.payments.reconcile import reconcile_paytrail, window_start


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date like 2026-11-30") from None


class Command(BaseCommand):
    help = (
        "Ask Paytrail about every Paytrail payment and refund since --since (default: "
        "PAYTRAIL_RECONCILE_DAYS ago) that is not final both here and there; settle what can be "
        "settled, flag the rest for a person, and exit 1 while mismatches remain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=_day, help="first day of the window (YYYY-MM-DD)")

    def handle(self, *args: Any, since: date | None, **options: Any) -> None:
        require_paytrail_credentials(self)
        self.stdout.write(f"Paytrail payments and refunds since {window_start(since):%Y-%m-%d}:")
        report = reconcile_paytrail(since=since)
        self.stdout.write(report.table())
        if report.unresolved:
            raise CommandError(
                f"{report.unresolved} unresolved: see the rows marked mismatch or lookup failed, "
                "and the orders that need attention in the back office."
            )
