"""Shared fixtures: organizers, events, products, users with roles, order placement, and a
scriptable fake Paytrail."""

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import fake_dns
from boxoffice.accounts.models import Membership, Organizer, Role, User
from boxoffice.catalog.models import Event, FundsManager, Product
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import (
    Order,
    OrderComment,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    Ticket,
)
from boxoffice.orders.services import (
    Customer,
    OrderLine,
    Participant,
    order_cancel,
    order_place,
    order_transition,
)
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded
from boxoffice.payments.models import Payment, Refund
from boxoffice.payments.paytrail import payments as paytrail_payments
from boxoffice.payments.paytrail import refunds as paytrail_refunds
from boxoffice.payments.paytrail.client import PaytrailClient
from boxoffice.payments.paytrail.credentials import Merchant
from boxoffice.payments.paytrail.signing import sign, verify
from boxoffice.paytrail_sandbox import testing as sandbox
from boxoffice.paytrail_sandbox.callbacks import wait_for_deliveries

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # Tests read English messages unless they switch language on purpose.
    settings.LANGUAGE_CODE = "en"
    # Users are created in most tests; the production hasher would dominate the runtime.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters live in the cache: in memory, and none left over from another test.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture(autouse=True)
def _fake_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # No DNS here: the webhooks' resolver answers from fake_dns.py.
    from boxoffice.webhooks import addresses

    monkeypatch.setattr(addresses, "RESOLVER", fake_dns.resolve)
    yield
    fake_dns.ANSWERS.clear()


@pytest.fixture(autouse=True)
def _sandbox_callbacks_finish() -> Iterator[None]:
    """The Paytrail sandbox sends its callbacks from background threads after its answer. One
    still running after its test would reach the next test's server and database (and a test
    client there reports its exception as that test's): wait for them before moving on,
    including those whose answer is still being sent, so whose thread has not started yet."""
    yield
    from boxoffice.paytrail_sandbox.callbacks import wait_for_deliveries

    assert wait_for_deliveries(timeout=20), "a Paytrail sandbox callback is still running"


@pytest.fixture
def race() -> Callable[..., list[Any]]:
    """race(f, g, ...): run the calls at the same moment in threads (PostgreSQL race tests).

    Each result is the call's value or the exception it raised; each thread closes its own
    database connection.
    """

    from django.db import connection

    def run_all(*calls: Callable[[], Any]) -> list[Any]:
        barrier = threading.Barrier(len(calls))
        results: list[Any] = [None] * len(calls)

        def run(i: int, call: Callable[[], Any]) -> None:
            try:
                barrier.wait(timeout=10)
                results[i] = call()
            except Exception as exc:
                results[i] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
            assert not thread.is_alive(), "a racing call hung"
        return results

    return run_all


