"""Bulk actions: the preview says what applies and why the rest is skipped (from the rules),
starting fixes the scope, every order is done once by its own service, and a refused start
changes nothing."""

from collections import Counter
from decimal import Decimal

import pytest
from django_tasks_db.models import DBTaskResult

from boxoffice.accounts.models import Membership, Role
from boxoffice.accounts.permissions import principal_for
from boxoffice.bulk.services import bulk_preview, bulk_start
from boxoffice.common.errors import DomainError
from boxoffice.jobs.models import ItemState, Job, JobItem, JobState
from boxoffice.notifications.models import EmailKind, EmailMessage
from boxoffice.orders.models import Order, OrderEvent, OrderStatus, PaymentMethod
from boxoffice.payments.models import Payment, Refund
from boxoffice.payments.order_list import ListFilters
from boxoffice.payments.selection import Selection


@pytest.fixture
def orders(order_in, place, product):
    return {
        "paid": order_in(OrderStatus.PAID),
        "reserved": place(product, quantity=1, method=PaymentMethod.RESERVED_BY_ORGANIZER),
        "invoice": place(product, quantity=1, method=PaymentMethod.INVOICE),
        "cancelled": order_in(OrderStatus.CANCELLED),
        "unpaid": order_in(OrderStatus.RESERVED),
    }


@pytest.fixture
def boss(owner):
    return principal_for(owner)


def codes(*orders):
    return Selection(codes=tuple(o.code for o in orders))


def test_the_preview_counts_what_applies_and_why_the_rest_is_skipped(boss, orders, event):
    everything = Selection(filters=ListFilters(event_id=event.pk))
    preview = bulk_preview(principal=boss, action="mark_paid", selection=everything)
    assert (preview.selected, preview.applies) == (5, 2)
    assert dict(preview.skipped) == {
        "Paytrail payments are confirmed by the payment service, not by hand.": 3,
    }
    resend = bulk_preview(principal=boss, action="resend", selection=everything)
    assert resend.applies == 1  # only the paid order's tickets get anyone in
    assert sum(n for _reason, n in resend.skipped) == 4
    cancel = bulk_preview(principal=boss, action="cancel", selection=everything)
    assert cancel.applies == 4
    assert cancel.money is not None and cancel.money.paytrail_refunds == Decimal("98.00")


def test_resend_emails_each_order_it_applies_to_once(boss, owner, orders, run_tasks):
    job = bulk_start(
        principal=boss,
        action="resend",
        selection=codes(orders["paid"], orders["cancelled"]),
        user=owner,
        key="form-1",
    )
    assert (job.kind, job.total, job.done, job.state) == ("bulk", 2, 1, JobState.QUEUED)
    skipped = JobItem.objects.get(target_id=orders["cancelled"].pk)
    assert (skipped.state, skipped.detail) == (
        ItemState.SKIPPED,
        "This order is cancelled: its tickets are no longer valid.",
    )
    # The same confirmation again (a double click): the same job, nothing more.
    again = bulk_start(
        principal=boss, action="resend", selection=codes(orders["paid"]), key="form-1"
    )
    assert again == job and Job.objects.count() == 1
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.done, job.failed) == (JobState.DONE, 2, 0)
    resent = EmailMessage.objects.filter(kind=EmailKind.RESEND_TICKETS)
    assert list(resent.values_list("order_id", flat=True)) == [orders["paid"].pk]
    assert JobItem.objects.get(target_id=orders["paid"].pk).result == "resent"


def test_mark_paid_pays_the_invoices_and_reservations(boss, owner, orders, run_tasks):
    job = bulk_start(
        principal=boss,
        action="mark_paid",
        selection=codes(*orders.values()),
        reference="Bank batch 7",
        user=owner,
    )
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.total, job.done) == (JobState.DONE, 5, 5)
    status = dict(Order.objects.values_list("pk", "status"))
    assert status[orders["reserved"].pk] == OrderStatus.PAID
    assert status[orders["invoice"].pk] == OrderStatus.PAID
    assert status[orders["unpaid"].pk] == OrderStatus.RESERVED
    references = Payment.objects.filter(
        order__in=[orders["reserved"], orders["invoice"]]
    ).values_list("provider_reference", flat=True)
    assert sorted(references) == ["Bank batch 7", "Bank batch 7"]
    results = Counter(JobItem.objects.values_list("result", flat=True))
    assert results == {"marked_paid": 2, "skipped": 3}


