"""Cancelling a whole event: the preview, the confirmation, no more sales, and the job that
cancels and refunds every order exactly once, even when its worker dies midway."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from boxoffice.accounts.models import Role
from boxoffice.accounts.permissions import principal_for
from boxoffice.common.errors import DomainError
from boxoffice.jobs import items, runner
from boxoffice.jobs.models import ItemState, Job, JobItem, JobState
from boxoffice.notifications.models import EmailKind, EmailMessage
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod
from boxoffice.payments import event_cancel as ec
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import Refund, RefundState

JOB_TASK = "boxoffice.jobs.tasks.job_run"


@pytest.fixture
def mixed(order_in, place, product, actor):
    """Two card orders paid, one by Epassi, one reserved, one already cancelled."""
    epassi = order_mark_paid(
        order=place(product, quantity=1, method=PaymentMethod.EPASSI), actor=actor, reference="E"
    )
    return {
        "card": [order_in(OrderStatus.PAID), order_in(OrderStatus.PAID)],
        "epassi": epassi,
        "reserved": order_in(OrderStatus.RESERVED),
        "cancelled": order_in(OrderStatus.CANCELLED),
    }


@pytest.fixture
def boss(owner):
    return principal_for(owner)


def start(event, owner, **kw):
    return ec.event_cancel(
        event=event,
        principal=principal_for(owner),
        confirm=kw.pop("confirm", event.name),
        user=owner,
        message=kw.pop("message", {"en": "The band fell ill.", "fi": "Bändi sairastui."}),
        **kw,
    )


def test_the_preview_counts_what_will_happen(event, mixed):
    preview = ec.event_cancel_preview(event=event)
    assert preview.orders == 4 and preview.already_cancelled == 1 and preview.emails == 4
    assert dict(preview.by_status) == {"Paid": 3, "Reserved": 1}
    assert dict(preview.by_method) == {"Paytrail": 3, "Epassi": 1}
    # Two card orders of 2 x 49.00 (fees 2 x 2.50 kept), an Epassi order of 49.00 + 2.50.
    assert preview.paytrail_refunds == Decimal("196.00")
    assert preview.platform_refunds == Decimal("49.00")
    assert preview.fees_kept == Decimal("12.50")


def test_a_wrong_name_or_role_changes_nothing(event, mixed, owner, make_user, organizer):
    with pytest.raises(DomainError, match="Type the event's name"):
        start(event, owner, confirm="Some other event")
    support = make_user("support@example.com", organizer, role=Role.SUPPORT)
    with pytest.raises(DomainError, match="owners and managers"):
        start(event, support)
    event.refresh_from_db()
    assert event.cancelled_at is None
    assert not Job.objects.exists() and not JobItem.objects.exists()


def test_the_event_stops_selling_and_every_order_is_cancelled_and_refunded_once(
    event, mixed, owner, place, product, run_tasks, paytrail
):
    job = start(event, owner)
    event.refresh_from_db()
    assert event.cancelled_at is not None
    assert (job.state, job.total, job.kind) == (JobState.QUEUED, 4, "event_cancel")
    with pytest.raises(DomainError, match="cancelled"):
        place(product, quantity=1)
    assert start(event, owner) == job  # a second cancel: the same job

    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.done, job.failed) == (JobState.DONE, 4, 0)
    assert job.refunded_total == Decimal("245.00")
    status = dict(Order.objects.filter(event=event).values_list("code", "status"))
    # Paytrail confirmed the card refunds: those orders are returned; the rest cancelled.
    assert status == {
        mixed["card"][0].code: OrderStatus.RETURNED,
        mixed["card"][1].code: OrderStatus.RETURNED,
        mixed["epassi"].code: OrderStatus.CANCELLED,
        mixed["reserved"].code: OrderStatus.CANCELLED,
        mixed["cancelled"].code: OrderStatus.CANCELLED,
    }
    results = dict(JobItem.objects.values_list("label", "result"))
    card = mixed["card"]
    assert results == {
        card[0].code: "refunded",
        card[1].code: "refunded",
        mixed["epassi"].code: "refund_queued",
        mixed["reserved"].code: "cancelled",
    }
    refunds = Counter(Refund.objects.values_list("order__code", flat=True))
    assert refunds == {card[0].code: 1, card[1].code: 1, mixed["epassi"].code: 1}
    assert Refund.objects.get(order=mixed["epassi"]).state == RefundState.MANUAL_REQUESTED
    assert len(paytrail.refunds) == 2
    notices = EmailMessage.objects.filter(kind=EmailKind.CANCELLATION).exclude(
        order=mixed["cancelled"]
    )
    assert Counter(notices.values_list("order__code", flat=True)) == {
        o.code: 1 for o in (*card, mixed["epassi"], mixed["reserved"])
    }
    # Each customer reads the organizer's words in their own language.
    assert {(n.language, n.context.get("reason")) for n in notices} == {("fi", "Bändi sairastui.")}


def test_each_customer_gets_one_email_that_says_what_comes_back_and_how(
    event, mixed, owner, run_tasks, paytrail, staff_user
):
    start(event, owner, message={"en": "The band fell ill."})
    run_tasks()
    card, epassi = mixed["card"], mixed["epassi"]
    sent = EmailMessage.objects.exclude(order=mixed["cancelled"]).exclude(
        kind=EmailKind.CONFIRMATION
    )
    # One email each, though the card refunds were confirmed meanwhile (orders returned).
    assert sorted(sent.values_list("order__code", "kind")) == sorted(
        (o.code, EmailKind.CANCELLATION) for o in (*card, epassi, mixed["reserved"])
    )
    assert {o.status for o in Order.objects.filter(pk__in=[c.pk for c in card])} == {
        OrderStatus.RETURNED
    }
    assert set(sent.values_list("state", flat=True)) == {"sent"}
    bodies = {m.order.code: m.body for m in sent.select_related("order")}
    # In the customer's language (Finnish here), with the amount and the way it comes back.
    assert "98,00\xa0€ palautetaan kortille tai pankkitilille" in bodies[card[0].code]
    assert "palauttaa sinulle 49,00\xa0€" in bodies[epassi.code]
    assert "palaut" not in bodies[mixed["reserved"].code]  # nothing was paid
    assert "Saat erillisen viestin, kun maksusi" not in bodies[card[0].code]

    # The platform returns the Epassi money later: that is news, and its notice goes out.
    from boxoffice.orders.actors import Actor
    from boxoffice.payments.services import refund_complete_manual

    refund_complete_manual(
        refund=Refund.objects.get(order=epassi), actor=Actor.for_user(staff_user), reference="E-1"
    )
    run_tasks()
    assert list(
        EmailMessage.objects.filter(kind=EmailKind.REFUND).values_list("order__code", "state")
    ) == [(epassi.code, "sent")]


def test_a_single_order_cancel_and_refund_still_sends_both_notices(
    order_in, actor, run_tasks, paytrail
):
    from boxoffice.payments.services import order_cancel_and_refund

    order = order_in(OrderStatus.PAID)
    order_cancel_and_refund(order=order, actor=actor, reason="Double booking")
    run_tasks()
    kinds = EmailMessage.objects.filter(order=order).exclude(kind=EmailKind.CONFIRMATION)
    assert sorted(kinds.values_list("kind", flat=True)) == [
        EmailKind.CANCELLATION,
        EmailKind.REFUND,
    ]
    notice = kinds.get(kind=EmailKind.CANCELLATION)
    assert "Saat erillisen viestin, kun maksusi on palautettu." in notice.body


class WorkerKilled(BaseException):
    """What a SIGKILL does to a chunk: it never commits (not an Exception: nothing catches it)."""


def test_a_killed_worker_leaves_nothing_done_twice(
    event, mixed, owner, monkeypatch, run_tasks, paytrail
):
    handler = ec.EventCancelHandler()
    monkeypatch.setattr(handler, "chunk_size", 2)
    job = start(event, owner)
    joined = items._join(job.pk)
    assert items.take_chunk(joined, handler, handler.context(joined)) == 2  # recorded
    real = ec.cancel_one
    calls = []

    def dying(order, **kw):
        calls.append(order.pk)
        real(order, **kw)  # the order's change is made ...
        raise WorkerKilled  # ... and the worker dies before the chunk commits

    monkeypatch.setattr(ec, "cancel_one", dying)
    with pytest.raises(WorkerKilled):
        items.take_chunk(joined, handler, handler.context(joined))
    monkeypatch.setattr(ec, "cancel_one", real)
    # The dead chunk left nothing behind: its order is open and its item waits.
    assert Order.objects.get(pk=calls[0]).status not in ec.CLOSED
    assert JobItem.objects.filter(state=ItemState.PENDING).count() == 2
    assert Job.objects.get(pk=job.pk).done == 2

    # No worker is left on it: once its lease runs out the reconcile job enqueues it again.
    DBTaskResult.objects.filter(task_path=JOB_TASK).delete()  # the workers on it are gone
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert runner.jobs_reconcile(now=timezone.now() + runner.LEASE * 2) == 1
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == (JobState.DONE, 4, 2)
    assert Counter(Refund.objects.values_list("order_id", flat=True)).most_common(1)[0][1] == 1
    assert len(paytrail.refunds) == 2
    per_order = Counter(
        EmailMessage.objects.filter(kind=EmailKind.CANCELLATION)
        .exclude(order=mixed["cancelled"])
        .values_list("order_id", flat=True)
    )
    assert set(per_order.values()) == {1} and len(per_order) == 4


def test_workers_share_one_job_and_the_last_chunk_finishes_it(event, mixed, owner, monkeypatch):
    """Two workers on one job: each takes chunks; the one that finds nothing left while the
    other's chunk is open leaves the finishing to it."""
    handler = ec.EventCancelHandler()
    monkeypatch.setattr(handler, "chunk_size", 1)
    job = start(event, owner)
    first, second = items._join(job.pk), items._join(job.pk)
    # The first start called helpers: JOB_WORKERS_PER_JOB tasks in all.
    assert DBTaskResult.objects.filter(task_path=JOB_TASK).count() == settings.JOB_WORKERS_PER_JOB
    actor = handler.context(first)
    assert items.take_chunk(first, handler, actor) == 1
    assert items.take_chunk(second, handler, actor) == 1
    assert items.take_chunk(first, handler, actor) == 1
    assert items.finish(second, handler) == "shared"  # one order still waits
    assert items.take_chunk(second, handler, actor) == 1
    assert items.take_chunk(first, handler, actor) == 0
    assert items.finish(first, handler) == "done"
    job.refresh_from_db()
    assert (job.state, job.done, job.failed, job.attempts) == (JobState.DONE, 4, 0, 1)
    assert items.finish(second, handler) == "stopped"  # a late worker changes nothing


