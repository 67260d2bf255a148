"""The attention list: each cause opens an item, clears when resolved, and can be dismissed.

Orders here paid 103.00 (2 x 49.00 + 2 x 2.50 service fees); 98.00 is refundable.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from boxoffice.common.errors import DomainError
from boxoffice.orders.models import OrderEventKind, OrderStatus, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.attention import attention_dismiss, attention_refresh, attention_sweep
from boxoffice.payments.attention_text import attention_message
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded
from boxoffice.payments.models import AttentionItem, AttentionState, RefundState
from boxoffice.payments.paytrail import refunds as paytrail_refunds
from boxoffice.payments.selectors import attention_count
from boxoffice.payments.services import refund_complete_manual, refund_request

REFUND_CALLBACK = "/payments/paytrail/refund/{}/"
DAY = timedelta(days=1)


def open_codes(order) -> list[str]:
    return list(
        order.attention_items.filter(state=AttentionState.OPEN)
        .order_by("since", "pk")
        .values_list("code", flat=True)
    )


@pytest.fixture
def cancelled(order_in):
    return order_in(OrderStatus.CANCELLED)


@pytest.fixture
def failed_refund(cancelled, actor, paytrail, run_tasks):
    paytrail.replies = ["fail"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    return refund


def test_a_failed_refund_opens_an_item_and_a_successful_retry_clears_it(
    cancelled, failed_refund, actor, paytrail, run_tasks
):
    [item] = cancelled.attention_items.all()
    assert (item.code, item.key, item.state, item.detail) == (
        "refund_failed",
        f"refund:{failed_refund.pk}",
        "open",
        {"amount": "98.00", "reason": "refund_failed"},
    )
    assert item.organizer_id == cancelled.organizer_id
    assert attention_message(item) == (
        "The refund of €98.00 failed: Paytrail could not make the refund. Refund the order "
        "again, or mark it as refunded once the money is back."
    )

    refund_request(order=cancelled, actor=actor)  # a retry on its way: not failed any more
    assert open_codes(cancelled) == []
    run_tasks()
    item.refresh_from_db()
    assert (item.state, item.closed_at is not None) == (AttentionState.CLEARED, True)


def test_marking_as_refunded_clears_a_failed_refund(cancelled, failed_refund, actor):
    order_mark_refunded(order=cancelled, actor=actor, reference="BANK-1")
    assert open_codes(cancelled) == []


def test_an_unconfirmed_refund_is_flagged_after_the_give_up_time(
    cancelled, actor, paytrail, run_tasks, settings
):
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    assert attention_sweep() == 0 and open_codes(cancelled) == []

    later = timezone.now() + timedelta(seconds=settings.PAYTRAIL_REFUND_GIVE_UP_SECONDS + 1)
    assert attention_sweep(now=later) == 1
    assert open_codes(cancelled) == ["refund_unconfirmed"]
    assert attention_sweep(now=later) == 0  # on record already: nothing to look at again

    refund.refresh_from_db()
    paytrail.lookups[refund.provider_transaction_id] = "ok"
    paytrail_refunds.check(refund.pk)
    assert open_codes(cancelled) == []


def test_a_manual_refund_waiting_too_long_is_flagged_and_done_clears_it(
    place, product, actor, settings, staff_user
):
    order = place(product, method=PaymentMethod.EPASSI)
    order = order_mark_paid(order=order, actor=actor)
    order = order_cancel(order=order, actor=actor)
    refund = refund_request(order=order, actor=actor)
    assert refund.state == RefundState.MANUAL_REQUESTED
    settings.MANUAL_REFUND_WARN_DAYS = 5

    attention_sweep(now=timezone.now() + 4 * DAY)
    assert open_codes(order) == []
    attention_sweep(now=timezone.now() + 6 * DAY)
    assert open_codes(order) == ["manual_refund_waiting"]

    from boxoffice.orders.actors import Actor

    refund_complete_manual(refund=refund, actor=Actor.for_user(staff_user), reference="EP-1")
    assert open_codes(order) == []


def test_a_cancelled_order_holding_money_is_flagged_after_three_days(cancelled, actor):
    attention_sweep(now=timezone.now() + 2 * DAY)
    assert open_codes(cancelled) == []
    attention_sweep(now=timezone.now() + 3 * DAY + timedelta(minutes=1))
    [item] = cancelled.attention_items.all()
    assert (item.code, item.detail, item.since) == (
        "unrefunded_cancellation",
        {"amount": "98.00"},
        cancelled.cancelled_at,
    )

    refund_request(order=cancelled, actor=actor)  # on its way now
    assert open_codes(cancelled) == []


def test_an_expired_reservation_is_not_flagged(place, product, actor):
    order = place(product)
    order = order_cancel(order=order, actor=actor)
    assert attention_sweep(now=timezone.now() + 30 * DAY) == 0
    assert not AttentionItem.objects.exists()


def test_an_over_refund_is_flagged_with_the_amount_and_can_be_dismissed(
    cancelled, failed_refund, actor, paytrail, client
):
    order_mark_refunded(order=cancelled, actor=actor, reference="BANK-1")
    tid = failed_refund.provider_transaction_id
    late = paytrail.callback_params(str(failed_refund.stamp), "ok", tid)
    client.get(REFUND_CALLBACK.format("success"), late)

    [item] = cancelled.attention_items.filter(state=AttentionState.OPEN)
    assert (item.code, item.key, item.detail) == (
        "over_refunded",
        "excess:93.00",
        {"amount": "93.00"},
    )
    assert attention_message(item) == "€93.00 more was refunded than the order received."

    dismissed = attention_dismiss(item=item, actor=actor, note="  Customer paid it back.  ")
    assert (dismissed.state, dismissed.dismissal_note, dismissed.dismissed_by_id) == (
        AttentionState.DISMISSED,
        "Customer paid it back.",
        actor.user.pk,
    )
    row = cancelled.history.order_by("-pk").first()
    assert (row.kind, row.data) == (
        OrderEventKind.ATTENTION_DISMISSED,
        {"code": "over_refunded", "note": "Customer paid it back."},
    )
    attention_refresh(cancelled)  # the same cause stays dismissed
    assert open_codes(cancelled) == []
    assert attention_dismiss(item=item, actor=actor, note="again") == dismissed  # a no-op
    assert cancelled.history.filter(kind=OrderEventKind.ATTENTION_DISMISSED).count() == 1


def test_a_dismissal_without_a_note_or_of_a_resolved_item_changes_nothing(
    cancelled, failed_refund, actor, snapshot
):
    [item] = cancelled.attention_items.all()
    before = snapshot(cancelled)
    with pytest.raises(DomainError, match="Write a note"):
        attention_dismiss(item=item, actor=actor, note="   ")
    with pytest.raises(DomainError, match="too long"):
        attention_dismiss(item=item, actor=actor, note="x" * 1001)
    assert snapshot(cancelled) == before

    order_mark_refunded(order=cancelled, actor=actor)  # resolves it
    item.refresh_from_db()
    before = snapshot(cancelled)
    with pytest.raises(DomainError, match="already resolved"):
        attention_dismiss(item=item, actor=actor, note="done")
    assert snapshot(cancelled) == before


def test_a_cause_that_comes_back_reopens_its_item(cancelled, actor, paytrail, run_tasks):
    paytrail.replies = ["fail"]
    first = refund_request(order=cancelled, actor=actor)
    run_tasks()
    [item] = cancelled.attention_items.all()
    paytrail.replies = ["fail"]
    second = refund_request(order=cancelled, actor=actor)  # clears the first while on its way
    item.refresh_from_db()
    assert item.state == AttentionState.CLEARED
    run_tasks()
    # The second one failed too: the item is about the latest failure.
    assert list(cancelled.attention_items.filter(state="open").values_list("key", flat=True)) == [
        f"refund:{second.pk}"
    ]
    assert first.pk != second.pk


def test_the_count_is_per_order_and_scoped_to_the_principal(
    order_in,
    make_user,
    other_organizer,
    make_event,
    make_product,
    place,
    actor,
    paytrail,
    run_tasks,
):
    from boxoffice.accounts.permissions import principal_for

    mine = order_in(OrderStatus.CANCELLED)
    paytrail.replies = ["fail"]
    refund_request(order=mine, actor=actor)
    run_tasks()
    attention_sweep(now=timezone.now() + 10 * DAY)  # also unrefunded: still one order
    theirs = place(make_product(make_event(other_organizer)))
    order_mark_paid(order=theirs, actor=actor)
    order_cancel(order=theirs, actor=actor)
    attention_sweep(now=timezone.now() + 10 * DAY)

    owner = principal_for(actor.user)
    other = principal_for(make_user("other@example.com", other_organizer))
    staff = principal_for(make_user("staff2@example.com", is_staff=True))
    assert (attention_count(owner), attention_count(other), attention_count(staff)) == (1, 1, 2)
    assert Decimal(theirs.attention_items.get().detail["amount"]) == Decimal("98.00")


def test_a_cancel_and_refund_looks_at_the_ledger_once_per_action(
    order_in, actor, paytrail, run_tasks, monkeypatch
):
    """The cancel writes two ledger rows (cancelled, refund requested) and the settled refund
    more (refund succeeded): one refresh at the end of each action, not four."""
    from boxoffice.payments import attention
    from boxoffice.payments.services import order_cancel_and_refund

    paid = order_in(OrderStatus.PAID)
    calls: list[int] = []
    real = attention.attention_refresh
    monkeypatch.setattr(
        attention, "attention_refresh", lambda o, **k: calls.append(o.pk) or real(o, **k)
    )
    order_cancel_and_refund(order=paid, actor=actor)
    assert calls == [paid.pk]
    kinds = list(paid.history.order_by("pk").values_list("kind", flat=True))
    assert {OrderEventKind.CANCELLED, OrderEventKind.REFUND_REQUESTED} <= set(kinds)
    run_tasks()
    [refund] = paid.refunds.all()
    assert refund.state == RefundState.SUCCEEDED
    assert calls == [paid.pk, paid.pk]
    assert open_codes(paid) == []