def test_cancel_refunds_by_method_once_even_when_started_twice(
    boss, owner, orders, run_tasks, paytrail
):
    selection = codes(orders["paid"], orders["reserved"], orders["cancelled"])
    # Two confirmations (two tabs) before any worker ran: both jobs have the orders.
    job = bulk_start(
        principal=boss, action="cancel", selection=selection, reason="Rained out", user=owner
    )
    second = bulk_start(principal=boss, action="cancel", selection=selection, user=owner)
    run_tasks()
    job.refresh_from_db()
    second.refresh_from_db()
    assert job.refunded_total + second.refunded_total == Decimal("98.00")
    assert (job.done, second.done) == (3, 3)
    assert Counter(JobItem.objects.filter(result="skipped").values_list("job_id", flat=True)) in (
        {job.pk: 1, second.pk: 3},
        {job.pk: 3, second.pk: 1},
    )
    assert Order.objects.get(pk=orders["paid"].pk).status == OrderStatus.RETURNED
    assert Order.objects.get(pk=orders["reserved"].pk).status == OrderStatus.CANCELLED
    assert Counter(Refund.objects.values_list("order_id", flat=True)) == {orders["paid"].pk: 1}
    assert len(paytrail.refunds) == 1
    notices = EmailMessage.objects.filter(kind=EmailKind.CANCELLATION).exclude(
        order=orders["cancelled"]
    )
    assert Counter(notices.values_list("order_id", flat=True)) == {
        orders["paid"].pk: 1,
        orders["reserved"].pk: 1,
    }
    # Once they are cancelled, a third start applies to none of them and starts nothing.
    with pytest.raises(DomainError, match="none of the selected orders"):
        bulk_start(principal=boss, action="cancel", selection=selection, user=owner)
    assert Job.objects.count() == 2


def test_refused_starts_change_nothing(boss, owner, orders, other_organizer, make_user, counts):
    before, tasks = counts(), DBTaskResult.objects.count()
    with pytest.raises(DomainError, match="Choose an action"):
        bulk_start(principal=boss, action="explode", selection=codes(orders["paid"]))
    with pytest.raises(DomainError, match="No orders are selected"):
        bulk_start(principal=boss, action="resend", selection=Selection(codes=("NOPE1234",)))
    with pytest.raises(DomainError, match="none of the selected orders"):
        bulk_start(principal=boss, action="resend", selection=codes(orders["cancelled"]))
    # Another organizer's people select nothing of these orders.
    stranger = make_user("stranger@example.com", other_organizer, role=Role.OWNER)
    with pytest.raises(DomainError, match="No orders are selected"):
        bulk_start(
            principal=principal_for(stranger), action="cancel", selection=codes(orders["paid"])
        )
    assert counts() == before
    assert not Job.objects.exists() and not JobItem.objects.exists()
    assert DBTaskResult.objects.count() == tasks


def test_a_role_without_the_action_skips_those_orders(orders, organizer, make_user, run_tasks):
    support = make_user("support@example.com", organizer, role=Role.SUPPORT)
    preview = bulk_preview(
        principal=principal_for(support), action="cancel", selection=codes(orders["paid"])
    )
    assert preview.applies == 0
    assert dict(preview.skipped) == {"Your role does not allow this on this organizer's orders.": 1}


def test_a_role_taken_away_midway_stops_the_rest(boss, owner, orders, organizer, run_tasks):
    run_tasks()  # the orders' own emails
    job = bulk_start(principal=boss, action="cancel", selection=codes(orders["paid"]), user=owner)
    Membership.objects.filter(user=owner, organizer=organizer).delete()
    history = OrderEvent.objects.count()
    run_tasks()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "may no longer act" in job.error
    assert Order.objects.get(pk=orders["paid"].pk).status == OrderStatus.PAID
    assert OrderEvent.objects.count() == history
