"""Orders, tickets, history, payments and refunds as COPY text, consistent with what the
services would have written.

Every order follows one story (a scenario: paid, expired, cancelled, returned, ...) drawn by its
payment method with the demo's proportions; its timestamps, history rows (a placed row, then
one per status change), payment and refund follow from the story. Totals are the sums of its
tickets. Orders are placed in time order, so ids grow with created_at as in a real database.

The text never contains a tab, newline or backslash, so no COPY escaping is needed: names,
emails and reasons come from fixed lists, secrets are base32 / base64url / hex.
"""

import base64
import bisect
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from boxoffice.benchmark.catalog import EventInfo, ProductInfo
from boxoffice.benchmark.people import People
from boxoffice.orders.codes import CODE_ALPHABET, CODE_LENGTH
from boxoffice.orders.expiry import EXPIRY_REASON
from boxoffice.orders.models import PaymentMethod as M
from boxoffice.orders.search import search_text

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
NULL = "\\N"

# Columns of each COPY, in the order the generator writes them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "orders_order": (
        "id", "organizer_id", "event_id", "code", "secret", "customer_email", "customer_name",
        "customer_phone", "search_text", "language", "status", "payment_method",
        "funds_manager", "total", "service_fee_total", "product_count", "created_at",
        "payment_deadline", "paid_at", "cancelled_at", "returned_at", "updated_at",
    ),
    "orders_ticket": (
        "id", "order_id", "product_id", "price", "vat_rate", "service_fee", "secret", "state",
        "participant_name", "participant_email", "participant_fields", "checked_in_at",
        "voided_at",
    ),
    "orders_orderevent": (
        "id", "order_id", "kind", "created_at", "actor_kind", "actor_user_id", "actor_label",
        "ticket_id", "data",
    ),
    "payments_payment": (
        "id", "order_id", "method", "amount", "state", "stamp", "provider_reference", "href",
        "provider_status", "failure_reason", "failure_params", "created_at", "confirmed_at",
    ),
    "payments_refund": (
        "id", "order_id", "payment_id", "amount", "state", "source", "stamp", "reference",
        "provider_transaction_id", "provider_status", "provider", "failure_reason",
        "failure_params", "attempts", "sent_at", "next_attempt_at", "note", "actor_id",
        "created_at", "completed_at",
    ),
}  # fmt: skip
TABLES = tuple(COLUMNS)


@dataclass(frozen=True)
class Scenario:
    """What happens to an order after it is placed, and where that makes sense."""

    steps: tuple[str, ...]
    weight: int
    future: bool = False  # the event is still ahead (an open reservation or invoice)
    returns: bool = False  # the event takes return requests
    open_return: bool = False  # ... and its return deadline is still ahead
    recent: float | None = None  # placed at most this many seconds ago


