"""The event the event-cancel benchmark cancels: one future event of its own organizer with N
orders in the mix a real one has, loaded by COPY, and Paytrail's side of its payments.

The orders come from the scale benchmark's generator (rows.py) given this one event, so the
mix is the demo's: most paid by Paytrail, some by Epassi, Smartum or invoice, reservations and
invoices still unpaid, free orders, and some already cancelled, expired or returned (which the
job leaves alone). Each confirmed Paytrail payment is written into the sandbox too, as the
demo does, so its refund goes through the sandbox like a real one.

Between runs ``reset_run_tables`` empties every table a run fills (TRUNCATE): each run starts
from the same empty queue, whatever the previous one left.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from boxoffice.accounts.models import Membership, Organizer, Role, User
from boxoffice.benchmark.catalog import EventInfo, ProductInfo
from boxoffice.benchmark.rows import COLUMNS, TABLES, OrderRows
from boxoffice.benchmark.seed import SeedError, move_sequences, next_ids
from boxoffice.catalog.models import Event, FundsManager, Product
from boxoffice.demo.catalog import business_id
from boxoffice.demo.sandbox import mirror_paytrail_payments
from boxoffice.orders.models import Order

SLUG = "bench-cancel"
OWNER_EMAIL = "cancel-owner@bench.test"
DAY = 86400.0
# Everything a run writes; CASCADE takes what hangs off them (tickets, history, payments,
# refunds, job items, products, sandbox refunds...). Organizer and owner stay.
RUN_TABLES = (
    "catalog_event",
    *TABLES,
    "jobs_job",
    "django_tasks_database_dbtaskresult",
    "notifications_emailmessage",
    "payments_attentionitem",
    "webhooks_webhookdelivery",
    "common_workerheartbeat",
    "paytrail_sandbox_sandboxpayment",
    "paytrail_sandbox_sandboxlogentry",
)
# (name, VAT %, price cents, service fee cents); the first admission sells most.
ADMISSIONS = (("Päivälippu", "10.00", 4900, 250), ("Kaksipäivälippu", "10.00", 8900, 350))
EXTRA = ("Festivaalipaita", "25.50", 3000, 50)
FREE = ("Kutsuvieras", "10.00", 0, 0)


@dataclass
class SeededEvent:
    event: Event
    owner: User
    orders: int
    sandbox_payments: int
    seconds: float
    status_counts: dict[str, int] = field(default_factory=dict)
    method_counts: dict[str, int] = field(default_factory=dict)


def check_database(*, reset: bool) -> None:
    """Refuse a database holding orders of anyone but the benchmark (unless ``reset``)."""
    if connection.vendor != "postgresql":
        raise SeedError(
            "The event-cancel benchmark needs PostgreSQL (its worker processes share one "
            f"database); this is {connection.vendor}. "
            "Set DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db>."
        )
    others = Order.objects.exclude(organizer__slug=SLUG).count()
    if others and not reset:
        raise SeedError(
            f"The database holds other organizers' orders ({others:,}); each run empties the "
            "order, event, job, task, email and sandbox tables. Use a database of its own, or "
            "pass --reset to empty them anyway."
        )


def reset_run_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(RUN_TABLES)} RESTART IDENTITY CASCADE")


def bench_owner() -> User:
    """The benchmark's organizer and its owner, who cancels the event."""
    organizer, _ = Organizer.objects.get_or_create(
        slug=SLUG,
        defaults={
            "name": "Peruutustesti Oy",
            "business_id": business_id("3141593"),
            "city": "Helsinki",
            "support_email": "asiakaspalvelu@bench-cancel.example.fi",
        },
    )
    owner = User.objects.filter(email=OWNER_EMAIL).first()
    if owner is None:
        owner = User.objects.create_user(email=OWNER_EMAIL, full_name="Olli Omistaja")
    Membership.objects.get_or_create(user=owner, organizer=organizer, defaults={"role": Role.OWNER})
    return owner


def seed_event(*, orders: int, owner: User, random_seed: int = 2026) -> SeededEvent:
    """A fresh future event with ``orders`` orders (COPY) and their sandbox payments."""
    started = timezone.now()
    rng = random.Random(random_seed)
    now = started.timestamp()
    organizer = Organizer.objects.get(slug=SLUG)
    with transaction.atomic():
        info, event = _event(organizer, owner, now)
        rows = OrderRows(rng, [info], now, next_ids(), orders)
        with connection.cursor() as cursor:
            for chunk in rows.chunks(5000):
                for table in TABLES:
                    lines = chunk.text[table]
                    if lines:
                        columns = ", ".join(COLUMNS[table])
                        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                            copy.write("".join(lines))
        move_sequences()
        mirrored = mirror_paytrail_payments(Order.objects.filter(event=event))
    with connection.cursor() as cursor:
        for table in (*TABLES, "paytrail_sandbox_sandboxpayment"):
            cursor.execute(f"ANALYZE {table}")
    return SeededEvent(
        event=event,
        owner=owner,
        orders=orders,
        sandbox_payments=mirrored,
        seconds=(timezone.now() - started).total_seconds(),
        status_counts=rows.status_counts,
        method_counts=rows.method_counts,
    )


def _event(organizer: Organizer, owner: User, now: float) -> tuple[EventInfo, Event]:
    """A festival a month ahead that has sold for two months; returns allowed until two days
    before it (so some customers have asked for theirs)."""
    starts = datetime.fromtimestamp(now, UTC).replace(minute=0, second=0, microsecond=0)
    starts += timedelta(days=30)
    event = Event.objects.create(
        organizer=organizer,
        name=f"Peruttu festivaali {starts:%Y-%m-%d %H%M%S}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=54),
        venue="Suvilahti, Helsinki",
        default_funds_manager=FundsManager.PLATFORM,
        returns_allowed=True,
        returns_deadline=starts - timedelta(days=2),
    )
    specs = (*ADMISSIONS, EXTRA, FREE)
    products = Product.objects.bulk_create(
        Product(
            event=event,
            name=name,
            price=Decimal(price) / 100,
            vat_rate=Decimal(vat),
            service_fee=Decimal(fee) / 100,
        )
        for name, vat, price, fee in specs
    )
    made = [ProductInfo(p.pk, s[2], s[3], s[1]) for p, s in zip(products, specs, strict=True)]
    info = EventInfo(
        id=event.pk,
        organizer_id=organizer.pk,
        weight=1.0,
        starts_at=starts.timestamp(),
        sales_open=now - 60 * DAY,
        sales_close=now - 60,
        funds_manager=FundsManager.PLATFORM,
        returns_allowed=True,
        returns_deadline=starts.timestamp() - 2 * DAY,
        admissions=made[: len(ADMISSIONS)],
        extras=[made[len(ADMISSIONS)]],
        free=made[-1],
        staff_label=owner.full_name,
        staff_user_id=owner.pk,
        admission_cum=[1.0, 1.35],
    )
    return info, event
