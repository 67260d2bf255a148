"""What happens to each demo order: its payment method, what is done to it after it is placed,
and when each of those things happened."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from boxoffice.orders.models import PaymentMethod as M


class Action(StrEnum):
    """One service call after placing; each writes exactly one history row."""

    PAY = "pay"
    EXPIRE = "expire"  # the payment deadline passed: the system cancels
    CANCEL = "cancel"  # the organizer cancels
    REFUND = "refund"  # money returned, order marked as refunded
    REQUEST_RETURN = "request_return"  # the customer asks to return
    DECLINE_RETURN = "decline_return"
    ACCEPT_RETURN = "accept_return"  # the organizer accepts: the order is cancelled
    CORRECT_CUSTOMER = "correct_customer"  # support fixes a mistyped email


class Need(StrEnum):
    """What an event must offer for a scenario to make sense there."""

    FUTURE = "future"  # still ahead: open reservations and invoices only make sense then
    RETURNS = "returns"  # customers may request returns (and the deadline is ahead)
    FREE = "free"  # has a free product


@dataclass(frozen=True)
class Scenario:
    name: str
    actions: tuple[Action, ...]
    weight: int
    needs: frozenset[Need] = frozenset()
    # Placed within this long before now instead of anywhere in the sales period: open online
    # reservations are minutes old (their 30-minute deadline still ahead), open invoices weeks.
    recent: timedelta | None = None


A = Action
_FUTURE = frozenset({Need.FUTURE})
_RETURNS = frozenset({Need.RETURNS})
_FREE = frozenset({Need.FREE})

ONLINE = (
    Scenario("paid", (A.PAY,), 800),
    Scenario("corrected", (A.PAY, A.CORRECT_CUSTOMER), 20),
    Scenario("expired", (A.EXPIRE,), 50),
    Scenario("cancelled", (A.PAY, A.CANCEL), 30),
    Scenario("returned", (A.PAY, A.CANCEL, A.REFUND), 40),
    Scenario("return_requested", (A.PAY, A.REQUEST_RETURN), 20, _RETURNS),
    Scenario("return_declined", (A.PAY, A.REQUEST_RETURN, A.DECLINE_RETURN), 8, _RETURNS),
    Scenario("return_accepted", (A.PAY, A.REQUEST_RETURN, A.ACCEPT_RETURN, A.REFUND), 10, _RETURNS),
    Scenario("live", (), 12, _FUTURE, recent=timedelta(minutes=20)),
)
INVOICE = (
    Scenario("invoicing", (), 35, _FUTURE, recent=timedelta(days=24)),
    Scenario("invoice_paid", (A.PAY,), 50),
    Scenario("invoice_unpaid", (A.CANCEL,), 10),
    Scenario("invoice_returned", (A.PAY, A.CANCEL, A.REFUND), 5),
)
FREE = (
    Scenario("free", (), 90, _FREE),
    Scenario("free_cancelled", (A.CANCEL,), 10, _FREE),
)
RESERVED = (
    Scenario("held", (), 60, _FUTURE),
    Scenario("held_paid", (A.PAY,), 30),
    Scenario("held_cancelled", (A.CANCEL,), 10),
)

SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    M.PAYTRAIL: ONLINE,
    M.EPASSI: ONLINE,
    M.SMARTUM: ONLINE,
    M.INVOICE: INVOICE,
    M.FREE: FREE,
    M.RESERVED_BY_ORGANIZER: RESERVED,
    M.RESERVED_BY_PLATFORM: RESERVED,
}
METHOD_WEIGHTS: dict[str, int] = {
    M.PAYTRAIL: 62,
    M.EPASSI: 8,
    M.SMARTUM: 7,
    M.INVOICE: 6,
    M.FREE: 5,
    M.RESERVED_BY_ORGANIZER: 8,
    M.RESERVED_BY_PLATFORM: 4,
}


@dataclass(frozen=True)
class Plan:
    method: str
    scenario: Scenario


def plans(rng: random.Random, count: int) -> Iterator[Plan]:
    """``count`` plans: first one of every (method, scenario) pair, so even a small demo shows
    every status and method, then random draws by weight."""
    every = [Plan(method, s) for method, group in SCENARIOS.items() for s in group]
    methods = list(METHOD_WEIGHTS)
    method_weights = list(METHOD_WEIGHTS.values())
    for i in range(count):
        if i < len(every):
            yield every[i]
            continue
        method = rng.choices(methods, method_weights)[0]
        group = SCENARIOS[method]
        yield Plan(method, rng.choices(group, [s.weight for s in group])[0])


def _between(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    return low + (high - low) * rng.random()


def _gap(rng: random.Random, method: str, action: Action, first: bool) -> timedelta:
    """How long after the previous step ``action`` typically happens."""
    minutes, hours, days = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
    if action is A.PAY:
        if method in (M.PAYTRAIL, M.EPASSI, M.SMARTUM):
            return _between(rng, 1 * minutes, 12 * minutes)  # back from the payment page
        if method == M.INVOICE:
            return _between(rng, 3 * days, 20 * days)
        return _between(rng, 1 * days, 21 * days)  # a reservation paid at the door or by transfer
    if action is A.EXPIRE:
        # The expiry job runs every few minutes after the 30-minute deadline.
        return _between(rng, 31 * minutes, 36 * minutes)
    if action is A.CANCEL and first and method == M.INVOICE:
        return _between(rng, 15 * days, 20 * days)  # the invoice fell overdue
    if action in (A.CANCEL, A.REQUEST_RETURN):
        return _between(rng, 1 * days, 25 * days)
    if action in (A.REFUND, A.DECLINE_RETURN, A.ACCEPT_RETURN):
        return _between(rng, 1 * hours, 3 * days)
    return _between(rng, 10 * minutes, 2 * days)  # CORRECT_CUSTOMER


def _placement_fraction(rng: random.Random) -> float:
    # A rush when sales open, then sales pick up towards the event.
    if rng.random() < 0.12:
        return rng.random() * 0.06
    return float(rng.random() ** 0.7)


def timeline(
    rng: random.Random, plan: Plan, sales_open: datetime, sales_close: datetime, now: datetime
) -> list[datetime]:
    """When the order was placed, then when each of its actions happened; all before ``now``."""
    gaps = [
        _gap(rng, plan.method, action, i == 0) for i, action in enumerate(plan.scenario.actions)
    ]
    span = sum(gaps, timedelta())
    latest = min(sales_close, now - span - timedelta(minutes=2))
    earliest = sales_open
    if plan.scenario.recent is not None:
        earliest = max(earliest, now - plan.scenario.recent)
        latest = now - timedelta(seconds=30)
    if latest <= earliest:
        # Not enough room for the whole story: start at the earliest moment, squeeze the gaps.
        latest = earliest
        room = now - timedelta(minutes=1) - earliest
        if span > room:
            gaps = [g * (room / span) for g in gaps]
    placed = earliest + (latest - earliest) * _placement_fraction(rng)
    times = [placed]
    for g in gaps:
        times.append(times[-1] + g)
    return times
