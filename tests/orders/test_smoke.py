from boxoffice.orders.models import OrderStatus, TicketState
from boxoffice.orders.services import order_cancel, order_mark_paid, order_mark_refunded


def test_place_pay_cancel_refund(place, product, actor):
    order = place(product, quantity=2)
    assert order.status == OrderStatus.RESERVED
    order_mark_paid(order=order, actor=actor)
    assert order.status == OrderStatus.PAID
    order_cancel(order=order, actor=actor)
    assert set(order.tickets.values_list("state", flat=True)) == {TicketState.VOID}
    refund = order_mark_refunded(order=order, actor=actor, reference="x")
    assert str(refund.amount) == "98.00"
    assert order.status == OrderStatus.RETURNED
    assert list(order.history.values_list("kind", flat=True)) == [
        "placed", "paid", "cancelled", "marked_refunded"]
