"""Scans racing each other and racing a cancel (PostgreSQL, real threads).

SQLite serializes every writer (IMMEDIATE transactions), so a race there proves nothing; these
tests run whenever DATABASE_URL points at PostgreSQL.
"""

import threading
import time

from django.db import transaction

from boxoffice.checkin.models import Scan, ScanAnswer
from boxoffice.checkin.services import checkin_scan
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus, TicketState
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid
from races import RACE_ON_POSTGRESQL

from .conftest import first_ticket

pytestmark = RACE_ON_POSTGRESQL

ROUNDS = 10


def paid_order(place, product, actor) -> Order:
    order = place(product, quantity=1)
    order = order_mark_paid(order=order, actor=actor)
    return order


def test_two_scanners_scanning_one_ticket_admit_it_once(race, event, product, place, owner):
    actor = Actor.for_user(owner)
    for _ in range(ROUNDS):
        order = paid_order(place, product, actor)
        secret = first_ticket(order).secret

        results = race(
            lambda s=secret: checkin_scan(secret=s, event=event, actor=actor),
            lambda s=secret: checkin_scan(secret=s, event=event, actor=actor),
        )

        answers = sorted(r.answer for r in results)
        assert answers == [ScanAnswer.ALREADY_CHECKED_IN, ScanAnswer.OK], results
        ok = next(r for r in results if r.answer == ScanAnswer.OK)
        assert all(r.checked_in_at == ok.checked_in_at for r in results)
        assert first_ticket(order).checked_in_at == ok.checked_in_at
        assert order.history.filter(kind=OrderEventKind.CHECKED_IN).count() == 1
        assert Scan.objects.filter(ticket__order=order).count() == 2


def test_a_scan_meeting_a_cancel_in_progress_waits_for_it_and_answers_void(
    race, event, product, place, owner
):
    """The cancel has voided the tickets but not committed: the scan waits, then says void."""
    actor = Actor.for_user(owner)
    for _ in range(ROUNDS // 2):
        order = paid_order(place, product, actor)
        secret = first_ticket(order).secret
        voided = threading.Event()

        def cancel_and_hold(o: Order = order, voided: threading.Event = voided) -> float:
            with transaction.atomic():
                order_cancel(order=Order.objects.get(pk=o.pk), actor=actor)
                voided.set()
                time.sleep(0.4)  # the tickets' row locks are held until here
                return time.monotonic()

        def scan_after_void(s: str = secret, voided: threading.Event = voided):
            assert voided.wait(timeout=10)
            result = checkin_scan(secret=s, event=event, actor=actor)
            return result, time.monotonic()

        committed_at, (result, answered_at) = race(cancel_and_hold, scan_after_void)

        assert result.answer == ScanAnswer.VOID, result
        assert answered_at >= committed_at  # it waited for the cancel's commit
        ticket = first_ticket(order)
        assert (ticket.state, ticket.checked_in_at) == (TicketState.VOID, None)
        assert not order.history.filter(kind=OrderEventKind.CHECKED_IN).exists()


def test_a_scan_racing_a_cancel_is_either_before_it_or_void(race, event, product, place, owner):
    """Whichever commits first wins; a ticket is never let in after its order was cancelled."""
    actor = Actor.for_user(owner)
    for _ in range(ROUNDS):
        order = paid_order(place, product, actor)
        secret = first_ticket(order).secret

        cancelled, result = race(
            lambda o=order: order_cancel(order=Order.objects.get(pk=o.pk), actor=actor),
            lambda s=secret: checkin_scan(secret=s, event=event, actor=actor),
        )

        assert isinstance(cancelled, Order), cancelled
        assert not isinstance(result, Exception), repr(result)
        assert result.answer in (ScanAnswer.OK, ScanAnswer.VOID), result
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        kinds = list(
            order.history.filter(kind__in=["checked_in", "cancelled"]).values_list(
                "kind", flat=True
            )
        )
        if result.answer == ScanAnswer.OK:
            # Let in first, cancelled after: the history tells it in that order.
            assert kinds == ["checked_in", "cancelled"]
        else:
            assert kinds == ["cancelled"]
        assert first_ticket(order).state == TicketState.VOID
