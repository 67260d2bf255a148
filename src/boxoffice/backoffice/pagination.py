"""Pages of the order list: a capped count for plain lists, and for searches the count their
probe reads anyway (orders.selectors.OrderSearch)."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

from boxoffice.accounts.permissions import Principal
from boxoffice.orders.models import Order
from boxoffice.orders.selectors import order_rows
from boxoffice.payments.selectors import attention_count, orders_needing_attention

PAGE_SIZE = 50
# Counting every order of a big organizer costs more than the page itself: the list says
# "10,000+" instead.
LIST_COUNT_CAP = 10_000


class CappedPaginator(Paginator):  # type: ignore[type-arg]  # pages of any row
    """Counts up to ``cap`` + 1 rows (a LIMITed count), so the count stays cheap at any size."""

    counted = True

    def __init__(self, object_list: Any, per_page: int, *, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list
        # Ids only: the count needs no columns, nor the joins select_related adds; and no
        # order either (min(N, cap + 1) is the same in any order), so the count is free to
        # read the narrowest index instead of sorting by the page's sort.
        return int(rows.order_by().values("pk")[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        # Past the cap the count is not the end: the page is full if the orders are there.
        stop = start + self.per_page if self.capped else min(start + self.per_page, self.count)
        rows: Any = self.object_list
        if isinstance(rows, QuerySet):
            return Page(order_rows(rows, start, stop), number, self)
        return super().page(number)


@dataclass
class SearchPage:
    """A page of search results, newest first, with the count the search found.

    Counting every match of a search can cost many times the page (a common term in a big
    organizer): the count is the search's own bounded probe (``matched``, past ``cap`` shown
    as "500+"). Without one (the attention filter narrows a search after it ran) the total is
    known only on the last page.
    """

    object_list: list[Order]
    number: int
    has_next: bool
    matched: int | None = None
    cap: int = 0
    paginator: Any = None
    per_page: int = PAGE_SIZE

    @property
    def capped(self) -> bool:
        return self.matched is not None and self.matched > self.cap

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def total(self) -> int | None:
        """How many matched, if known: counted by the search, or else on the last page (all
        matches fit up to here); None before it."""
        if self.matched is not None:
            return None if self.capped else self.matched
        return None if self.has_next else (self.number - 1) * self.per_page + len(self.object_list)


def search_page(
    orders: Any,
    number: str | None,
    *,
    matched: int | None = None,
    cap: int = 0,
    per_page: int = PAGE_SIZE,
) -> SearchPage:
    try:
        page = max(1, min(int(number or 1), 1000))
    except ValueError:
        page = 1
    start = (page - 1) * per_page
    rows = order_rows(orders, start, start + per_page + 1)
    return SearchPage(
        rows[:per_page],
        page,
        has_next=len(rows) > per_page,
        matched=matched,
        cap=cap,
        per_page=per_page,
    )


def attention_page(
    orders: Any, principal: Principal, number: Any, *, per_page: int = PAGE_SIZE
) -> Any:
    """A page of the orders that need attention (``orders``: the principal's, not narrowed by
    anything else), newest first, read off the open attention items' own index.

    Counted from the items too, and only the page's orders are fetched: the list stays as fast
    with thousands of flagged orders as with ten.
    """
    count = attention_count(principal)
    number = Paginator(range(count), per_page).get_page(number).number  # 1 for rubbish
    # The flagged orders up to the end of this page (the paginator cuts the page off its end).
    upto_page = orders_needing_attention(orders, principal, first=number * per_page)
    paginator = CappedPaginator(upto_page, per_page, cap=LIST_COUNT_CAP)
    paginator.count = count
    return paginator.get_page(number)
