"""`boxoffice reconcile-paytrail`: the ledger compared with what the sandbox (as Paytrail) knows,
over real HTTP. Callbacks that "got lost" are delivered to a recorder instead of our site."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from sandbox_http import pay_on_hosted_page, paytrail_tid

from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderEventKind, OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import (
    AttentionState,
    Discrepancy,
    Payment,
    PaymentState,
    RefundState,
)
from boxoffice.payments.reconcile import reconcile_paytrail, reconcile_paytrail_daily
from boxoffice.payments.services import refund_request
from boxoffice.paytrail_sandbox import testing as sandbox
from boxoffice.paytrail_sandbox.models import SandboxPayment

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("reconcile-paytrail", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def rows(report) -> list[tuple[str, str, str]]:
    return [(r.what, r.order, r.result) for r in report.rows]


@pytest.fixture
def actor(owner):
    return Actor.for_user(owner)


def test_a_payment_whose_callbacks_were_lost_is_settled(site, place, product):
    order = place(product, quantity=2)
    with sandbox.recorded_callbacks():  # Paytrail's callback is lost...
        pay_on_hosted_page(site, order, come_back=False)  # ...and the customer never returns
    payment = Payment.objects.get(order=order)
    assert payment.state == PaymentState.PENDING

    out, error = run()

    assert error is None, out
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert (payment.state, payment.provider_status) == (PaymentState.CONFIRMED, "ok")
    assert f"payment  {order.code}" in out
    assert "settled: confirmed" in out
    assert "1 compared: 0 agree, 1 settled, 0 unresolved" in out
    # Now final here and there alike: the next run has nothing to ask.
    assert rows(reconcile_paytrail()) == []


def test_a_pending_refund_that_paytrail_reports_ok_becomes_succeeded(
    site, place, product, actor, run_tasks
):
    order = place(product, quantity=2)
    pay_on_hosted_page(site, order)
    order = order_cancel(order=order, actor=actor)
    sandbox.set_switches(refund_outcome="pending", refund_outcome_times=1)
    refund = refund_request(order=order, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING
    with sandbox.recorded_callbacks():
        sandbox.complete_refund(refund.provider_transaction_id, "ok")  # its callback is lost

    report = reconcile_paytrail()

    assert rows(report) == [
        ("payment", order.code, "agrees"),  # confirmed by its callback: asked once, to be sure
        ("refund", order.code, "settled: succeeded"),
    ]
    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.state, order.status) == (RefundState.SUCCEEDED, OrderStatus.RETURNED)
    succeeded = order.history.get(kind=OrderEventKind.REFUND_SUCCEEDED)
    assert succeeded.data["source"] == "lookup"
    assert report.unresolved == 0


def test_a_confirmed_payment_paytrail_does_not_know_is_flagged_and_exits_1(
    site, place, product, actor
):
    order = place(product, quantity=2)
    order = order_mark_paid(order=order, actor=actor, reference="made-up-transaction")  # paytrail

    out, error = run()

    assert error is not None and error.returncode == 1
    assert "mismatch: Paytrail does not know it" in out
    [found] = Discrepancy.objects.filter(order=order)
    assert (found.source, found.kind) == ("lookup", "unknown")
    [item] = order.attention_items.all()
    assert (item.code, item.state) == ("payment_mismatch", AttentionState.OPEN)
    # Flagged once, however often it is run.
    run()
    assert Discrepancy.objects.filter(order=order).count() == 1


def test_an_amount_paytrail_disagrees_with_is_flagged_until_they_agree(site, place, product, actor):
    order = place(product, quantity=2)
    pay_on_hosted_page(site, order)
    tid = paytrail_tid(order)
    Payment.objects.filter(order=order).update(provider_status="")  # as if never confirmed
    SandboxPayment.objects.filter(transaction_id=tid).update(amount=10000)

    report = reconcile_paytrail()

    assert rows(report) == [("payment", order.code, "mismatch: amount")]
    assert report.unresolved == 2  # the row, and the order's open attention item
    [item] = order.attention_items.filter(state=AttentionState.OPEN)
    assert item.detail["field"] == "amount"

    SandboxPayment.objects.filter(transaction_id=tid).update(amount=10300)  # Paytrail corrected
    report = reconcile_paytrail()

    assert rows(report) == [("payment", order.code, "agrees")]
    assert report.unresolved == 0
    item.refresh_from_db()
    assert item.state == AttentionState.CLEARED
    assert Discrepancy.objects.get(order=order).resolved_at is not None


def test_a_lookup_that_fails_is_reported_and_exits_1(site, place, product):
    order = place(product, quantity=2)
    with sandbox.recorded_callbacks():
        pay_on_hosted_page(site, order, come_back=False)
    sandbox.set_switches(fail_next_calls=1)

    out, error = run()

    assert error is not None
    assert "lookup failed" in out
    order.refresh_from_db()
    assert order.status == OrderStatus.RESERVED  # nothing guessed
    out, error = run()  # Paytrail is back
    assert error is None, out
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_the_window_starts_at_since(site, place, product):
    order = place(product, quantity=2)
    with sandbox.recorded_callbacks():
        pay_on_hosted_page(site, order, come_back=False)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    out, error = run("--since", tomorrow)

    assert error is None
    assert "0 compared" in out
    assert Payment.objects.get(order=order).state == PaymentState.PENDING


def test_a_bad_date_is_refused(capsys):
    with pytest.raises(CommandError, match="not a date like 2026-11-30"):
        call_command("reconcile-paytrail", "--since", "yesterday")


def test_the_daily_job_queues_one_run_per_day_across_workers(site):
    assert reconcile_paytrail_daily() == 0  # the first call only starts the clock
    later = timezone.now() + timedelta(days=1, minutes=1)
    from boxoffice.common.models import ScheduledRun

    ScheduledRun.objects.filter(name="reconcile_paytrail").update(
        next_run_at=timezone.now() - timedelta(seconds=1)
    )
    assert [reconcile_paytrail_daily(), reconcile_paytrail_daily()] == [1, 0]
    queued = DBTaskResult.objects.filter(task_path__endswith="reconcile_paytrail_task")
    assert queued.count() == 1
    assert ScheduledRun.objects.get(name="reconcile_paytrail").next_run_at < later


def test_many_lost_callbacks_are_settled_in_one_run(site, place, product):
    """Several at once: each lookup makes the sandbox write (its log) while the run goes on,
    which an open read cursor would turn into "database is locked" on SQLite."""
    orders = [place(product, quantity=1) for _ in range(4)]
    with sandbox.recorded_callbacks():
        for order in orders:
            pay_on_hosted_page(site, order, come_back=False)

    out, error = run()

    assert error is None, out
    assert "4 compared: 0 agree, 4 settled, 0 unresolved" in out
    for order in orders:
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
