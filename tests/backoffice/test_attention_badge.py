"""The navigation's attention count comes from the cache between changes, and every change
(an item opened, cleared or dismissed) shows on the very next page."""

from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderStatus
from boxoffice.payments.attention import attention_dismiss
from boxoffice.payments.marking import order_mark_refunded
from boxoffice.payments.models import AttentionState
from boxoffice.payments.services import refund_request

from .pages import parse
from .routes import attention_item

LIST = "/backoffice/orders/"


def badge(client) -> str:
    return parse(client.get(LIST)).find("a", data_testid="nav-attention").text()


def test_an_item_opened_shows_on_the_next_page(owner_client, order_in):
    order = order_in(OrderStatus.PAID)
    assert badge(owner_client) == "Needs attention"  # counted now, kept in the cache

    attention_item(order)

    assert badge(owner_client) == "Needs attention 1"


def test_a_dismissed_item_leaves_the_count_on_the_next_page(owner_client, owner, order_in):
    item = attention_item(order_in(OrderStatus.PAID))
    assert badge(owner_client) == "Needs attention 1"

    attention_dismiss(item=item, actor=Actor.for_user(owner), note="Checked with the bank.")

    assert badge(owner_client) == "Needs attention"


def test_a_cleared_item_leaves_the_count_on_the_next_page(
    owner_client, actor, order_in, paytrail, run_tasks
):
    order = order_in(OrderStatus.CANCELLED)
    paytrail.replies = ["fail"]
    refund_request(order=order, actor=actor)
    run_tasks()
    assert badge(owner_client) == "Needs attention 1"  # the failed refund

    order_mark_refunded(order=order, actor=actor, reference="BANK-1")  # the money went back

    assert order.attention_items.get().state == AttentionState.CLEARED
    assert badge(owner_client) == "Needs attention"


def test_each_organizer_gets_its_own_count(
    owner_client, login, other_owner, order_in, foreign_order
):
    attention_item(order_in(OrderStatus.PAID))
    assert badge(owner_client) == "Needs attention 1"

    # The other organizer's badge is counted for its own scope, never served from ours.
    assert badge(login(other_owner)) == "Needs attention"
    attention_item(foreign_order)
    assert badge(login(other_owner)) == "Needs attention 1"
    assert badge(owner_client) == "Needs attention 1"
