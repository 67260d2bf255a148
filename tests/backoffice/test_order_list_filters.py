"""The order list's filters and sorts (payments.order_list.order_listing): each narrows to
exactly the orders it names, combined they all hold, and none reaches another organizer."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from boxoffice.accounts.permissions import principal_for
from boxoffice.orders.models import Order, OrderStatus, Ticket
from boxoffice.orders.selectors import SORTS
from boxoffice.payments.models import Refund, RefundState
from boxoffice.payments.order_list import ListFilters, RefundStanding, order_listing

HELSINKI = ZoneInfo("Europe/Helsinki")


def codes(owner, **filters) -> list[str]:
    found = order_listing(principal=principal_for(owner), filters=ListFilters(**filters))
    return [o.code for o in found.orders]


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=HELSINKI)


@pytest.fixture
def mix(order_in, make_product, event, foreign_order):
    """Five orders of ours with known times, totals, languages, products and refunds."""
    vip = make_product(event, name="VIP", price=Decimal("150.00"))
    made = {
        "old_paid": order_in(OrderStatus.PAID, language="sv"),
        "new_paid": order_in(OrderStatus.PAID, product=vip, quantity=1),
        "reserved": order_in(OrderStatus.RESERVED, language="en"),
        "refunded": order_in(OrderStatus.CANCELLED),
        "failed": order_in(OrderStatus.CANCELLED),
    }
    times = {
        "old_paid": (at(1), at(1, 13)),
        "new_paid": (at(20), at(21, 0)),
        "reserved": (at(10), None),
        "refunded": (at(5), at(5, 13)),
        "failed": (at(6), at(6, 13)),
    }
    for key, (created, paid) in times.items():
        Order.objects.filter(pk=made[key].pk).update(created_at=created, paid_at=paid)
    for key, state in (("refunded", RefundState.SUCCEEDED), ("failed", RefundState.FAILED)):
        Refund.objects.create(
            order=made[key],
            amount=Decimal("98.00"),
            state=state,
            source="paytrail",
            created_at=timezone.now(),
        )
    Ticket.objects.filter(order=made["old_paid"]).update(checked_in_at=at(2))
    return {key: order.code for key, order in made.items()}


def test_no_filter_lists_ours_newest_first(owner, mix, foreign_order):
    assert codes(owner) == [
        mix[k] for k in ("new_paid", "reserved", "failed", "refunded", "old_paid")
    ]


def test_created_between_is_inclusive_of_its_days(owner, mix):
    assert codes(owner, created_after=at(5, 0), created_before=at(11, 0)) == [
        mix["reserved"],
        mix["failed"],
        mix["refunded"],
    ]


def test_paid_between_leaves_out_the_unpaid(owner, mix):
    # new_paid was paid at 00:00 on the 21st: the 20th's end excludes it, the 21st's start not.
    assert codes(owner, paid_after=at(1, 0), paid_before=at(21, 0)) == [
        mix["failed"],
        mix["refunded"],
        mix["old_paid"],
    ]
    assert codes(owner, paid_after=at(21, 0)) == [mix["new_paid"]]


def test_product_language_and_check_in(owner, mix, product):
    vip = Ticket.objects.get(order__code=mix["new_paid"]).product_id
    assert codes(owner, product_id=vip) == [mix["new_paid"]]
    assert mix["new_paid"] not in codes(owner, product_id=product.pk)
    assert codes(owner, language="sv") == [mix["old_paid"]]
    assert codes(owner, language="en") == [mix["reserved"]]
    assert codes(owner, checked_in=True) == [mix["old_paid"]]
    assert mix["old_paid"] not in codes(owner, checked_in=False)
    assert len(codes(owner, checked_in=False)) == 4


@pytest.mark.parametrize(
    ("standing", "expected"),
    [
        (RefundStanding.REFUNDED, ["refunded"]),
        (RefundStanding.FAILED, ["failed"]),
        (RefundStanding.IN_PROGRESS, []),
        (RefundStanding.NONE, ["new_paid", "reserved", "failed", "old_paid"]),
    ],
)
def test_refund_standing(owner, mix, standing, expected):
    assert codes(owner, refund=standing) == [mix[k] for k in expected]


def test_a_refund_in_flight_is_in_progress_not_failed(owner, mix):
    failed = Order.objects.get(code=mix["failed"])
    Refund.objects.create(
        order=failed,
        amount=Decimal("98.00"),
        state=RefundState.PROCESSING,
        source="paytrail",
        created_at=timezone.now(),
    )
    assert codes(owner, refund=RefundStanding.IN_PROGRESS) == [mix["failed"]]
    assert codes(owner, refund=RefundStanding.FAILED) == []


def test_filters_combine(owner, mix):
    assert codes(owner, created_after=at(2, 0), refund=RefundStanding.NONE, status="paid") == [
        mix["new_paid"]
    ]


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_every_sort_orders_the_whole_list(owner, mix, sort):
    orders = list(
        order_listing(principal=principal_for(owner), filters=ListFilters(sort=sort)).orders
    )
    key = {
        "created": lambda o: (o.created_at, o.pk),
        "total": lambda o: (o.total, o.pk),
        "status": lambda o: (o.status, -o.created_at.timestamp(), -o.pk),
    }[sort.lstrip("-")]
    expected = sorted(orders, key=key, reverse=sort.startswith("-"))
    if sort == "-status":  # status reversed, still newest first within each
        expected = sorted(orders, key=lambda o: (o.status, o.created_at, o.pk), reverse=True)
        expected.sort(key=lambda o: o.status, reverse=True)
    assert [o.code for o in orders] == [o.code for o in expected]
    assert len(orders) == 5


def test_no_filter_reaches_another_organizer(owner, other_owner, mix, foreign_order):
    theirs = Ticket.objects.filter(order=foreign_order).values_list("product_id", flat=True)[0]
    assert codes(owner, product_id=theirs) == []
    assert codes(other_owner, product_id=theirs) == [foreign_order.code]
    for filters in (
        {"refund": RefundStanding.NONE},
        {"checked_in": False},
        {"language": "fi"},
        {"sort": "total"},
        {"created_after": at(1, 0)},
    ):
        assert foreign_order.code not in codes(owner, **filters)
        assert set(codes(other_owner, **filters)) <= {foreign_order.code}


def test_an_unknown_sort_or_refund_value_is_the_default(owner, mix):
    assert codes(owner, sort="password") == codes(owner)
    assert codes(owner, refund="everything") == codes(owner)