def test_an_order_that_cannot_be_cancelled_is_reported_and_the_rest_go_on(
    event, mixed, owner, monkeypatch, run_tasks, paytrail
):
    real = ec.cancel_one
    stuck = mixed["reserved"].pk

    def refusing(order, **kw):
        if order.pk == stuck:
            raise DomainError("This order is locked by the auditor.")
        return real(order, **kw)

    monkeypatch.setattr(ec, "cancel_one", refusing)
    job = start(event, owner)
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.done, job.failed) == (JobState.DONE, 3, 1)
    item = JobItem.objects.get(target_id=stuck)
    assert (item.state, item.detail) == (ItemState.FAILED, "This order is locked by the auditor.")
    assert Order.objects.get(pk=stuck).status == OrderStatus.RESERVED  # untouched


def test_pause_and_resume(event, mixed, owner, monkeypatch, run_tasks, paytrail):
    handler = ec.EventCancelHandler()
    monkeypatch.setattr(handler, "chunk_size", 1)
    job = start(event, owner)
    joined = items._join(job.pk)
    items.take_chunk(joined, handler, handler.context(joined))
    paused = runner.job_pause(job)
    assert paused.state == JobState.PAUSED
    with pytest.raises(items.Stopped):  # a worker on it stops after its chunk
        items.take_chunk(joined, handler, handler.context(joined))
    run_tasks()
    assert Job.objects.get(pk=job.pk).done == 1
    assert runner.job_resume(paused).state == JobState.QUEUED
    run_tasks()
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def test_the_failed_orders_are_tried_again_on_request(
    event, mixed, owner, monkeypatch, run_tasks, paytrail
):
    stuck = mixed["reserved"].pk
    real = ec.cancel_one
    refusing = {"on": True}

    def sometimes(order, **kw):
        if order.pk == stuck and refusing["on"]:
            raise DomainError("Locked by the auditor.")
        return real(order, **kw)

    monkeypatch.setattr(ec, "cancel_one", sometimes)
    job = start(event, owner)
    run_tasks()
    assert Job.objects.get().failed == 1
    refusing["on"] = False
    assert runner.job_retry_failed(job).state == JobState.QUEUED
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.done, job.failed) == (JobState.DONE, 4, 0)
    assert Order.objects.get(pk=stuck).status == OrderStatus.CANCELLED
    assert len(paytrail.refunds) == 2  # the others were not touched again
