"""Places the demo orders and acts on them through the real order services, so every order's
status, tickets, payments, refunds and history are exactly what the application would write."""

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.demo.catalog import DemoEvent, ProductSpec
from boxoffice.demo.people import CustomerPool, Person, make_companion
from boxoffice.demo.scenarios import Action, Need, Plan, plans, timeline
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod
from boxoffice.orders.returns import order_decline_return, order_request_return
from boxoffice.orders.services import (
    Customer,
    OrderLine,
    Participant,
    order_cancel,
    order_place,
    order_update_customer,
)
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded
from boxoffice.payments.models import Refund

# Every order is at most this many units, and an event takes orders only while one of its
# admission products can still seat a whole such order.
MAX_UNITS = 4
PROGRESS_EVERY = 1000

CANCEL_REASONS = (
    "Asiakas pyysi peruutusta puhelimitse.",
    "Tuplatilaus, asiakas maksoi kahdesti.",
    "Asiakas sairastui.",
    "Customer asked to cancel by email.",
    "Väärä tapahtuma valittu.",
)
RETURN_REASONS = (
    "En pääsekään paikalle.",
    "Päällekkäinen meno.",
    "Can't make it after all.",
)
COMPANIES = ("Koodipaja Oy", "Pohjoisen Data Oy", "Tampereen yliopisto", "Ohjelmistotalo Ky")
DIETS = ("", "", "", "kasvis", "vegaaninen", "gluteeniton", "laktoositon")


class DemoCapacityError(Exception):
    """The demo events have no room for more orders (``--orders`` set too high)."""


@dataclass
class Created:
    """A placed order and when each step of its story happened (placement first)."""

    order: Order
    plan: Plan
    times: list[datetime]

    def time_of(self, *actions: Action) -> datetime | None:
        """When the last of ``actions`` happened, or None if none of them did."""
        found = [
            t
            for a, t in zip(self.plan.scenario.actions, self.times[1:], strict=True)
            if a in actions
        ]
        return found[-1] if found else None


@dataclass
class DemoUsers:
    staff: User
    support: User  # demo-events' support agent; corrects customers' details