ONLINE = (
    Scenario(("pay",), 850),
    Scenario(("expire",), 50),
    Scenario(("pay", "cancel"), 30),
    Scenario(("pay", "cancel", "refund"), 40),
    Scenario(("pay", "request_return"), 20, returns=True, open_return=True),
    Scenario(("pay", "request_return", "decline_return"), 8, returns=True),
    Scenario(("pay", "request_return", "accept_return", "refund"), 10, returns=True),
    # Still on the payment page: only orders of the last 20 minutes, and many of those.
    Scenario((), 300, future=True, recent=20 * MINUTE),
)
SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    M.PAYTRAIL: ONLINE,
    M.EPASSI: ONLINE,
    M.SMARTUM: ONLINE,
    M.INVOICE: (
        Scenario((), 35, future=True, recent=13 * DAY),  # the invoice is not due yet
        Scenario(("pay",), 50),
        Scenario(("cancel",), 10),
        Scenario(("pay", "cancel", "refund"), 5),
    ),
    M.FREE: (Scenario((), 90), Scenario(("cancel",), 10)),
    M.RESERVED_BY_ORGANIZER: (
        Scenario((), 60, future=True),
        Scenario(("pay",), 30),
        Scenario(("cancel",), 10),
    ),
}
SCENARIOS[M.RESERVED_BY_PLATFORM] = SCENARIOS[M.RESERVED_BY_ORGANIZER]
METHODS: tuple[str, ...] = (M.PAYTRAIL, M.EPASSI, M.SMARTUM, M.INVOICE, M.FREE)
METHODS += (M.RESERVED_BY_ORGANIZER, M.RESERVED_BY_PLATFORM)
METHOD_CUM = (62, 70, 77, 83, 88, 96, 100)
ONLINE_METHODS = (M.PAYTRAIL, M.EPASSI, M.SMARTUM)
# status after each step
STEP_STATUS = {
    "pay": "paid",
    "expire": "cancelled",
    "cancel": "cancelled",
    "request_return": "return_requested",
    "decline_return": "paid",
    "accept_return": "cancelled",
    "refund": "returned",
}
STEP_KIND = {
    "pay": "paid",
    "expire": "cancelled",
    "cancel": "cancelled",
    "request_return": "return_requested",
    "decline_return": "return_declined",
    "accept_return": "cancelled",
}
CANCEL_REASONS = (
    "Asiakas pyysi peruutusta puhelimitse.",
    "Tuplatilaus.",
    "Asiakas sairastui.",
    "Customer asked to cancel by email.",
    "Väärä tapahtuma valittu.",
    "",
)
RETURN_REASONS = ("En pääsekään paikalle.", "Päällekkäinen meno.", "Can't make it after all.")
TICKET_COUNT_CUM = (45, 78, 88, 100)  # 1, 2, 3 or 4 tickets


