"""The list's capped count: min(N, cap + 1), read without the page's sort."""

import pytest

from boxoffice.accounts.permissions import principal_for
from boxoffice.backoffice.pagination import CappedPaginator
from boxoffice.orders.selectors import OrderFilters, order_list


@pytest.mark.parametrize(("orders", "cap", "count", "capped"), [(3, 5, 3, False), (4, 2, 3, True)])
def test_count_stops_past_the_cap(
    place, product, owner, django_assert_num_queries, orders, cap, count, capped
):
    for i in range(orders):
        place(product, email=f"buyer{i}@example.com")
    listing = order_list(principal=principal_for(owner), filters=OrderFilters(sort="-total"))
    paginator = CappedPaginator(listing, 2, cap=cap)
    with django_assert_num_queries(1) as captured:
        assert paginator.count == count
    assert paginator.capped is capped
    # Any order gives the same min(N, cap + 1): sorting would only make it read a sort's index.
    assert "ORDER BY" not in captured.captured_queries[0]["sql"]
    page = paginator.get_page(2)
    assert [o.pk for o in page.object_list] == [o.pk for o in listing][2:4]
