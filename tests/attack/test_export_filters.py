"""Attacks on what an export holds: another organizer's rows through any filter (event=,
product=, organizer=, a search for their customer, order code or ticket code), and whether the
export holds what the list it was taken from shows (issue 16: "Export what the list shows").

Exports are read back with the csv module; the first column is the order code."""

import csv
import io
import re
from decimal import Decimal

import pytest

from backoffice.pages import parse
from backoffice.routes import attention_item
from boxoffice.accounts.models import Membership, Role
from boxoffice.exports import services
from boxoffice.orders.models import OrderStatus

LIST = "/backoffice/orders/"
EXPORT = "/backoffice/orders/export/"


def codes(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return sorted(row[0] for row in list(csv.reader(io.StringIO(body[1:])))[1:])


def listed(client, query) -> list[str]:
    """The order codes the list shows under ``query`` (one page is enough here)."""
    tables = parse(client.get(LIST, query)).find_all("table", class_="orders")
    return sorted(a.text() for t in tables for a in t.find("tbody").find_all("a"))


@pytest.fixture
def shop(order_in, make_event, make_product, organizer, event, product):
    """Two events of ours with a product each, and an order in each."""
    second = make_event(organizer, name="Second Event")
    second_product = make_product(second, name="Second Day", price=Decimal("20.00"))
    first_order = order_in(OrderStatus.PAID)
    second_order = order_in(OrderStatus.PAID, product=second_product)
    return {
        "event": event,
        "product": product,
        "second": second,
        "second_product": second_product,
        "first_order": first_order,
        "second_order": second_order,
    }


# -- another organizer's rows: never, whatever the filter -------------------------------------


def _foreign_queries(foreign_order):
    ticket = foreign_order.tickets.first()
    return [
        {"event": foreign_order.event_id},
        {"product": ticket.product_id},
        {"event": foreign_order.event_id, "product": ticket.product_id},
        {"organizer": foreign_order.organizer_id},
        {"q": foreign_order.customer_email},
        {"q": foreign_order.code},
        {"q": ticket.secret},
        {"q": "Foreign Buyer"},
        {"q": "+358501112223"},
    ]


@pytest.mark.parametrize("rows", ["orders", "tickets"])
def test_backoffice_export_never_holds_another_organizers_rows(
    owner_client, shop, foreign_order, rows
):
    for query in _foreign_queries(foreign_order):
        got = codes(owner_client.get(EXPORT, {**query, "rows": rows}))
        assert foreign_order.code not in got, query


@pytest.mark.parametrize("rows", ["orders", "tickets"])
def test_api_export_never_holds_another_organizers_rows(api, shop, foreign_order, rows):
    for query in _foreign_queries(foreign_order):
        query = {k: v for k, v in query.items() if k != "organizer"}
        response = api.get("/orders/export", rows=rows, **query)
        assert foreign_order.code not in codes(response), query


def test_background_export_never_holds_another_organizers_rows(
    owner_client, owner, shop, foreign_order, monkeypatch, run_tasks
):
    monkeypatch.setattr(services, "DOWNLOAD_LIMIT", -1)  # every export a job
    for query in _foreign_queries(foreign_order):
        owner_client.get(EXPORT, query)
    run_tasks()
    from boxoffice.exports.models import Export

    for export in Export.objects.all():
        got = codes(owner_client.get(f"/backoffice/exports/{export.pk}/download/"))
        assert foreign_order.code not in got, export.query


# -- the export holds what the list shows -----------------------------------------------------


def test_backoffice_export_keeps_the_event_filter(owner_client, shop):
    """Fixed: the export view builds the filter form with no event choices
    (``OrderFilterForm(..., events=[])``), so every ``event=`` is an invalid choice and is
    dropped: the export of one event's list holds every event's orders."""
    query = {"event": shop["second"].pk}
    assert listed(owner_client, query) == [shop["second_order"].code]
    assert codes(owner_client.get(EXPORT, query)) == [shop["second_order"].code]


def test_backoffice_export_keeps_the_product_filter(owner_client, shop):
    """Fixed: as the event (``products=None`` deletes the field): ``product=`` is ignored."""
    query = {"event": shop["second"].pk, "product": shop["second_product"].pk}
    assert listed(owner_client, query) == [shop["second_order"].code]
    assert codes(owner_client.get(EXPORT, query)) == [shop["second_order"].code]


def test_backoffice_export_keeps_the_organizer_filter(
    login, owner, other_organizer, shop, foreign_order
):
    """Fixed: someone in two organizers exports organizer A's list and gets B's customers
    too (``organizers=None`` deletes the field): a file meant for A's accountant carries B's
    personal data."""
    Membership.objects.create(user=owner, organizer=other_organizer, role=Role.VIEWER)
    client = login(owner)
    query = {"organizer": other_organizer.pk}
    assert listed(client, query) == [foreign_order.code]
    assert codes(client.get(EXPORT, query)) == [foreign_order.code]


def test_backoffice_export_keeps_the_attention_filter(owner_client, shop):
    """Fixed: "Needs attention only" is not among the export's filters (ListFilters has no
    attention): the export of the attention list holds every order."""
    attention_item(shop["first_order"])
    query = {"attention": "1"}
    assert listed(owner_client, query) == [shop["first_order"].code]
    assert codes(owner_client.get(EXPORT, query)) == [shop["first_order"].code]


def test_api_export_keeps_the_attention_filter(api, shop):
    """Fixed: the same in the API: GET /orders?attention=true lists one order,
    GET /orders/export?attention=true exports all (api.exports passes list_filters(query),
    which drops attention)."""
    attention_item(shop["first_order"])
    listed_codes = [o["code"] for o in api.get("/orders", attention="true").json()["orders"]]
    assert listed_codes == [shop["first_order"].code]
    assert codes(api.get("/orders/export", attention="true")) == [shop["first_order"].code]


def test_api_export_keeps_the_event_and_product_filters(api, shop):
    query = {"event": shop["second"].pk, "product": shop["second_product"].pk}
    assert codes(api.get("/orders/export", **query)) == [shop["second_order"].code]


@pytest.mark.parametrize(
    "query",
    [
        {"event": "0"},
        {"event": str(2**63)},
        {"product": "-1"},
        {"q": "a\x00b"},
        {"q": "%"},
        {"created_before": "9999-12-31T23:59:59-15:00"},
        {"created_after": "0001-01-01T00:00:00+14:00"},
        {"paid_before": "not-a-date"},
        {"delimiter": "\t"},
        {"format": "pdf"},
        {"rows": "everything"},
        {"refund": "<script>"},
        {"checked_in": "maybe"},
    ],
)
def test_api_export_odd_parameters_are_a_reason_not_a_server_error(api, shop, query):
    response = api.get("/orders/export", **query)
    assert response.status_code in (200, 400, 422), response.status_code


@pytest.mark.parametrize(
    "query",
    [
        {"format": "../../etc/passwd"},
        {"rows": "\x00"},
        {"delimiter": "\x00"},
        {"format": "xlsx", "rows": "tickets", "q": "\x00"},
        {"event": "\x00", "product": "\x00", "organizer": "\x00"},
    ],
)
def test_backoffice_export_odd_parameters_are_no_server_error(owner_client, shop, query):
    response = owner_client.get(EXPORT, query)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert re.fullmatch(
            r'attachment; filename="(orders|tickets)-\d{4}-\d{2}-\d{2}\.(csv|xlsx)"',
            response["Content-Disposition"],
        )