def ts(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def copy_text(text: str) -> str:
    """Text as a COPY field: its backslashes, tabs and newlines escaped."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def uuids(count: int) -> Iterator[str]:
    """Random version-4 UUIDs, from one os.urandom call."""
    raw = os.urandom(16 * count).hex()
    for i in range(0, 32 * count, 32):
        h = raw[i : i + 32]
        yield f"{h[:12]}4{h[13:16]}{'89ab'[int(h[16], 16) & 3]}{h[17:]}"


def ticket_secrets(count: int) -> list[str]:
    """160 random bits each in base32 (as codes.new_ticket_secret): 32 characters."""
    text = base64.b32encode(os.urandom(20 * count)).decode("ascii")
    return [text[i : i + 32] for i in range(0, 32 * count, 32)]


def order_secrets(count: int) -> list[str]:
    """192 random bits each, URL-safe base64 (as codes.new_order_secret): 32 characters."""
    text = base64.urlsafe_b64encode(os.urandom(24 * count)).decode("ascii")
    return [text[i : i + 32] for i in range(0, 32 * count, 32)]


@dataclass
class Chunk:
    """COPY text of a batch of orders, per table, and its row counts."""

    text: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TABLES})
    orders: int = 0


@dataclass
class Ids:
    """The next id of each table (ids are given explicitly, so rows can refer to each other)."""

    order: int
    ticket: int
    history: int
    payment: int
    refund: int


class OrderRows:
    def __init__(
        self, rng: random.Random, events: list[EventInfo], now: float, ids: Ids, count: int
    ) -> None:
        self.rng = rng
        self.events = events
        self.now = now
        self.ids = ids
        self.count = count
        self.people = People(rng, repeat_pool=count // 10)
        self.codes: set[str] = set()
        self._scenarios: dict[tuple[object, ...], tuple[tuple[Scenario, ...], list[int]]] = {}
        self.status_counts: dict[str, int] = {}
        self.method_counts: dict[str, int] = {}

    def placements(self) -> list[tuple[float, int]]:
        """(created_at, event index) of every order, oldest first."""
        rng = self.rng
        cum, acc = [], 0.0
        for event in self.events:
            acc += event.weight
            cum.append(acc)
        chosen = rng.choices(range(len(self.events)), cum_weights=cum, k=self.count)
        placed = []
        for e in chosen:
            event = self.events[e]
            # A rush when sales open, then sales pick up towards the event.
            r = rng.random()
            frac = r * 0.5 if r < 0.12 else rng.random() ** 0.7
            placed.append((event.sales_open + (event.sales_close - event.sales_open) * frac, e))
        placed.sort()
        return placed

    def chunks(self, size: int) -> Iterator[Chunk]:
        placed = self.placements()
        for start in range(0, len(placed), size):
            batch = placed[start : start + size]
            chunk = Chunk()
            secrets = iter(order_secrets(len(batch)))
            tickets = iter(ticket_secrets(len(batch) * 4))
            stamps = uuids(len(batch) * 2)
            for created, e in batch:
                self.order(chunk, created, self.events[e], next(secrets), tickets, stamps)
            chunk.orders = len(batch)
            yield chunk

    # -- one order -------------------------------------------------------------------------

    def scenario(self, method: str, event: EventInfo, created: float) -> Scenario:
        now = self.now
        key = (
            method,
            event.starts_at > now,
            event.returns_allowed,
            bool(event.returns_deadline and event.returns_deadline > now),
            now - created <= 20 * MINUTE,
            now - created <= 13 * DAY,
        )
        found = self._scenarios.get(key)
        if found is None:
            future, returns, open_return, last_minutes, last_days = key[1:]
            allowed = tuple(
                s
                for s in SCENARIOS[method]
                if (future or not s.future)
                and (returns or not s.returns)
                and (open_return or not s.open_return)
                and (s.recent is None or (last_minutes if s.recent <= 20 * MINUTE else last_days))
            )
            cum, acc = [], 0
            for s in allowed:
                acc += s.weight
                cum.append(acc)
            found = self._scenarios[key] = (allowed, cum)
        allowed, cum = found
        return allowed[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def gap(self, method: str, step: str, first: bool) -> float:
        """How long after the previous step ``step`` typically happens."""
        uniform = self.rng.uniform
        if step == "pay":
            if method in ONLINE_METHODS:
                return uniform(1 * MINUTE, 12 * MINUTE)  # back from the payment page
            if method == M.INVOICE:
                return uniform(3 * DAY, 20 * DAY)
            return uniform(1 * DAY, 21 * DAY)  # a reservation paid at the door or by transfer
        if step == "expire":
            return uniform(31 * MINUTE, 36 * MINUTE)  # the expiry job, after 30 minutes
        if step == "cancel" and first and method == M.INVOICE:
            return uniform(15 * DAY, 20 * DAY)  # the invoice fell overdue
        if step in ("cancel", "request_return"):
            return uniform(1 * DAY, 25 * DAY)
        return uniform(1 * HOUR, 3 * DAY)  # refund, decline or accept a return

    def products(self, method: str, event: EventInfo, n: int) -> list[ProductInfo]:
        """What ``n`` tickets of one order are for: admissions mostly, an extra now and then."""
        rnd = self.rng.random
        products: list[ProductInfo] = []
        for _ in range(n):
            if method == M.FREE:
                assert event.free is not None
                products.append(event.free)
            elif event.extras and rnd() < 0.15:
                products.append(event.extras[int(rnd() * len(event.extras))])
            else:
                cum = event.admission_cum
                products.append(event.admissions[bisect.bisect_right(cum, rnd() * cum[-1])])
        return products

    def times(self, method: str, scenario: Scenario, created: float) -> list[float]:
        """The story's times: placed, then each step; all of it in the past."""
        times = [created]
        for i, step in enumerate(scenario.steps):
            times.append(times[-1] + self.gap(method, step, i == 0))
        # A story that would end in the future happened a little earlier instead. (One without
        # steps is already in the past, and an open reservation must keep its deadline ahead.)
        late = times[-1] - (self.now - 30 - self.rng.random() * 900)
        if scenario.steps and late > 0:
            times = [t - late for t in times]
        return times

    def order(
        self,
        chunk: Chunk,
        created: float,
        event: EventInfo,
        secret: str,
        ticket_codes: Iterator[str],
        stamps: Iterator[str],
    ) -> None:
        rnd, ids, out = self.rng.random, self.ids, chunk.text
        method = METHODS[bisect.bisect_right(METHOD_CUM, rnd() * 100)]
        if method == M.FREE and event.free is None:
            method = M.PAYTRAIL
        scenario = self.scenario(method, event, created)
        person = self.people.customer()

        # Tickets: price, VAT and fee copied from the product.
        n = bisect.bisect_right(TICKET_COUNT_CUM, rnd() * 100) + 1
        products = self.products(method, event, n)
        fees = sum(p.fee for p in products)
        total = sum(p.price for p in products) + fees

        times = self.times(method, scenario, created)
        created = times[0]
        status, deadline = _opening(method, created)
        paid_at = created if method == M.FREE else None
        cancelled_at = returned_at = None

        order_id = ids.order
        ids.order += 1
        code = self.new_code()
        total_text = money(total)
        customer_label = person.email
        staff_label, staff_id = event.staff_label, event.staff_user_id
        staff_user = NULL if staff_id is None else str(staff_id)
        history = out["orders_orderevent"]

        def record(
            kind: str, when: float, actor: tuple[str, str, str], data: dict[str, Any]
        ) -> None:
            history.append(
                f"{ids.history}\t{order_id}\t{kind}\t{ts(when)}\t{actor[0]}\t{actor[1]}\t"
                f"{actor[2]}\t{NULL}\t{json.dumps(data, ensure_ascii=False)}\n"
            )
            ids.history += 1

        customer = ("customer", NULL, customer_label)
        staff = ("user", staff_user, staff_label)
        placers: dict[str, tuple[str, str, str]] = {
            M.RESERVED_BY_ORGANIZER: staff,
            M.RESERVED_BY_PLATFORM: ("user", NULL, "Pia Platform"),
        }
        placed_by = placers.get(method, customer)
        record(
            "placed",
            created,
            placed_by,
            {
                "status": status,
                "payment_method": method,
                "total": total_text,
                "product_count": n,
            },
        )
        payment_id: int | None = None
        for step, when in zip(scenario.steps, times[1:], strict=True):
            before, status = status, STEP_STATUS[step]
            data: dict[str, object] = {"from": before, "to": status}
            actor = staff
            if step == "pay":
                paid_at = paid_at or when
                data["amount"] = total_text
                if method in ONLINE_METHODS:
                    actor = ("system", NULL, method.capitalize())
                payment_id = ids.payment
                ids.payment += 1
                # Online payments start with the order; money paid by hand is recorded then.
                started = created + 5 if method in ONLINE_METHODS else when
                # Paytrail's word came with its callback; money paid by hand has none.
                told = "ok" if method == M.PAYTRAIL else ""
                out["payments_payment"].append(
                    f"{payment_id}\t{order_id}\t{method}\t{total_text}\tconfirmed\t{next(stamps)}"
                    f"\t{self.reference(method, order_id)}\t\t{told}\t\t{{}}"
                    f"\t{ts(started)}\t{ts(when)}\n"
                )
            elif step in ("expire", "cancel", "accept_return"):
                cancelled_at = cancelled_at or when
                if step == "expire":
                    actor = ("system", NULL, "payment deadline")
                    data["reason"] = EXPIRY_REASON
                elif step == "cancel":
                    data["reason"] = CANCEL_REASONS[int(rnd() * len(CANCEL_REASONS))]
                data["voided_tickets"] = n
            elif step == "request_return":
                actor = customer
                data["reason"] = RETURN_REASONS[int(rnd() * len(RETURN_REASONS))]
            elif step == "decline_return":
                data["reason"] = ""
            if step == "refund":
                returned_at = when
                self.refund(chunk, order_id, method, payment_id, total - fees, when, stamps)
                refunded = money(total - fees)
                if method == M.PAYTRAIL:
                    data["amount"] = refunded
                    record("refunded", when, ("system", NULL, "Paytrail"), data)
                else:
                    ref = f"BANK-{order_id}"
                    data.update(amount=refunded, reference=ref, note="")
                    record("marked_refunded", when, staff, data)
            else:
                record(STEP_KIND[step], when, actor, data)
        self.status_counts[status] = self.status_counts.get(status, 0) + 1
        self.method_counts[method] = self.method_counts.get(method, 0) + 1

        voided = NULL if cancelled_at is None else ts(cancelled_at)
        state = "valid" if cancelled_at is None else "void"
        tickets = out["orders_ticket"]
        participants: list[tuple[str, str]] = []
        for i, p in enumerate(products):
            name = email = ""
            if rnd() < 0.85:  # most tickets name their holder
                name = person.name if i == 0 else self.people.companion(person)
                if i == 0 and rnd() < 0.4:
                    email = person.email
            participants.append((name, email))
            tickets.append(
                f"{ids.ticket}\t{order_id}\t{p.id}\t{money(p.price)}\t{p.vat}\t{money(p.fee)}\t"
                f"{next(ticket_codes)}\t{state}\t{name}\t{email}\t{{}}\t{NULL}\t{voided}\n"
            )
            ids.ticket += 1
        found_by = search_text(
            email=person.email, name=person.name, phone=person.phone, participants=participants
        )
        out["orders_order"].append(
            f"{order_id}\t{event.organizer_id}\t{event.id}\t{code}\t{secret}\t{person.email}\t"
            f"{person.name}\t{person.phone}\t{copy_text(found_by)}\t{person.language}\t"
            f"{status}\t{method}\t{event.funds_manager}\t{total_text}\t{money(fees)}\t{n}\t{ts(created)}\t"
            f"{NULL if deadline is None else ts(deadline)}\t"
            f"{NULL if paid_at is None else ts(paid_at)}\t"
            f"{NULL if cancelled_at is None else ts(cancelled_at)}\t"
            f"{NULL if returned_at is None else ts(returned_at)}\t{ts(times[-1])}\n"
        )

    def refund(
        self,
        chunk: Chunk,
        order_id: int,
        method: str,
        payment_id: int | None,
        cents: int,
        when: float,
        stamps: Iterator[str],
    ) -> None:
        """The refund that made the order returned: all but the service fees, succeeded."""
        paytrail = method == M.PAYTRAIL
        source = "paytrail" if paytrail else "external"
        reference = "" if paytrail else f"BANK-{order_id}"
        transaction = f"RF{order_id:010d}" if paytrail else ""
        sent = ts(when - 60) if paytrail else NULL
        chunk.text["payments_refund"].append(
            f"{self.ids.refund}\t{order_id}\t{NULL if payment_id is None else payment_id}\t"
            f"{money(cents)}\tsucceeded\t{source}\t{next(stamps)}\t{reference}\t{transaction}\t"
            f"{'ok' if paytrail else ''}\t{'osuuspankki' if paytrail else ''}\t\t{{}}\t"
            f"{1 if paytrail else 0}\t{sent}\t{NULL}\t\t{NULL}\t{ts(when - 60)}\t{ts(when)}\n"
        )
        self.ids.refund += 1

    def reference(self, method: str, order_id: int) -> str:
        if method == M.PAYTRAIL:
            return f"PT{order_id:012d}"
        if method in (M.EPASSI, M.SMARTUM):
            return f"{method[:2].upper()}-{order_id * 7919 % 10**9:09d}"
        if method == M.INVOICE:
            return f"INV-{order_id}"
        return ""

    def new_code(self) -> str:
        choices, codes = self.rng.choices, self.codes
        while True:
            code = "".join(choices(CODE_ALPHABET, k=CODE_LENGTH))
            if code not in codes:
                codes.add(code)
                return code


def _opening(method: str, created: float) -> tuple[str, float | None]:
    """The status an order of this method is placed in, and its payment deadline."""
    if method in ONLINE_METHODS:
        return "reserved", created + 30 * MINUTE
    if method == M.INVOICE:
        return "invoicing", created + 14 * DAY
    if method == M.FREE:
        return "paid", None
    return "reserved", None
