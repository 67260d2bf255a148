"""Capacity is never oversold when buyers race for the last tickets (PostgreSQL, real threads).

SQLite serializes every writer (IMMEDIATE transactions), so a race there proves nothing; these
tests run whenever DATABASE_URL points at PostgreSQL.
"""

from collections.abc import Callable

from boxoffice.common.errors import CapacityExceeded
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, Ticket, TicketState
from boxoffice.orders.services import Customer, OrderLine, order_cancel, order_place
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded
from boxoffice.payments.models import Payment, Refund
from races import RACE_ON_POSTGRESQL

from .helpers import mentions

pytestmark = RACE_ON_POSTGRESQL

ROUNDS = 10


def buy(product, quantity: int, email: str) -> Callable[[], Order]:
    return lambda: order_place(
        event=product.event,
        lines=[OrderLine(product=product, quantity=quantity)],
        customer=Customer(email=email),
        payment_method="paytrail",
        actor=Actor.customer(email),
    )


def valid_tickets(product) -> int:
    return Ticket.objects.filter(product=product, state=TicketState.VALID).count()


def test_two_buyers_racing_for_the_last_ticket_never_oversell(race, make_product, event, place):
    for n in range(ROUNDS):
        product = make_product(event, name=f"Round {n}", capacity=3)
        place(product, quantity=2)

        results = race(buy(product, 1, "a@example.com"), buy(product, 1, "b@example.com"))

        won = [r for r in results if isinstance(r, Order)]
        lost = [r for r in results if isinstance(r, CapacityExceeded)]
        assert (len(won), len(lost)) == (1, 1), results
        assert mentions(lost[0], "0", f"Round {n}")
        assert valid_tickets(product) == 3
        assert Order.objects.filter(tickets__product=product).distinct().count() == 2


def test_racing_multi_ticket_orders_never_oversell(race, make_product, event):
    for n in range(ROUNDS):
        product = make_product(event, name=f"Round {n}", capacity=3)

        results = race(
            buy(product, 2, "a@example.com"),
            buy(product, 2, "b@example.com"),
            buy(product, 2, "c@example.com"),
        )

        won = [r for r in results if isinstance(r, Order)]
        lost = [r for r in results if isinstance(r, CapacityExceeded)]
        assert (len(won), len(lost)) == (1, 2), results
        assert valid_tickets(product) == 2


def test_two_concurrent_cancels_write_one_history_row(race, make_product, event, place, owner):
    actor = Actor.for_user(owner)
    for _ in range(ROUNDS // 2):
        order = place(make_product(event, capacity=5), quantity=2)

        results = race(
            lambda o=order: order_cancel(order=Order.objects.get(pk=o.pk), actor=actor),
            lambda o=order: order_cancel(order=Order.objects.get(pk=o.pk), actor=actor),
        )

        assert all(isinstance(r, Order) for r in results), results
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        # One cancellation and one notice to the customer, not two.
        assert list(order.history.values_list("kind", flat=True)) == [
            "placed",
            "cancelled",
            "email_queued",
        ]
        assert order.history.get(kind="cancelled").data["voided_tickets"] == 2
        assert list(order.emails.values_list("kind", flat=True)) == ["cancellation"]


def test_two_concurrent_mark_paid_record_one_payment(race, make_product, event, place, owner):
    actor = Actor.for_user(owner)
    for _ in range(ROUNDS // 2):
        order = place(make_product(event, capacity=5), quantity=2)

        results = race(
            lambda o=order: order_mark_paid(order=Order.objects.get(pk=o.pk), actor=actor),
            lambda o=order: order_mark_paid(order=Order.objects.get(pk=o.pk), actor=actor),
        )

        assert all(isinstance(r, Order) for r in results), results
        assert Payment.objects.filter(order=order).count() == 1
        assert list(order.history.values_list("kind", flat=True)) == [
            "placed",
            "paid",
            "email_queued",
        ]
        assert list(order.emails.values_list("kind", flat=True)) == ["confirmation"]


def test_two_concurrent_mark_refunded_record_one_refund(race, make_product, event, place, owner):
    actor = Actor.for_user(owner)
    for _ in range(ROUNDS // 2):
        order = place(make_product(event, capacity=5), quantity=2)
        order = order_mark_paid(order=order, actor=actor)
        order = order_cancel(order=order, actor=actor)

        results = race(
            lambda o=order: order_mark_refunded(order=Order.objects.get(pk=o.pk), actor=actor),
            lambda o=order: order_mark_refunded(order=Order.objects.get(pk=o.pk), actor=actor),
        )

        assert all(isinstance(r, Refund) for r in results), results
        assert results[0].pk == results[1].pk
        assert Refund.objects.filter(order=order).count() == 1
        assert list(order.history.values_list("kind", flat=True)) == [
            "placed",
            "paid",
            "email_queued",
            "cancelled",
            "email_queued",
            "marked_refunded",
            "email_queued",
        ]
        assert list(order.emails.order_by("pk").values_list("kind", flat=True)) == [
            "confirmation",
            "cancellation",
            "refund",
        ]


def test_cancel_racing_a_purchase_never_oversells(race, make_product, event, place, owner):
    """A cancel frees places while a buyer takes them: the buyer wins or loses, never both."""
    actor = Actor.for_user(owner)
    for n in range(ROUNDS // 2):
        product = make_product(event, name=f"Round {n}", capacity=2)
        order = place(product, quantity=2)

        results = race(
            lambda o=order: order_cancel(order=Order.objects.get(pk=o.pk), actor=actor),
            buy(product, 2, "b@example.com"),
        )

        assert isinstance(results[0], Order), results
        assert isinstance(results[1], Order | CapacityExceeded), results
        assert valid_tickets(product) == (2 if isinstance(results[1], Order) else 0)
