"""Random sequences of Paytrail messages and people's actions never fool the ledger (issue 12, 6).

A hypothesis state machine plays Paytrail (an in-memory model behind the real signed client:
payments, refunds, balances, lookups, messages it sends late, twice, out of order or never) and
everyone else (the customer paying, the organizer cancelling, refunding and marking as refunded,
a forger with the merchant key, the worker sending, crashing and restarting, reconciliation)
against one order. After every step the stored rows must satisfy:

- money refunded never exceeds money received, unless the order is flagged over-refunded;
- no payment is confirmed twice, and no refund is sent to Paytrail twice;
- the order's status agrees with its ledger (paid means the money is in, returned means it is
  all back, valid tickets only in open orders);
- every money movement has its history row, and every contradiction its attention item.

Each example runs in a savepoint that is rolled back afterwards, so examples do not see each
other's rows. The number of examples is ``MONEY_PROPERTY_EXAMPLES`` (2,000 unless set).
"""

import json
import os
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.db import transaction
from django.test import RequestFactory
from django.test.utils import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from boxoffice.common.errors import DomainError
from boxoffice.orders.actors import Actor
from boxoffice.orders.expiry import orders_expire
from boxoffice.orders.models import Order, OrderEvent, OrderStatus, TicketState
from boxoffice.orders.services import order_cancel
from boxoffice.payments import views
from boxoffice.payments.ledger import money_received, money_refunded
from boxoffice.payments.marking import order_mark_refunded
from boxoffice.payments.models import (
    REFUND_STATES_DONE,
    REFUND_STATES_IN_FLIGHT,
    AttentionItem,
    PaymentState,
    Refund,
    RefundSource,
    RefundState,
)
from boxoffice.payments.paytrail import payments as paytrail_payments
from boxoffice.payments.paytrail import refunds as paytrail_refunds
from boxoffice.payments.paytrail.client import PaytrailClient
from boxoffice.payments.paytrail.signing import sign
from boxoffice.payments.reconcile import reconcile_paytrail
from boxoffice.payments.selectors import refundable_amount
from boxoffice.payments.services import refund_request

EXAMPLES = int(os.environ.get("MONEY_PROPERTY_EXAMPLES", "2000"))
ACCOUNT, SECRET = "375917", "SAIPPUAKAUPPIAS"
OPEN = (OrderStatus.RESERVED, OrderStatus.PAID, OrderStatus.RETURN_REQUESTED)


# -- Paytrail, in memory -------------------------------------------------------------------------


@dataclass
class Tx:
    tid: str
    kind: str  # "payment" or "refund"
    amount: int
    stamp: str
    status: str
    payment_tid: str = ""
    reference: str = ""


@dataclass
class Paytrail:
    """Paytrail's side: what it holds, what it answers, and the callbacks it has yet to send."""

    txs: dict[str, Tx] = field(default_factory=dict)
    # How the next refund POST goes: ok, pending, fail, 500 (nothing done), timeout (done, but
    # the answer never comes).
    next_refund: str = "ok"
    outbox: list[dict[str, str]] = field(default_factory=list)  # messages not yet delivered
    sent: list[dict[str, str]] = field(default_factory=list)  # every message, for replays

    def handler(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.startswith("checkout-")}
        path = request.url.path
        if request.method == "GET":
            tx = self.txs.get(path.rsplit("/", 1)[-1])
            if tx is None:
                return httpx.Response(404, json={"status": "error", "message": "Not found"})
            body = {"transactionId": tx.tid, "status": tx.status, "amount": tx.amount}
            body.update(stamp=tx.stamp, reference=tx.reference)
            return self._signed(200, body, headers)
        data = json.loads(request.content)
        if path.endswith("/payments"):
            tx = Tx(str(uuid.uuid4()), "payment", data["amount"], data["stamp"], "new")
            tx.reference = data["reference"]
            self.txs[tx.tid] = tx
            body = {"transactionId": tx.tid, "href": "https://pay/x", "reference": "809759248"}
            return self._signed(201, body, headers)
        payment_tid = path.split("/")[-2]
        outcome = self.next_refund
        self.next_refund = "ok"
        if outcome == "500":
            return httpx.Response(500, json={"status": "error", "message": "boom"})
        refund = self.refund(payment_tid, data["amount"], data["refundStamp"], outcome)
        if refund is None:
            return httpx.Response(400, json={"status": "error", "message": "balance"})
        if outcome == "timeout":
            raise httpx.ReadTimeout("no answer", request=request)
        body = {"transactionId": refund.tid, "provider": "osuuspankki", "status": refund.status}
        return self._signed(201, body, headers)

    def refund(self, payment_tid: str, amount: int, stamp: str, outcome: str) -> Tx | None:
        """Make a refund of the payment, if its balance allows; queue its callback."""
        paid = self.txs.get(payment_tid)
        taken = sum(
            t.amount
            for t in self.txs.values()
            if t.payment_tid == payment_tid and t.status in ("ok", "pending")
        )
        if paid is None or paid.status != "ok" or taken + amount > paid.amount:
            return None
        status = {"timeout": "ok"}.get(outcome, outcome)
        tx = Tx(str(uuid.uuid4()), "refund", amount, stamp, status, payment_tid)
        self.txs[tx.tid] = tx
        if status != "pending":
            self.queue(tx)
        return tx

    def queue(self, tx: Tx) -> dict[str, str]:
        params = {
            "checkout-account": ACCOUNT,
            "checkout-algorithm": "sha256",
            "checkout-amount": str(tx.amount),
            "checkout-stamp": tx.stamp,
            "checkout-reference": tx.reference or "ref",
            "checkout-transaction-id": tx.tid,
            "checkout-status": tx.status,
            "checkout-provider": "osuuspankki",
        }
        params["signature"] = sign(params, "", SECRET)
        message = {**params, "_kind": tx.kind}
        self.outbox.append(message)
        self.sent.append(message)
        return message

    def _signed(self, status: int, data: dict[str, Any], request: dict[str, str]) -> Any:
        text = json.dumps(data)
        headers = {
            "checkout-account": ACCOUNT,
            "checkout-algorithm": "sha256",
            "checkout-method": request["checkout-method"],
        }
        headers["signature"] = sign(headers, text, SECRET)
        return httpx.Response(status, text=text, headers=headers)


