"""The API's order list takes the back office's filters (payments.order_list): the same
narrowing, a 400/422 JSON reason for values it cannot take, never another organizer's."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from boxoffice.orders.models import Order, OrderStatus, Ticket
from boxoffice.payments.models import Refund, RefundState

HELSINKI = ZoneInfo("Europe/Helsinki")


def codes(api, **params) -> list[str]:
    response = api.get("/orders", **params)
    assert response.status_code == 200, response.json()
    return [o["code"] for o in response.json()["orders"]]


def test_each_filter(api, order_in, make_product, event):
    vip = make_product(event, name="VIP")
    sv = order_in(OrderStatus.PAID, language="sv")
    vip_order = order_in(OrderStatus.PAID, product=vip, quantity=1)
    cancelled = order_in(OrderStatus.CANCELLED)
    Order.objects.filter(pk=sv.pk).update(
        created_at=datetime(2026, 1, 2, 11, tzinfo=HELSINKI),
        paid_at=datetime(2026, 1, 2, 12, tzinfo=HELSINKI),
    )
    Ticket.objects.filter(order=sv).update(checked_in_at=timezone.now())
    Refund.objects.create(
        order=cancelled,
        amount=Decimal("98.00"),
        state=RefundState.SUCCEEDED,
        source="paytrail",
        created_at=timezone.now(),
    )

    assert codes(api, language="sv") == [sv.code]
    assert codes(api, product=vip.pk) == [vip_order.code]
    assert codes(api, checked_in="true") == [sv.code]
    assert codes(api, checked_in="false") == [cancelled.code, vip_order.code]
    assert codes(api, refund="refunded") == [cancelled.code]
    assert codes(api, paid_before="2026-01-03T00:00:00+02:00") == [sv.code]
    assert sv.code not in codes(api, paid_after="2026-01-03T00:00:00+02:00")


def test_values_it_cannot_take_are_refused_with_a_reason(api, order_in):
    order_in(OrderStatus.PAID)
    for params in (
        {"language": "de"},
        {"refund": "maybe"},
        {"product": "0"},
        {"checked_in": "perhaps"},
        {"paid_after": "yesterday"},
    ):
        response = api.get("/orders", **params)
        assert response.status_code in (400, 422), params
        assert response.json()["error"], params


def test_another_organizers_product_lists_nothing(api, api_for, other_organizer, order_in):
    order_in(OrderStatus.PAID)
    theirs = api_for(other_organizer)
    assert theirs.get("/orders").json()["orders"] == []
    mine = Ticket.objects.values_list("product_id", flat=True)[0]
    assert codes(theirs, product=mine) == []
