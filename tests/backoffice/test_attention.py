"""The attention list in the back office: the count in the navigation, the list filter with each
row's reasons, the reasons at the top of the order, and dismissing one with a note."""

import pytest

from boxoffice.accounts.models import Role
from boxoffice.orders.models import OrderEventKind, OrderStatus
from boxoffice.payments.models import AttentionState

from .pages import messages, parse, post_forms, table_rows
from .routes import attention_item

LIST = "/backoffice/orders/"
REASON = (
    "Paytrail reported a payment of €0.01 where the order expects €103.00. Nothing was changed; "
    "check it in the Paytrail Merchant Panel."
)


def attention_link(response) -> tuple[str, str]:
    link = parse(response).find("a", data_testid="nav-attention")
    return link.text(), link.get("href")


@pytest.fixture
def flagged(order_in):
    """A paid order of ours that a contradicting Paytrail message flagged."""
    order = order_in(OrderStatus.PAID, email="flagged@example.com")
    attention_item(order)
    return order


@pytest.fixture
def foreign_flagged(foreign_order):
    attention_item(foreign_order)
    return foreign_order


def test_the_navigation_counts_the_orders_that_need_attention(
    owner_client, login, staff_user, flagged, foreign_flagged, order_in
):
    order_in(OrderStatus.PAID)  # fine: not counted
    assert attention_link(owner_client.get(LIST)) == ("Needs attention 1", f"{LIST}?attention=1")
    assert attention_link(login(staff_user).get(LIST)) == (
        "Needs attention 2",  # platform staff see every organizer's
        f"{LIST}?attention=1",
    )


def test_without_anything_wrong_there_is_no_count(owner_client, order_in):
    order_in(OrderStatus.PAID)
    assert attention_link(owner_client.get(LIST))[0] == "Needs attention"


def test_the_filter_lists_only_flagged_orders_each_saying_why(
    owner_client, flagged, foreign_flagged, order_in
):
    order_in(OrderStatus.PAID, email="fine@example.com")

    response = owner_client.get(LIST, {"attention": "1"})

    rows = table_rows(response, "orders")
    assert [row[0] for row in rows] == [f"{flagged.code} {REASON}"]
    reasons = parse(response).find_all("ul", data_testid="attention-reasons")
    assert [li.text() for ul in reasons for li in ul.find_all("li")] == [REASON]
    assert "checked" in parse(response).find("input", name="attention", type="checkbox").attrs


def test_the_plain_list_shows_the_reason_on_the_flagged_row_too(owner_client, flagged, order_in):
    fine = order_in(OrderStatus.PAID, email="fine@example.com")
    rows = table_rows(owner_client.get(LIST), "orders")
    assert sorted(row[0] for row in rows) == sorted([f"{flagged.code} {REASON}", fine.code])


def test_staff_see_every_organizers_flagged_orders(login, staff_user, flagged, foreign_flagged):
    rows = table_rows(login(staff_user).get(LIST, {"attention": "1"}), "orders")
    assert sorted(row[0][:6] for row in rows) == sorted([flagged.code, foreign_flagged.code])


def test_nothing_to_attend_to_says_so(owner_client, order_in):
    order_in(OrderStatus.PAID)
    response = owner_client.get(LIST, {"attention": "1"})
    assert "Nothing needs attention." in parse(response).find("main").text()


def test_the_order_shows_its_reasons_at_the_top_with_a_dismiss_form(owner_client, flagged):
    response = owner_client.get(f"{LIST}{flagged.code}/")

    card = parse(response).find("section", data_testid="attention")
    assert card.find(data_testid="attention-message").text() == REASON
    item = flagged.attention_items.get()
    assert post_forms(response)[f"{LIST}{flagged.code}/attention/{item.pk}/dismiss/"] == ["note"]


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER])
def test_support_and_viewers_see_the_reasons_but_may_not_dismiss(
    login, make_user, organizer, flagged, role, snapshot
):
    client = login(make_user(f"{role}@example.com", organizer, role))
    response = client.get(f"{LIST}{flagged.code}/")
    assert parse(response).find(data_testid="attention-message").text() == REASON
    item = flagged.attention_items.get()
    assert not any("/attention/" in action for action in post_forms(response))

    before = snapshot(flagged)
    refused = client.post(f"{LIST}{flagged.code}/attention/{item.pk}/dismiss/", {"note": "no"})
    assert refused.status_code == 404
    assert snapshot(flagged) == before