@dataclass
class Builder:
    rng: random.Random
    now: datetime
    events: list[DemoEvent]
    users: DemoUsers
    customers: CustomerPool
    progress: Callable[[str], None]
    # Units still sellable per limited product; counted here so no order hits CapacityExceeded.
    room: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for demo_event in self.events:
            for product, _spec in demo_event.products:
                if product.capacity is not None:
                    self.room[product.pk] = product.capacity

    def run(self, count: int) -> list[Created]:
        created: list[Created] = []
        for i, plan in enumerate(plans(self.rng, count), start=1):
            created.append(self._one(plan))
            if i % PROGRESS_EVERY == 0:
                self.progress(f"  {i} / {count} orders")
        return created

    # -- choosing ----------------------------------------------------------------------------

    def _fits(self, product: Product, units: int) -> bool:
        return product.pk not in self.room or self.room[product.pk] >= units

    def _admissions(self, demo_event: DemoEvent, units: int) -> list[tuple[Product, ProductSpec]]:
        return [
            (p, s) for p, s in demo_event.products if s.kind == "admission" and self._fits(p, units)
        ]

    def _eligible(self, demo_event: DemoEvent, plan: Plan) -> bool:
        needs = plan.scenario.needs
        event = demo_event.event
        if Need.FUTURE in needs and event.starts_at <= self.now:
            return False
        if Need.RETURNS in needs and not (
            event.returns_allowed and event.returns_deadline and event.returns_deadline > self.now
        ):
            return False
        if Need.FREE in needs:
            return demo_event.free_product is not None
        return bool(self._admissions(demo_event, MAX_UNITS))

    def _pick_event(self, plan: Plan) -> DemoEvent:
        candidates = [e for e in self.events if self._eligible(e, plan)]
        if not candidates:
            raise DemoCapacityError(
                f"No demo event can take a '{plan.scenario.name}' order any more; "
                "use a smaller --orders."
            )
        return self.rng.choices(candidates, [e.spec.weight for e in candidates])[0]

    def _units(self) -> int:
        return self.rng.choices((1, 2, 3, 4), (30, 42, 14, 14))[0]

    def _lines(self, demo_event: DemoEvent, plan: Plan, buyer: Person) -> list[OrderLine]:
        units = self._units()
        if plan.method == PaymentMethod.FREE:
            free = demo_event.free_product
            assert free is not None  # guaranteed by Need.FREE
            quantity = min(units, 2)  # guest-list places come in ones and twos
            return [OrderLine(free, quantity, self._participants(demo_event, buyer, quantity))]
        addons = [(p, s) for p, s in demo_event.products if s.kind == "addon" and self._fits(p, 1)]
        extra = 0
        if addons and units >= 2 and self.rng.random() < 0.3:
            extra = self.rng.randint(1, units - 1)
        admissions = self._admissions(demo_event, units - extra)
        product = self.rng.choices(admissions, [s.weight for _p, s in admissions])[0][0]
        lines = [
            OrderLine(product, units - extra, self._participants(demo_event, buyer, units - extra))
        ]
        if extra:
            addon = self.rng.choices(addons, [s.weight for _p, s in addons])[0][0]
            if self._fits(addon, extra):
                lines.append(OrderLine(addon, extra))  # extras have no participant
        return lines

    def _participants(
        self, demo_event: DemoEvent, buyer: Person, quantity: int
    ) -> tuple[Participant, ...]:
        # The buyer holds the first ticket; friends and family the rest.
        people = [(buyer.name, buyer.email)]
        people += [(make_companion(self.rng, buyer), "") for _ in range(quantity - 1)]
        return tuple(
            Participant(
                name=name,
                email=email,
                fields=(
                    {
                        "organisation": self.rng.choice(COMPANIES),
                        "diet": self.rng.choice(DIETS),
                    }
                    if demo_event.spec.asks_organisation
                    else {}
                ),
            )
            for name, email in people
        )

    # -- placing and acting ------------------------------------------------------------------

    def _one(self, plan: Plan) -> Created:
        demo_event = self._pick_event(plan)
        buyer = self.customers.pick()
        lines = self._lines(demo_event, plan, buyer)
        email = buyer.email
        if Action.CORRECT_CUSTOMER in plan.scenario.actions:
            email = _typo(self.rng, buyer.email)
        order = order_place(
            event=demo_event.event,
            lines=lines,
            customer=Customer(
                email=email, name=buyer.name, phone=buyer.phone, language=buyer.language
            ),
            payment_method=plan.method,
            actor=self._placer(plan.method, demo_event, email),
        )
        for line in lines:
            if line.product.pk in self.room:
                self.room[line.product.pk] -= line.quantity
        for action in plan.scenario.actions:
            order = self._act(action, order, plan, demo_event, buyer)
        opened = self.now - timedelta(days=demo_event.spec.on_sale_days_ago)
        closed = min(self.now, demo_event.event.starts_at)
        return Created(order, plan, timeline(self.rng, plan, opened, closed, self.now))

    def _placer(self, method: str, demo_event: DemoEvent, email: str) -> Actor:
        if method == PaymentMethod.RESERVED_BY_ORGANIZER:
            return Actor.for_user(demo_event.owner)
        if method == PaymentMethod.RESERVED_BY_PLATFORM:
            return Actor.for_user(self.users.staff)
        return Actor.customer(email)

    def _act(
        self, action: Action, order: Order, plan: Plan, demo_event: DemoEvent, buyer: Person
    ) -> Order:
        """Do ``action`` to the order through the services; returns the order as it is now."""
        owner = Actor.for_user(demo_event.owner)
        if action is Action.PAY:
            actor, reference = self._payment_confirmation(plan.method, demo_event)
            return order_mark_paid(order=order, actor=actor, reference=reference)
        if action is Action.EXPIRE:
            return order_cancel(
                order=order,
                actor=Actor.system("Payment deadline"),
                reason="Payment deadline passed",
            )
        if action is Action.CANCEL:
            return order_cancel(order=order, actor=owner, reason=self._cancel_reason(order))
        if action is Action.ACCEPT_RETURN:
            return order_cancel(order=order, actor=owner, reason="Palautuspyyntö hyväksytty.")
        if action is Action.REFUND:
            refunded: Order = self._refund(order, owner).order
            return refunded
        if action is Action.REQUEST_RETURN:
            return order_request_return(
                order=order,
                actor=Actor.customer(order.customer_email),
                reason=self.rng.choice(RETURN_REASONS),
            )
        if action is Action.DECLINE_RETURN:
            return order_decline_return(
                order=order, actor=owner, reason="Palautusaika on päättynyt lipputyypin osalta."
            )
        if action is Action.CORRECT_CUSTOMER:
            support = self.users.support if demo_event.spec.organizer == "demo-events" else None
            order_update_customer(
                order=order,
                actor=Actor.for_user(support) if support else owner,
                email=buyer.email,
                name=buyer.name,
                phone=buyer.phone,
                language=buyer.language,
            )
            order.refresh_from_db()
        return order

    def _payment_confirmation(self, method: str, demo_event: DemoEvent) -> tuple[Actor, str]:
        """Who confirms a payment of this method, and the provider's reference for it."""
        rng = self.rng
        if method == PaymentMethod.PAYTRAIL:
            return Actor.system("Paytrail"), str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if method == PaymentMethod.EPASSI:
            return Actor.system("Epassi"), f"EP{rng.randint(10**9, 10**10 - 1)}"
        if method == PaymentMethod.SMARTUM:
            return Actor.system("Smartum"), f"SMT-{rng.randint(10**7, 10**8 - 1)}"
        if method == PaymentMethod.INVOICE:
            return Actor.system("Procountor"), f"Lasku {rng.randint(20_000, 29_999)}"
        if method == PaymentMethod.RESERVED_BY_PLATFORM:
            return Actor.for_user(self.users.staff), "Tilisiirto"
        return Actor.for_user(demo_event.owner), rng.choice(("Käteinen ovelta", "Tilisiirto"))

    def _cancel_reason(self, order: Order) -> str:
        if order.status == OrderStatus.INVOICING:
            return "Laskua ei maksettu eräpäivään mennessä."
        if order.status == OrderStatus.RESERVED:
            return "Varausta ei lunastettu."
        return self.rng.choice(CANCEL_REASONS)

    def _refund(self, order: Order, owner: Actor) -> Refund:
        # Paytrail money the organizer refunds; benefit and invoice money the platform does.
        if order.payment_method == PaymentMethod.PAYTRAIL:
            reference = f"Paytrail-palautus {uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
            return order_mark_refunded(order=order, actor=owner, reference=reference)
        return order_mark_refunded(
            order=order,
            actor=Actor.for_user(self.users.staff),
            reference=f"{order.get_payment_method_display()}-hyvitys",
            note="Palautettu maksutavan tarjoajan kautta.",
        )


def _typo(rng: random.Random, email: str) -> str:
    """The address as a hurried customer typed it: two neighbouring letters swapped."""
    local, domain = email.split("@", 1)
    if len(local) < 3:
        return f"{local}{local[-1]}@{domain}"
    # Only letters swap places: a moved dot (".maija", "maija.") is not a valid address, and
    # order_place rightly refuses those.
    spots = [i for i in range(len(local) - 1) if local[i].isalnum() and local[i + 1].isalnum()]
    if not spots:
        return f"{local}{local[-1]}@{domain}"
    i = rng.choice(spots)
    if local[i] == local[i + 1]:
        return f"{local[:i]}{local[i + 1 :]}@{domain}"  # a dropped letter instead
    return f"{local[:i]}{local[i + 1]}{local[i]}{local[i + 2 :]}@{domain}"
