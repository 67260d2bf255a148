"""The order list page's filters, sort and page size: all in the URL, invalid ones shown and
left out, and the product filter offered per event (tenancy: never another organizer's)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from boxoffice.orders.models import Order, OrderStatus, Ticket

from .pages import parse, table_rows

LIST = "/backoffice/orders/"
HELSINKI = ZoneInfo("Europe/Helsinki")


def listed(response) -> list[str]:
    return [row[0][:6] for row in table_rows(response, "orders")]


def test_a_link_reproduces_the_view(owner_client, order_in):
    old, new = order_in(OrderStatus.PAID), order_in(OrderStatus.PAID, language="sv")
    Order.objects.filter(pk=old.pk).update(created_at=datetime(2026, 1, 5, 9, tzinfo=HELSINKI))

    response = owner_client.get(LIST, {"created_to": "2026-01-05", "sort": "created"})

    assert listed(response) == [old.code]
    assert listed(owner_client.get(LIST, {"language": "sv"})) == [new.code]
    assert listed(owner_client.get(LIST, {"sort": "created"})) == [old.code, new.code]
    form = parse(response).find("details", class_="more-filters")
    assert "open" in form.attrs  # a filter behind "More filters" is in use: it is shown


def test_an_impossible_date_is_shown_and_the_rest_still_filters(owner_client, order_in):
    paid, reserved = order_in(OrderStatus.PAID), order_in(OrderStatus.RESERVED)

    response = owner_client.get(LIST, {"created_from": "2026-02-31", "status": "paid"})

    assert response.status_code == 200
    assert listed(response) == [paid.code]
    assert reserved.code not in listed(response)
    errors = parse(response).find("details", class_="more-filters").text()
    assert "Enter a valid date." in errors


def test_an_end_before_the_start_says_so(owner_client, order_in):
    order_in(OrderStatus.PAID)
    response = owner_client.get(LIST, {"paid_from": "2026-03-10", "paid_to": "2026-03-01"})
    assert "The end date is before the start date." in parse(response).text()


def test_rows_per_page(owner_client, place, product):
    product.capacity = 500
    product.save()
    for i in range(105):
        place(product, quantity=1, email=f"b{i}@example.com")

    assert len(table_rows(owner_client.get(LIST), "orders")) == 50
    assert len(table_rows(owner_client.get(LIST, {"per_page": "100"}), "orders")) == 100
    second = owner_client.get(LIST, {"per_page": "100", "page": "2"})
    assert len(table_rows(second, "orders")) == 5
    # Not one of the offered sizes: the default, and the field says why.
    assert len(table_rows(owner_client.get(LIST, {"per_page": "100000"}), "orders")) == 50


def test_the_product_filter_offers_the_chosen_events_products_only(
    owner_client, event, product, foreign_order, order_in
):
    order_in(OrderStatus.PAID)
    assert parse(owner_client.get(LIST)).find_all("select", name="product") == []

    response = owner_client.get(LIST, {"event": event.pk})
    options = parse(response).find("select", name="product").find_all("option")
    assert [o.get("value") for o in options] == ["", str(product.pk)]

    theirs = Ticket.objects.filter(order=foreign_order).values_list("product_id", flat=True)[0]
    response = owner_client.get(LIST, {"event": event.pk, "product": theirs})
    assert foreign_order.code not in listed(response)
    assert "Select a valid choice" in parse(response).find("details", class_="more-filters").text()


def test_another_organizers_event_id_lists_nothing_of_theirs(owner_client, foreign_order):
    response = owner_client.get(LIST, {"event": foreign_order.event_id})
    assert foreign_order.code not in response.content.decode()
    assert parse(response).find_all("select", name="product") == []