@pytest.fixture
def run_tasks(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Run every task that is due, and the periodic jobs, as `boxoffice worker --batch` does.

    The worker closes "old" connections between tasks; inside a test's transaction that would
    close the test's own connection, so here it is a no-op.
    """
    from django.core.management import call_command

    for module in (
        "boxoffice.processes.management.commands.worker",
        "boxoffice.processes.claim",
        "django_tasks_db.management.commands.db_worker",
    ):
        monkeypatch.setattr(f"{module}.close_old_connections", lambda: None)

    def run() -> None:
        from django_tasks_db.models import DBTaskResult

        call_command("worker", "--batch", verbosity=0)
        # A task that raised is stored as FAILED and would otherwise pass unnoticed.
        failed = list(
            DBTaskResult.objects.filter(status="FAILED").values_list("traceback", flat=True)
        )
        assert not failed, "a task failed:\n" + "\n".join(failed)

    return run


@pytest.fixture
def password() -> str:
    """The password every test user gets."""
    return PASSWORD


@pytest.fixture
def make_organizer(db: None) -> Callable[..., Organizer]:
    counter = iter(range(1, 10_000))

    def make(**kw: Any) -> Organizer:
        n = next(counter)
        defaults: dict[str, Any] = {
            "name": f"Organizer {n}",
            "slug": f"organizer-{n}",
            "business_id": "0737546-2",
            "support_email": f"support{n}@example.com",
            "street_address": "Mannerheimintie 1",
            "postal_code": "00100",
            "city": "Helsinki",
        }
        defaults.update(kw)
        return Organizer.objects.create(**defaults)

    return make


@pytest.fixture
def organizer(make_organizer: Callable[..., Organizer]) -> Organizer:
    return make_organizer(name="Demo Events Oy", slug="demo")


@pytest.fixture
def other_organizer(make_organizer: Callable[..., Organizer]) -> Organizer:
    return make_organizer(name="Other Events Oy", slug="other")


@pytest.fixture
def make_event(db: None) -> Callable[..., Event]:
    def make(organizer: Organizer, **kw: Any) -> Event:
        start = timezone.now() + timedelta(days=30)
        defaults: dict[str, Any] = {
            "name": "Tuska Festival",
            "starts_at": start,
            "ends_at": start + timedelta(hours=6),
            "venue": "Suvilahti, Helsinki",
            "default_funds_manager": FundsManager.PLATFORM,
        }
        defaults.update(kw)
        if defaults["default_funds_manager"] == FundsManager.ORGANIZER and not (
            organizer.has_paytrail_account
        ):
            # Such an event sells online only once its organizer's own merchant account is set
            # (orders.rules.place_online); tests of a missing account clear it again.
            organizer.paytrail_merchant_id = "375917"
            organizer.paytrail_secret = "SAIPPUAKAUPPIAS"
            organizer.save(update_fields=["paytrail_merchant_id", "paytrail_secret"])
        return Event.objects.create(organizer=organizer, **defaults)

    return make


@pytest.fixture
def event(make_event: Callable[..., Event], organizer: Organizer) -> Event:
    return make_event(organizer)


@pytest.fixture
def make_product(db: None) -> Callable[..., Product]:
    def make(event: Event, **kw: Any) -> Product:
        defaults: dict[str, Any] = {
            "name": "Day ticket",
            "price": Decimal("49.00"),
            "vat_rate": Decimal("10.00"),
            "service_fee": Decimal("2.50"),
            "capacity": 100,
        }
        defaults.update(kw)
        return Product.objects.create(event=event, **defaults)

    return make


@pytest.fixture
def product(make_product: Callable[..., Product], event: Event) -> Product:
    return make_product(event)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(
        email: str, organizer: Organizer | None = None, role: str = Role.OWNER, **kw: Any
    ) -> User:
        user = User.objects.create_user(email=email, password=PASSWORD, **kw)
        if organizer is not None:
            Membership.objects.create(user=user, organizer=organizer, role=role)
        return user

    return make


@pytest.fixture
def owner(make_user: Callable[..., User], organizer: Organizer) -> User:
    return make_user("owner@example.com", organizer, Role.OWNER, full_name="Olli Omistaja")


@pytest.fixture
def staff_user(make_user: Callable[..., User]) -> User:
    return make_user("staff@example.com", is_staff=True, full_name="Platform Staff")


@pytest.fixture
def actor(owner: User) -> Actor:
    return Actor.for_user(owner)


@pytest.fixture
def place(db: None) -> Callable[..., Order]:
    """Place an order through the real service."""

    def make(
        product: Product,
        quantity: int = 2,
        method: str = PaymentMethod.PAYTRAIL,
        email: str = "maija.meikalainen@example.com",
        name: str = "Maija Meikäläinen",
        participants: tuple[Participant, ...] = (),
        **customer: Any,
    ) -> Order:
        return order_place(
            event=product.event,
            lines=[OrderLine(product=product, quantity=quantity, participants=participants)],
            customer=Customer(email=email, name=name, **customer),
            payment_method=method,
            actor=Actor.customer(email),
        )

    return make


# -- orders in a given status, and snapshots that show a refused call changed nothing -------

Snapshot = dict[str, Any]


def table_counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "tickets": Ticket.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "history": OrderEvent.objects.count(),
        "comments": OrderComment.objects.count(),
        "emails": EmailMessage.objects.count(),
        "tasks": DBTaskResult.objects.count(),
    }


def take_snapshot(order: Order, *, with_counts: bool = True) -> Snapshot:
    """Every stored row of one order, plus table sizes."""
    snap: Snapshot = {
        "order": Order.objects.filter(pk=order.pk).values().get(),
        "tickets": list(Ticket.objects.filter(order_id=order.pk).order_by("pk").values()),
        "payments": list(Payment.objects.filter(order_id=order.pk).order_by("pk").values()),
        "refunds": list(Refund.objects.filter(order_id=order.pk).order_by("pk").values()),
        "history": list(OrderEvent.objects.filter(order_id=order.pk).order_by("pk").values()),
        "comments": list(OrderComment.objects.filter(order_id=order.pk).order_by("pk").values()),
        "emails": list(EmailMessage.objects.filter(order_id=order.pk).order_by("pk").values()),
    }
    if with_counts:
        snap["counts"] = table_counts()
    return snap


def build_order_in(
    status: str,
    *,
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    quantity: int = 2,
    **kw: Any,
) -> Order:
    """An order in ``status``, reached through the real services (never by writing the row)."""
    method = PaymentMethod.INVOICE if status == OrderStatus.INVOICING else PaymentMethod.PAYTRAIL
    order = place(product, quantity=quantity, method=method, **kw)
    if status not in (OrderStatus.RESERVED, OrderStatus.INVOICING):
        order = order_mark_paid(order=order, actor=actor, reference="PT-1")
    if status == OrderStatus.RETURN_REQUESTED:
        with transaction.atomic():
            order_transition(
                order=order, to=OrderStatus.RETURN_REQUESTED, actor=Actor.customer("c@example.com")
            )
    if status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        order = order_cancel(order=order, actor=actor, reason="setup")
    if status == OrderStatus.RETURNED:
        order_mark_refunded(order=order, actor=actor, reference="BANK-1")
    order.refresh_from_db()
    assert order.status == status
    return order


@pytest.fixture
def snapshot() -> Callable[..., Snapshot]:
    return take_snapshot


@pytest.fixture
def counts() -> Callable[[], dict[str, int]]:
    return table_counts


@pytest.fixture
def order_in(place: Callable[..., Order], product: Product, actor: Actor) -> Callable[..., Order]:
    """order_in("paid") -> a paid order of 2 x 49.00 + 2 x 2.50 fees = 103.00 in ``event``."""

    def make(status: str, *, product: Product = product, quantity: int = 2, **kw: Any) -> Order:
        return build_order_in(
            status, place=place, product=product, actor=actor, quantity=quantity, **kw
        )

    return make


# -- a scriptable fake Paytrail (httpx MockTransport) ------------------------------------------

Reply = str | int | type[Exception] | Callable[[], None]


@dataclass
class FakePaytrail:
    """Answers refund POSTs and GETs as Paytrail would; ``replies`` scripts the next answers.

    A reply is a refund status ("ok", "pending", "fail"), an HTTP error status (400, 500), an
    httpx exception class to raise (timeouts, connection errors), or a callable run before the
    answer (e.g. to deliver a callback first).
    """

    secret: str = "SAIPPUAKAUPPIAS"
    replies: list[Reply] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    lookups: dict[str, str] = field(default_factory=dict)
    payments: list[dict[str, Any]] = field(default_factory=list)
    payment_replies: list[int] = field(default_factory=list)  # HTTP errors for POST /payments

    def handler(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.startswith("checkout-")}
        verify(headers, request.content.decode(), self.secret, request.headers.get("signature"))
        if request.method == "GET":
            tid = request.url.path.rsplit("/", 1)[-1]
            if tid not in self.lookups:
                return httpx.Response(404, json={"status": "error", "message": "Not found"})
            # What Paytrail knows of the transaction, when this fake made it.
            known = [p for p in self.payments if p["transactionId"] == tid]
            known += [
                {**r, "stamp": r.get("refundStamp")}
                for r in self.refunds
                if r["transactionId"] == tid
            ]
            made = known[0] if known else {"amount": 1, "stamp": "s", "reference": "r"}
            return self._signed(
                200,
                {
                    "transactionId": tid,
                    "status": self.lookups[tid],
                    "amount": made["amount"],
                    "stamp": made["stamp"],
                    "reference": made.get("reference") or "r",
                },
                headers,
            )
        if request.url.path.endswith("/payments"):
            return self._create_payment(request, headers)
        reply: Reply = self.replies.pop(0) if self.replies else "ok"
        while callable(reply) and not isinstance(reply, type):
            reply()
            reply = self.replies.pop(0) if self.replies else "ok"
        if isinstance(reply, type):
            raise reply("scripted failure", request=request)
        if isinstance(reply, int):
            return httpx.Response(reply, json={"status": "error", "message": f"HTTP {reply}"})
        body = json.loads(request.content)
        tid = str(uuid.uuid4())
        self.refunds.append({**body, "transactionId": tid, "status": reply})
        return self._signed(
            201, {"transactionId": tid, "provider": "nordea", "status": reply}, headers
        )

    def _create_payment(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Response:
        if self.payment_replies:
            status = self.payment_replies.pop(0)
            return httpx.Response(status, json={"status": "error", "message": f"HTTP {status}"})
        body = json.loads(request.content)
        tid = str(uuid.uuid4())
        self.payments.append({**body, "transactionId": tid})
        href = f"https://pay.example/pay/{tid}"
        return self._signed(
            201, {"transactionId": tid, "href": href, "reference": "809759248"}, headers
        )

    def payment_params(self, payment: dict[str, Any], status: str) -> dict[str, str]:
        """A signed redirect/callback query for a created payment."""
        params = {
            "checkout-account": "375917",
            "checkout-algorithm": "sha256",
            "checkout-amount": str(payment["amount"]),
            "checkout-stamp": payment["stamp"],
            "checkout-reference": payment["reference"],
            "checkout-transaction-id": payment["transactionId"],
            "checkout-status": status,
            "checkout-provider": "nordea",
        }
        params["signature"] = sign(params, "", self.secret)
        return params

    def _signed(
        self, status: int, data: dict[str, Any], request_headers: dict[str, str]
    ) -> httpx.Response:
        text = json.dumps(data)
        headers = {
            "checkout-account": request_headers["checkout-account"],
            "checkout-algorithm": "sha256",
            "checkout-method": request_headers["checkout-method"],
            "request-id": str(uuid.uuid4()),
        }
        headers["signature"] = sign(headers, text, self.secret)
        return httpx.Response(status, text=text, headers=headers)

    def callback_params(
        self,
        refund_stamp: str,
        status: str,
        transaction_id: str | None,
        amount: int | None = None,
    ) -> dict[str, str]:
        """A signed refund callback; ``amount`` defaults to the refund's, as Paytrail sends."""
        if amount is None:
            sent = [r["amount"] for r in self.refunds if r.get("refundStamp") == refund_stamp]
            amount = sent[0] if sent else _refund_cents(refund_stamp)
        params = {
            "checkout-account": "375917",
            "checkout-algorithm": "sha256",
            "checkout-amount": str(amount),
            "checkout-stamp": refund_stamp,
            "checkout-reference": "ref",
            "checkout-status": status,
            "checkout-provider": "nordea",
        }
        if transaction_id:
            params["checkout-transaction-id"] = transaction_id
        params["signature"] = sign(params, "", self.secret)
        return params


def _refund_cents(refund_stamp: str) -> int:
    """The amount of a refund Paytrail heard of before our records of the POST (a callback
    that overtook the answer): what we asked for, in cents."""
    refund = Refund.objects.filter(stamp=refund_stamp).first()
    return int(refund.amount * 100) if refund is not None else 1


@pytest.fixture
def paytrail(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[FakePaytrail]:
    settings.PAYTRAIL_RETRY_BASE_SECONDS = 0
    # Lookups are not due during a test unless it runs them itself (paytrail_refunds.check).
    settings.PAYTRAIL_REFUND_CONFIRM_SECONDS = 3600
    fake = FakePaytrail()

    def client(merchant: Merchant, **kwargs: Any) -> PaytrailClient:
        return PaytrailClient(merchant, transport=httpx.MockTransport(fake.handler))

    monkeypatch.setattr(paytrail_refunds, "PaytrailClient", client)
    monkeypatch.setattr(paytrail_payments, "PaytrailClient", client)
    yield fake


@pytest.fixture
def site(live_server: Any, settings: Any) -> Iterator[str]:
    """The app and its Paytrail sandbox served over real HTTP, callbacks before answers."""
    settings.SITE_URL = live_server.url
    settings.PAYTRAIL_API_URL = f"{live_server.url}/paytrail-sandbox"
    settings.PAYTRAIL_SANDBOX_SYNC_CALLBACKS = True  # callbacks before the sandbox answers
    settings.PAYTRAIL_RETRY_BASE_SECONDS = 0
    settings.PAYTRAIL_REFUND_CONFIRM_SECONDS = 3600
    settings.PAYTRAIL_TIMEOUT_SECONDS = 5
    sandbox.reset_sandbox()
    yield str(live_server.url)
    # Callbacks still on their way (a duplicate copy, a retry) land while this test's data is
    # still there, not in the next test.
    assert wait_for_deliveries(timeout=20)
