"""What the ledger says about an order's money as a whole: received, refunded, and the one
invariant every provider message is held to: money refunded never exceeds money received
without the order being flagged (DESIGN §5)."""

from collections.abc import Iterable
from decimal import Decimal

from boxoffice.common.money import ZERO
from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind
from boxoffice.payments.held_rows import payments_of, refunds_of
from boxoffice.payments.models import REFUND_STATES_DONE, Payment, PaymentState, Refund


def money_received(payments: Iterable[Payment]) -> Decimal:
    """Confirmed payments: money that reached us (whether the order could keep it or not)."""
    return sum((p.amount for p in payments if p.state == PaymentState.CONFIRMED), ZERO)


def money_refunded(refunds: Iterable[Refund]) -> Decimal:
    """Refunds that went out, whatever their source (not those still on their way)."""
    return sum((r.amount for r in refunds if r.state in REFUND_STATES_DONE), ZERO)


def over_refunded_amount(payments: Iterable[Payment], refunds: Iterable[Refund]) -> Decimal:
    """How much more went back than came in; zero when the ledger is sound."""
    return max(money_refunded(refunds) - money_received(payments), ZERO)


def order_over_refunded_amount(order: Order) -> Decimal:
    return over_refunded_amount(payments_of(order), refunds_of(order))


def note_over_refund(order: Order, actor: Actor, *, before: Decimal) -> Decimal:
    """After a refund went out: if the order is now refunded beyond what it received (a late
    success after a failure, or after the money was returned by hand), say so in the history.

    ``before`` is the excess before that refund; a history row is written only when it grew.
    Must run inside the transaction that recorded the refund, with the order row locked.
    """
    payments, refunds = payments_of(order), refunds_of(order)
    after = over_refunded_amount(payments, refunds)
    if after > before:
        history.money_event(
            order,
            OrderEventKind.OVER_REFUNDED,
            actor,
            after,
            received_total=money_received(payments),
            refunded_total=money_refunded(refunds),
        )
    return after
