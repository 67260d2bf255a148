"""order_cancel_and_refund refuses, changing nothing, when no money can go back through it."""

import pytest

from boxoffice.common.errors import DomainError
from boxoffice.orders.models import OrderStatus, PaymentMethod
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.services import order_cancel_and_refund


def test_a_method_without_refund_service_is_refused(place, product, actor, snapshot):
    order = place(product, quantity=1, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    order = order_mark_paid(order=order, actor=actor)
    before = snapshot(order)
    with pytest.raises(DomainError, match="no refund service"):
        order_cancel_and_refund(order=order, actor=actor)
    assert snapshot(order) == before
    assert order.status == OrderStatus.PAID


def test_an_unpaid_order_is_refused(place, product, actor, snapshot):
    order = place(product, quantity=1, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    before = snapshot(order)
    with pytest.raises(DomainError, match="Nothing was paid"):
        order_cancel_and_refund(order=order, actor=actor)
    assert snapshot(order) == before
