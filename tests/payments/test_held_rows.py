"""orders.held and payments.held_rows: an action reads its locked order and that order's
payments and refunds once, sees its own saves, and forgets everything a rollback undid."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from boxoffice.common.errors import DomainError
from boxoffice.common.tasks import schedule
from boxoffice.orders import history, search
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.orders.transitions import lock
from boxoffice.payments.held_rows import payments_of, refunds_of
from boxoffice.payments.models import Refund, RefundSource, RefundState
from boxoffice.payments.selectors import ledger_of
from boxoffice.payments.services import refund_request
from boxoffice.payments.tasks import refund_send


def _queries(sql_part: str, captured: CaptureQueriesContext) -> int:
    return sum(sql_part in q["sql"] for q in captured.captured_queries)


def _refund(order: Order, amount: str = "10.00") -> Refund:
    return Refund.objects.create(
        order=order,
        amount=Decimal(amount),
        state=RefundState.MANUAL_REQUESTED,
        source=RefundSource.PLATFORM_MANUAL,
    )


@pytest.fixture
def paid(order_in):
    return order_in(OrderStatus.PAID)


def test_an_action_locks_and_reads_the_order_once_and_sees_its_own_saves(paid):
    with transaction.atomic(), history.action(), CaptureQueriesContext(connection) as q:
        first = lock(paid)
        first.customer_name = "Changed Name"
        first.save(update_fields=["customer_name"])
        first.customer_phone = "not saved"
        second = lock(paid)
    assert _queries('FROM "orders_order"', q) == 1
    assert second is not first
    assert second.customer_name == "Changed Name"
    assert second.customer_phone == paid.customer_phone  # what was not saved is not the row


def test_the_event_and_organizer_read_by_the_caller_come_along(paid):
    order = Order.objects.select_related("event", "organizer").get(pk=paid.pk)
    with transaction.atomic(), history.action():
        lock(order)
        with CaptureQueriesContext(connection) as q:
            locked = lock(order)
            assert (locked.event.name, locked.organizer.name) == (
                order.event.name,
                order.organizer.name,
            )
    assert len(q.captured_queries) == 0


def test_without_an_action_every_lock_reads_the_row(paid):
    with transaction.atomic(), CaptureQueriesContext(connection) as q:
        lock(paid)
        lock(paid)
    assert _queries('FROM "orders_order"', q) == 2


def test_a_rolled_back_savepoint_is_forgotten(paid):
    with transaction.atomic(), history.action():
        lock(paid)
        refunds_of(paid)
        with pytest.raises(RuntimeError), transaction.atomic():
            locked = lock(paid)
            locked.customer_name = "Rolled Back"
            locked.save(update_fields=["customer_name"])
            _refund(locked)
            assert len(refunds_of(locked)) == 1  # seen inside the savepoint
            raise RuntimeError
        with CaptureQueriesContext(connection) as q:
            again = lock(paid)
            refunds = refunds_of(again)
    assert _queries('FROM "orders_order"', q) == 1  # read again, not taken from what was held
    assert again.customer_name == paid.customer_name
    assert refunds == []


@pytest.mark.django_db(transaction=True)
def test_a_new_transaction_reads_and_locks_again(paid):
    with history.action():
        with transaction.atomic():
            lock(paid)
        with transaction.atomic(), CaptureQueriesContext(connection) as q:
            lock(paid)
    assert _queries('FROM "orders_order"', q) == 1


def test_refunds_and_payments_are_read_once_and_follow_saves(paid):
    with transaction.atomic(), history.action():
        locked = lock(paid)
        with CaptureQueriesContext(connection) as q:
            payments = payments_of(locked)
            assert refunds_of(locked) == []
            made = _refund(locked, "7.00")
            made.state = RefundState.MANUAL_DONE
            made.save(update_fields=["state"])
            made.amount = Decimal("999.00")  # changed, never saved
            again = refunds_of(locked)
            assert [p.pk for p in payments_of(locked)] == [p.pk for p in payments]
    assert _queries('SELECT "payments_payment"', q) == 1
    assert _queries('SELECT "payments_refund"', q) == 1  # the first read; saves are followed
    assert [(r.pk, r.amount, r.state) for r in again] == [
        (made.pk, Decimal("7.00"), RefundState.MANUAL_DONE)
    ]
    assert again[0] is not made and again[0].order is locked  # no query for the order


def test_rows_are_not_held_without_the_order_lock(paid):
    with transaction.atomic(), history.action(), CaptureQueriesContext(connection) as q:
        refunds_of(paid)
        refunds_of(paid)
    assert _queries('FROM "payments_refund"', q) == 2


def test_a_deleted_refund_is_read_again(paid):
    with transaction.atomic(), history.action():
        locked = lock(paid)
        made = _refund(locked)
        assert len(refunds_of(locked)) == 1
        made.delete()
        assert refunds_of(locked) == []


# -- found by a review that attacked the memo -----------------------------------------------


def test_forgetting_the_order_row_forgets_its_money_rows_too(order_in, actor):
    cancelled = order_in(OrderStatus.CANCELLED)
    with transaction.atomic(), history.action():
        locked = lock(cancelled)
        assert ledger_of(locked).refundable == Decimal("98.00")
        locked.customer_name = "Renamed"
        search.order_refresh_search_text(locked)  # a queryset update: forgets the order
        Refund.objects.create(
            order=locked,
            amount=Decimal("98.00"),
            state=RefundState.MANUAL_DONE,
            source=RefundSource.PLATFORM_MANUAL,
        )
        assert len(refunds_of(lock(cancelled))) == 1
        with pytest.raises(DomainError, match="Nothing refundable"):
            refund_request(order=cancelled, actor=actor)
    assert Refund.objects.filter(order=cancelled).count() == 1  # never a second refund


def test_fields_moved_by_queryset_updates_are_read_from_the_database(paid):
    with transaction.atomic(), history.action():
        made = _refund(lock(paid))
        assert refunds_of(paid)[0].next_attempt_at is None
        schedule(refund_send, Refund, made.pk)  # QuerySet.update(next_attempt_at=...)
        due = Refund.objects.get(pk=made.pk).next_attempt_at
        assert due is not None and refunds_of(paid)[0].next_attempt_at == due


def test_a_value_saved_as_an_expression_is_read_again(paid):
    with transaction.atomic(), history.action():
        made = _refund(lock(paid))
        refunds_of(paid)
        made.attempts = F("attempts") + 1
        made.save(update_fields=["attempts"])
        assert refunds_of(paid)[0].attempts == 1


def test_a_reader_changing_a_json_value_changes_only_its_own_instance(paid):
    with transaction.atomic(), history.action():
        made = _refund(lock(paid))
        made.failure_params = {"code": "a"}
        made.save(update_fields=["failure_params"])
        refunds_of(paid)[0].failure_params["code"] = "changed, never saved"
        made.failure_params["code"] = "changed on the saved instance, never saved"
        assert refunds_of(paid)[0].failure_params == {"code": "a"}
