"""``boxoffice demo``: two organizers, five events, logins and ~3,000 orders of every kind."""

import os
import random
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from boxoffice.accounts.models import Organizer, Role
from boxoffice.demo.backdate import backdate
from boxoffice.demo.build import Builder, DemoCapacityError, DemoUsers
from boxoffice.demo.catalog import (
    LOGINS,
    ORGANIZERS,
    PASSWORD,
    create_events,
    create_organizers,
    create_users,
)
from boxoffice.demo.people import CustomerPool
from boxoffice.demo.sandbox import mirror_paytrail_payments, queue_platform_refunds
from boxoffice.notifications.lifecycle import notices_off
from boxoffice.orders.models import Order
from boxoffice.payments.attention import attention_sweep
from boxoffice.payments.models import AttentionItem, AttentionState

DEMO_SLUG = ORGANIZERS[0].slug
SEED = 2026  # same seed, same names, statuses and amounts on every machine
# Organizers and logins were set up this long before the first ticket went on sale.
SETUP_DAYS_AGO = 130


class Command(BaseCommand):
    help = "Create demo organizers, events, logins (password 'demo') and orders. Safe to rerun."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--orders",
            type=int,
            default=3000,
            help="How many orders to create (default 3000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["orders"]
        if count < 0:
            raise CommandError("--orders must be zero or more.")
        started = time.monotonic()
        # One transaction: a failed or interrupted run leaves no half-made demo behind, and
        # SQLite commits once instead of per order (most of the speed).
        with transaction.atomic():
            if Organizer.objects.filter(slug=DEMO_SLUG).exists():
                self.stdout.write(f"The demo data is already there (organizer '{DEMO_SLUG}').")
                self._print_logins()
                return
            try:
                # Made-up customers at demo.test addresses: nobody to tell, and thousands of
                # queued emails would only bury the ones a demo user triggers.
                with notices_off():
                    organizers = self._create(count)
            except DemoCapacityError as exc:
                raise CommandError(str(exc)) from exc
        self._print_counts(organizers)
        self.stdout.write(
            self.style.SUCCESS(f"Demo created in {time.monotonic() - started:.1f} s.")
        )
        self._print_logins()

    def _create(self, count: int) -> list[Organizer]:
        rng = random.Random(SEED)
        now = timezone.now()
        setup_at = now - timedelta(days=SETUP_DAYS_AGO)
        organizers = create_organizers()
        users = create_users(organizers, joined=setup_at)
        owners = {
            login.organizer: users[login.email]
            for login in LOGINS
            if login.organizer and login.membership_role == Role.OWNER
        }
        events = create_events(organizers, owners, now)
        self.stdout.write(
            f"Created {len(organizers)} organizers, {len(users)} logins, {len(events)} events; "
            f"placing {count} orders..."
        )
        builder = Builder(
            rng=rng,
            now=now,
            events=events,
            users=DemoUsers(staff=users["staff@demo.test"], support=users["support@demo.test"]),
            # Fewer customers than orders, so some people have several orders.
            customers=CustomerPool(rng, size=count * 2 // 3),
            progress=self.stdout.write,
        )
        created = builder.run(count)
        backdate(created, organizers.values(), setup_at)
        mirrored = mirror_paytrail_payments([c.order for c in created])
        self.stdout.write(f"  {mirrored} Paytrail payments registered in the sandbox")
        queued = queue_platform_refunds(users["organizer@demo.test"], limit=6)
        self.stdout.write(f"  {queued} Epassi/Smartum/invoice refunds waiting for platform staff")
        # What the worker's hourly sweep would find in this (backdated) history: cancelled orders
        # whose money was never returned, days later.
        attention_sweep()
        flagged = AttentionItem.objects.filter(state=AttentionState.OPEN).order_by()
        self.stdout.write(f"  {flagged.values('order').distinct().count()} orders need attention")
        return list(organizers.values())

    def _print_counts(self, organizers: list[Organizer]) -> None:
        orders = Order.objects.filter(organizer__in=organizers)
        for field in ("status", "payment_method"):
            counts = orders.values_list(field).annotate(n=Count("id")).order_by("-n")
            self.stdout.write(f"  by {field}: " + ", ".join(f"{k} {n}" for k, n in counts))

    def _print_logins(self) -> None:
        port = os.environ.get("PORT", "8000")
        self.stdout.write("")
        self.stdout.write(f"Open http://127.0.0.1:{port}/ and log in (password '{PASSWORD}'):")
        width = max(len(login.email) for login in LOGINS)
        for login in LOGINS:
            self.stdout.write(f"  {login.email:<{width}}  {login.role}")