def test_a_manager_dismisses_with_a_note_kept_in_the_history(login, make_user, organizer, flagged):
    manager = make_user("manager@example.com", organizer, Role.MANAGER, full_name="Mirja Manager")
    client = login(manager)
    item = flagged.attention_items.get()

    response = client.post(
        f"{LIST}{flagged.code}/attention/{item.pk}/dismiss/",
        {"note": "Tested the integration by hand"},
        follow=True,
    )

    assert messages(response) == ["Dismissed. Your note is in the order history."]
    assert parse(response).find_all("section", data_testid="attention") == []
    item.refresh_from_db()
    assert (item.state, item.dismissed_by_id, item.dismissal_note) == (
        AttentionState.DISMISSED,
        manager.pk,
        "Tested the integration by hand",
    )
    row = flagged.history.latest("pk")
    assert (row.kind, row.actor_label, row.data) == (
        OrderEventKind.ATTENTION_DISMISSED,
        "Mirja Manager",
        {"code": "payment_mismatch", "note": "Tested the integration by hand"},
    )
    assert attention_link(client.get(LIST))[0] == "Needs attention"


def test_a_dismissal_without_a_note_changes_nothing(owner_client, flagged, snapshot):
    item = flagged.attention_items.get()
    before = snapshot(flagged)
    response = owner_client.post(
        f"{LIST}{flagged.code}/attention/{item.pk}/dismiss/", {"note": "  "}, follow=True
    )
    assert messages(response) == ["Write a note saying why this needs nothing more."]
    assert snapshot(flagged) == before


def test_another_orders_item_is_404_through_this_order(owner_client, flagged, order_in, snapshot):
    other = order_in(OrderStatus.PAID)
    item = flagged.attention_items.get()
    before = snapshot(flagged)
    response = owner_client.post(f"{LIST}{other.code}/attention/{item.pk}/dismiss/", {"note": "x"})
    assert response.status_code == 404
    assert snapshot(flagged) == before


@pytest.mark.parametrize("value", ["0", "false", "no", ""])
def test_attention_off_lists_every_order(owner_client, flagged, order_in, value):
    fine = order_in(OrderStatus.PAID, email="fine@example.com")
    rows = table_rows(owner_client.get(LIST, {"attention": value}), "orders")
    assert {row[0][:6] for row in rows} == {flagged.code, fine.code}


def test_the_reasons_are_in_the_readers_language(owner_client, flagged):
    owner_client.post("/i18n/setlang/", {"language": "fi", "next": LIST})
    response = owner_client.get(LIST, {"attention": "1"})
    reasons = parse(response).find("ul", data_testid="attention-reasons").text()
    assert reasons == (
        "Paytrail ilmoitti maksuksi 0,01\u00a0€, vaikka tilauksen summa on 103,00\u00a0€. "
        "Mitään ei muutettu; tarkista asia Paytrailin kauppiaspaneelista."
    )


@pytest.fixture
def many_flagged(order_in, make_product, event):
    """55 flagged orders between unflagged ones, oldest first."""
    big = make_product(event, capacity=1000)
    flagged = []
    for i in range(55):
        order_in(OrderStatus.PAID, product=big, quantity=1, email=f"fine{i}@example.com")
        order = order_in(OrderStatus.PAID, product=big, quantity=1, email=f"f{i}@example.com")
        attention_item(order)
        flagged.append(order)
    return flagged


def test_the_attention_list_pages_newest_first(owner_client, many_flagged):
    newest_first = [o.code for o in reversed(many_flagged)]

    first = owner_client.get(LIST, {"attention": "1"})
    second = owner_client.get(LIST, {"attention": "1", "page": "2"})

    assert [row[0][:6] for row in table_rows(first, "orders")] == newest_first[:50]
    assert [row[0][:6] for row in table_rows(second, "orders")] == newest_first[50:]
    assert parse(first).find(data_testid="result-count").text() == "55 orders"
    for rubbish in ("abc", "-3", "99"):  # the first, or the last page, never an error
        response = owner_client.get(LIST, {"attention": "1", "page": rubbish})
        assert response.status_code == 200
    last = owner_client.get(LIST, {"attention": "1", "page": "99"})
    assert [row[0][:6] for row in table_rows(last, "orders")] == newest_first[50:]


def test_the_attention_filter_with_another_filter_narrows_both(owner_client, many_flagged):
    cancelled = many_flagged[3]
    from boxoffice.orders.actors import Actor
    from boxoffice.orders.services import order_cancel

    order_cancel(order=cancelled, actor=Actor.system())
    rows = table_rows(owner_client.get(LIST, {"attention": "1", "status": "cancelled"}), "orders")
    assert [row[0][:6] for row in rows] == [cancelled.code]


def test_an_order_with_two_reasons_counts_once(owner_client, flagged):
    attention_item(flagged, another_transaction=True)
    response = owner_client.get(LIST, {"attention": "1"})
    assert attention_link(response)[0] == "Needs attention 1"
    assert parse(response).find(data_testid="result-count").text() == "1 order"
    assert len(parse(response).find("ul", data_testid="attention-reasons").find_all("li")) == 2


def test_the_badge_stops_counting_at_99(owner_client, monkeypatch, flagged):
    from boxoffice.backoffice.templatetags import backoffice_nav

    monkeypatch.setattr(backoffice_nav, "BADGE_CAP", 0)
    assert attention_link(owner_client.get(LIST))[0] == "Needs attention 0+"