# -- the state machine ---------------------------------------------------------------------------


class MoneyMachine(RuleBasedStateMachine):
    """One order, everyone acting on it; the invariants are the issue's."""

    product: Any = None
    place: Any = None
    owner: Any = None

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.paytrail = Paytrail()
        self.order: Order = self.place(self.product, quantity=2)  # 103.00, 5.00 fees
        self.actor = Actor.for_user(self.owner)
        self.requests = RequestFactory()

    @initialize(
        start=st.sampled_from(
            ["reserved", "paid", "cancelled", "refunding", "refund_failed", "refund_pending"]
        )
    )
    def start_from(self, start: str) -> None:
        """Where the story starts: a fresh reservation, or already paid through Paytrail (then
        cancelled, then with a refund asked for, sent, and failed or pending at Paytrail), so
        every refund path gets its share of the sequences."""
        if start == "reserved":
            return
        paytrail_payments.payment_start(order=self.order)
        [tx] = self.paytrail.txs.values()
        tx.status = "ok"
        message = self.paytrail.queue(tx)
        self.paytrail.outbox.remove(message)
        self._deliver(message)
        if start != "paid":
            order_cancel(order=self.order, actor=self.actor, notify=False)
        if start in ("refunding", "refund_failed", "refund_pending"):
            refund = refund_request(order=self.order, actor=self.actor)
        if start in ("refund_failed", "refund_pending"):
            self.paytrail.next_refund = start.removeprefix("refund_").replace("failed", "fail")
            with self._paytrail():
                paytrail_refunds.send(refund.pk)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def client(self, merchant: Any, **kwargs: Any) -> PaytrailClient:
        return PaytrailClient(merchant, transport=httpx.MockTransport(self.paytrail.handler))

    # -- the customer and Paytrail's payment side ------------------------------------------------

    @rule(
        status=st.sampled_from(["ok", "ok", "ok", "fail"]),
        callback=st.sampled_from(["now", "now", "twice", "later", "lost"]),
        back=st.booleans(),
    )
    def customer_pays(self, status: str, callback: str, back: bool) -> None:
        """Pay now, then ok or fail on Paytrail's page: its callback comes now, twice, later (in
        any order with others) or never, and the customer's browser may come back too."""
        with suppress(DomainError):  # refused when not payable now: it changes nothing
            paytrail_payments.payment_start(order=self.order)
        new = [t for t in self.paytrail.txs.values() if t.kind == "payment" and t.status == "new"]
        if not new:
            return
        tx = new[-1]
        tx.status = status
        message = self.paytrail.queue(tx)
        if callback in ("now", "twice", "lost"):
            self.paytrail.outbox.remove(message)
        for _ in range({"now": 1, "twice": 2}.get(callback, 0)):
            self._deliver(message)
        if back:
            self._deliver(message, redirect=True)

    @precondition(lambda self: self.paytrail.outbox)
    @rule(n=st.integers(0, 5), twice=st.booleans(), lose=st.integers(0, 5))
    def paytrail_sends_a_callback(self, n: int, twice: bool, lose: int) -> None:
        """One queued message, in any order: delivered (maybe twice) or lost for good."""
        message = self.paytrail.outbox.pop(n % len(self.paytrail.outbox))
        if lose == 0:
            return
        for _ in range(2 if twice else 1):
            self._deliver(message)

    @precondition(lambda self: self.paytrail.sent)
    @rule(n=st.integers(0, 20))
    def an_old_message_comes_again(self, n: int) -> None:
        self._deliver(self.paytrail.sent[n % len(self.paytrail.sent)])

    @precondition(lambda self: self.paytrail.sent)
    @rule(n=st.integers(0, 20), field_=st.sampled_from(["amount", "transaction-id", "status"]))
    def a_forger_with_the_key_changes_a_message(self, n: int, field_: str) -> None:
        message = dict(self.paytrail.sent[n % len(self.paytrail.sent)])
        changed = {
            "amount": str(int(message["checkout-amount"]) // 100 or 1),
            "transaction-id": str(uuid.uuid4()),
            "status": "fail" if message["checkout-status"] == "ok" else "ok",
        }[field_]
        message[f"checkout-{field_}"] = changed
        message.pop("signature")
        kind = message.pop("_kind")
        message["signature"] = sign(message, "", SECRET)
        self._deliver({**message, "_kind": kind})

    def _deliver(self, message: dict[str, str], *, redirect: bool = False) -> None:
        """Through the real endpoint: the signature is checked, then the ledger."""
        params = {k: v for k, v in message.items() if k != "_kind"}
        if redirect:
            view: Any = views.paytrail_return
            path = "/payments/paytrail/return/success/"
        elif message["_kind"] == "payment":
            view, path = views.paytrail_payment_callback, "/payments/paytrail/payment/success/"
        else:
            view, path = views.paytrail_refund_callback, "/payments/paytrail/refund/success/"
        request = self.requests.get(path, params)
        if redirect:
            request.session = SessionStore()
            request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
        response = view(request, outcome="success")
        assert response.status_code in (200, 302, 404), response.content

    # -- the organizer ---------------------------------------------------------------------------

    @rule(now=st.integers(0, 3))
    def the_deadline_passes(self, now: int) -> None:
        """Sometimes (one in four): the expiry job cancels an order left unpaid."""
        if now == 0:
            orders_expire(now=timezone.now() + timedelta(hours=2))

    @rule()
    def organizer_cancels(self) -> None:
        with suppress(DomainError):  # a returned order stays returned
            order_cancel(order=self.order, actor=self.actor, notify=False)

    @rule()
    def organizer_refunds(self) -> None:
        with suppress(DomainError):  # refused when not allowed now: it changes nothing
            refund_request(order=self.order, actor=self.actor)

    @rule()
    def organizer_marks_refunded(self) -> None:
        with suppress(DomainError):  # refused when not allowed now: it changes nothing
            order_mark_refunded(order=self.order, actor=self.actor, reference="BANK")

    # -- the worker ------------------------------------------------------------------------------

    @rule(outcome=st.sampled_from(["ok", "ok", "pending", "fail", "500", "timeout"]))
    def worker_sends_refunds(self, outcome: str) -> None:
        for refund in self._refunds(RefundState.PENDING, RefundSource.PAYTRAIL):
            self.paytrail.next_refund = outcome
            with self._paytrail():
                paytrail_refunds.send(refund.pk)

    @rule(after_the_post=st.booleans())
    def worker_is_killed_mid_send(self, after_the_post: bool) -> None:
        """Claimed (and maybe sent), then the process dies before recording anything."""
        for refund in self._refunds(RefundState.PENDING, RefundSource.PAYTRAIL):
            claimed = paytrail_refunds._claim(refund.pk)
            if claimed is not None and after_the_post and claimed.payment is not None:
                cents = int(claimed.amount * 100)
                self.paytrail.refund(
                    claimed.payment.provider_reference, cents, str(claimed.stamp), "ok"
                )

    @rule(give_up=st.booleans(), outcome=st.sampled_from(["ok", "pending", "fail", "500"]))
    def worker_restarts_and_looks_refunds_up(self, give_up: bool, outcome: str) -> None:
        """The reconcile job revives lost tasks: pending ones are sent, processing looked up."""
        seconds = 0 if give_up else 86400
        with self._paytrail(), override_settings(PAYTRAIL_REFUND_GIVE_UP_SECONDS=seconds):
            for refund in self._refunds(RefundState.PENDING, RefundSource.PAYTRAIL):
                self.paytrail.next_refund = outcome
                paytrail_refunds.send(refund.pk)
            for refund in self._refunds(RefundState.PROCESSING, RefundSource.PAYTRAIL):
                paytrail_refunds.check(refund.pk)

    @rule(n=st.integers(0, 5), status=st.sampled_from(["ok", "fail"]))
    def paytrail_finishes_a_pending_refund(self, n: int, status: str) -> None:
        pending = [
            t for t in self.paytrail.txs.values() if t.kind == "refund" and t.status == "pending"
        ]
        if pending:
            tx = pending[n % len(pending)]
            tx.status = status
            self.paytrail.queue(tx)

    @rule(n=st.integers(0, 5))
    def paytrail_reverses_a_failed_refund(self, n: int) -> None:
        """It said fail, then made the refund after all (the issue's over-refund)."""
        failed = [
            t for t in self.paytrail.txs.values() if t.kind == "refund" and t.status == "fail"
        ]
        if failed:
            tx = failed[n % len(failed)]
            tx.status = "ok"
            self.paytrail.queue(tx)

    @rule()
    def reconciliation_runs(self) -> None:
        reconcile_paytrail(since=timezone.localdate() - timedelta(days=1), client=self.client)

    def _refunds(self, state: str, source: str) -> list[Refund]:
        return list(Refund.objects.filter(order=self.order, state=state, source=source))

    def _paytrail(self) -> Any:
        machine = self

        class Patched:
            def __enter__(self) -> None:
                self.saved = paytrail_refunds.PaytrailClient
                paytrail_refunds.PaytrailClient = machine.client  # type: ignore[assignment]

            def __exit__(self, *exc: object) -> None:
                paytrail_refunds.PaytrailClient = self.saved  # type: ignore[misc]

        return Patched()

    # -- the invariants ----------------------------------------------------------------------------

    @invariant()
    def the_ledger_is_sound(self) -> None:
        """The issue's four checks, on one fresh read of everything the order has."""
        order = Order.objects.get(pk=self.order.pk)
        payments = list(order.payments.all())
        refunds = list(order.refunds.all())
        history = list(OrderEvent.objects.filter(order=order))
        discrepancies = list(order.discrepancies.all())
        items = {(i.code, i.key) for i in AttentionItem.objects.filter(order=order)}
        valid = order.tickets.filter(state=TicketState.VALID).count()

        def rows(kind: str, **data: str) -> int:
            return sum(
                1
                for e in history
                if e.kind == kind and all(e.data.get(k) == v for k, v in data.items())
            )

        # 1. Refunded beyond what came in only with the order flagged (and why, in its history).
        received, refunded = money_received(payments), money_refunded(refunds)
        if refunded > received:
            assert any(code == "over_refunded" for code, _key in items)
            assert rows("over_refunded") >= 1
            event("over-refunded, flagged")
        # 2. No payment confirmed twice; no refund sent to Paytrail twice or settled twice.
        for payment in payments:
            confirmed = rows("paid", reference=payment.provider_reference)
            confirmed += rows("payment_not_kept", stamp=str(payment.stamp))
            assert confirmed == (1 if payment.state == PaymentState.CONFIRMED else 0)
        stamps = [t.stamp for t in self.paytrail.txs.values() if t.kind == "refund"]
        assert len(stamps) == len(set(stamps)), "a refund was sent to Paytrail twice"
        # 3. The status agrees with the ledger.
        if order.status in (OrderStatus.PAID, OrderStatus.RETURN_REQUESTED):
            assert received >= order.total
        if order.status == OrderStatus.RESERVED:
            assert received == 0
        if order.status == OrderStatus.RETURNED:
            assert not any(r.state in REFUND_STATES_IN_FLIGHT for r in refunds)
            assert refundable_amount(order, payments, refunds) == 0
            assert refunded > 0
            event("returned")
        assert valid == (order.product_count if order.status in OPEN else 0)
        # 4. Every money movement has its history row, every contradiction its item.
        for refund in refunds:
            stamp = str(refund.stamp)
            if refund.source == RefundSource.EXTERNAL:
                assert rows("marked_refunded", amount=str(refund.amount)) >= 1
                continue
            assert rows("refund_requested", amount=str(refund.amount)) >= 1
            if refund.state in REFUND_STATES_DONE:
                assert rows("refund_succeeded", stamp=stamp) == 1
            if refund.state == RefundState.FAILED:
                assert rows("refund_failed", stamp=stamp) >= 1
        for discrepancy in discrepancies:
            assert ("payment_mismatch", f"discrepancy:{discrepancy.pk}") in items
            event("contradiction kept, flagged")
        assert rows("payment_mismatch") >= len(discrepancies)


@pytest.mark.django_db
def test_random_sequences_never_fool_the_ledger(place, product, owner, monkeypatch) -> None:
    monkeypatch.setattr(paytrail_payments, "PaytrailClient", None)  # set per machine below
    MoneyMachine.place = staticmethod(place)
    MoneyMachine.product, MoneyMachine.owner = product, owner

    class Run(MoneyMachine):
        def __init__(self) -> None:
            super().__init__()
            monkeypatch.setattr(paytrail_payments, "PaytrailClient", self.client)

    Run.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=14,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Run.TestCase().runTest()
    assert Decimal("0") == 0
