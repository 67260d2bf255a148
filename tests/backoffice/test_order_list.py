"""The "All event orders" list: columns, order, search, filters, pagination, empty states."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, timezone, translation

from boxoffice.catalog.models import FundsManager
from boxoffice.orders.models import OrderStatus, PaymentMethod
from boxoffice.orders.services import Participant

from .pages import links, parse, table_rows

LIST = "/backoffice/orders/"


def codes(response) -> list[str]:
    assert response.status_code == 200
    if not parse(response).find_all("table", class_="orders"):
        return []
    return [row[0] for row in table_rows(response, "orders")]


def result_count(response) -> str:
    return parse(response).find(data_testid="result-count").text()


def empty_text(response) -> str:
    return parse(response).find("div", class_="empty").text()


def dt(*args: int) -> datetime:
    """A moment in Helsinki time."""
    return datetime(*args, tzinfo=ZoneInfo("Europe/Helsinki"))


def short_date(value: date) -> str:
    with translation.override("en"):
        return formats.date_format(value, "SHORT_DATE_FORMAT")


def short_datetime(value) -> str:
    with translation.override("en"):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


# -- columns and order -----------------------------------------------------------------------


def test_row_shows_code_date_customer_event_status_method_total_products_funds_manager(
    owner_client, order_in, settings
):
    settings.PLATFORM_NAME = "Liveto"
    order = order_in(OrderStatus.PAID, quantity=3)

    response = owner_client.get(LIST)

    assert table_rows(response, "orders") == [
        [
            order.code,
            short_datetime(order.created_at),
            "maija.meikalainen@example.com Maija Meikäläinen",
            "Tuska Festival",
            "Paid",
            "Paytrail",
            "€154.50",
            "3",
            "Liveto",
        ]
    ]
    headers = [th.text() for th in parse(response).find("table", class_="orders").find_all("th")]
    assert headers == [
        "Order code",
        "Date",
        "Customer email",
        "Event",
        "Status",
        "Payment method",
        "Total",
        "Products",
        "Funds manager",
    ]


def test_row_labels_for_invoice_order_of_organizer_managed_event(
    owner_client, place, make_event, make_product, organizer
):
    event = make_event(organizer, name="Flow", default_funds_manager=FundsManager.ORGANIZER)
    product = make_product(event, price=Decimal("1000.00"), service_fee=Decimal("0.00"))
    order = place(
        product, quantity=1, method=PaymentMethod.INVOICE, email="firma@example.com", name=""
    )

    row = table_rows(owner_client.get(LIST), "orders")[0]

    assert row[0] == order.code
    assert row[2:] == [
        "firma@example.com",
        "Flow",
        "Invoicing",
        "Credit invoice",
        "€1,000.00",
        "1",
        "Organizer",
    ]


def test_row_links_to_the_order(owner_client, order_in):
    order = order_in(OrderStatus.RESERVED)

    response = owner_client.get(LIST)

    row = parse(response).find("table", class_="orders").find("tbody").find("tr")
    assert row.get("data-href") == f"/backoffice/orders/{order.code}/"
    assert (order.code, f"/backoffice/orders/{order.code}/") in links(response)


def test_newest_order_first(owner_client, place, product):
    placed = [place(product, quantity=1, email=f"buyer{i}@example.com") for i in range(4)]

    assert codes(owner_client.get(LIST)) == [o.code for o in reversed(placed)]


def test_customer_details_are_escaped(owner_client, place, product):
    place(product, quantity=1, name="<script>alert(1)</script>")

    response = owner_client.get(LIST)

    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


# -- search ----------------------------------------------------------------------------------


@pytest.fixture
def people(place, product):
    """Three orders with distinctive customer details."""
    return {
        "anna": place(
            product,
            quantity=1,
            email="anna.virtanen@example.com",
            name="Anna Virtanen",
            phone="+358401234567",
        ),
        "pekka": place(
            product,
            quantity=2,
            email="pekka@firma.fi",
            name="Pekka Puupää",
            phone="+358509876543",
            participants=(Participant(name="Liisa Lahtinen"), Participant(name="Matti Nieminen")),
        ),
        "kalle": place(product, quantity=1, email="kalle@example.org", name="Kalle Korhonen"),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("virtanen@exa", ["anna"]),  # part of an email
        ("ANNA.VIRTANEN@EXAMPLE.COM", ["anna"]),  # whole email, any case
        ("example", ["kalle", "anna"]),  # part shared by two, newest first
        ("Puupää", ["pekka"]),  # customer name
        ("korhonen", ["kalle"]),  # part of a name, lower case
        ("PUUPÄÄ", ["pekka"]),  # Finnish letters fold case too (SQLite's LIKE does not)
        ("puupää", ["pekka"]),
        ("Lahtinen", ["pekka"]),  # a participant's name
        ("matti nieminen", ["pekka"]),  # another participant of the same order
        ("1234567", ["anna"]),  # part of the phone number
        ("+358509876543", ["pekka"]),  # whole phone number
        ("  kalle@example.org  ", ["kalle"]),  # pasted with spaces
        ("nobody", []),
    ],
)
def test_search(owner_client, people, q, expected):
    response = owner_client.get(LIST, {"q": q})

    assert codes(response) == [people[name].code for name in expected]


@pytest.mark.parametrize("transform", [str, str.lower, lambda c: f" {c.lower()} "])
def test_search_by_exact_code_in_any_case(owner_client, people, transform):
    code = people["pekka"].code

    assert codes(owner_client.get(LIST, {"q": transform(code)})) == [code]


def test_search_keeps_the_typed_text_in_the_box(owner_client, people):
    response = owner_client.get(LIST, {"q": "Puupää"})

    assert parse(response).find("input", name="q", type="search").get("value") == "Puupää"


# -- filters ---------------------------------------------------------------------------------


@pytest.fixture
def mix(order_in, make_event, make_product, organizer, place):
    """Orders across two events, statuses and payment methods."""
    flow = make_event(organizer, name="Flow Festival")
    flow_ticket = make_product(flow, name="Flow day")
    return {
        "tuska_paid": order_in(OrderStatus.PAID),
        "tuska_reserved": order_in(OrderStatus.RESERVED),
        "tuska_invoice": order_in(OrderStatus.INVOICING),
        "flow_paid": order_in(OrderStatus.PAID, product=flow_ticket),
        "flow_invoice": place(flow_ticket, quantity=1, method=PaymentMethod.INVOICE),
        "flow_cancelled": order_in(OrderStatus.CANCELLED, product=flow_ticket),
        "flow": flow,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"event": "tuska"}, ["tuska_invoice", "tuska_reserved", "tuska_paid"]),
        ({"event": "flow"}, ["flow_cancelled", "flow_invoice", "flow_paid"]),
        ({"status": "paid"}, ["flow_paid", "tuska_paid"]),
        ({"status": "invoicing"}, ["flow_invoice", "tuska_invoice"]),
        ({"payment_method": "invoice"}, ["flow_invoice", "tuska_invoice"]),
        ({"payment_method": "epassi"}, []),
        ({"event": "flow", "status": "paid"}, ["flow_paid"]),
        ({"event": "tuska", "payment_method": "invoice"}, ["tuska_invoice"]),
        (
            {"event": "flow", "status": "cancelled", "payment_method": "paytrail"},
            ["flow_cancelled"],
        ),
        ({"event": "flow", "status": "reserved"}, []),
        ({"status": "paid", "q": "maija"}, ["flow_paid", "tuska_paid"]),
    ],
)
def test_filters_combine(owner_client, mix, event, params, expected):
    event_ids = {"tuska": event.pk, "flow": mix["flow"].pk}
    if "event" in params:
        params = {**params, "event": event_ids[params["event"]]}

    response = owner_client.get(LIST, params)

    assert codes(response) == [mix[name].code for name in expected]
    # The chosen filters stay selected.
    form = parse(response).find("form", class_="filters")
    for name in ("event", "status", "payment_method"):
        if name in params:
            chosen = form.find("select", name=name).find_all("option", selected="")
            assert [o.get("value") for o in chosen] == [str(params[name])]


def test_event_choices_are_the_organizers_events_newest_first(owner_client, organizer, make_event):
    make_event(organizer, name="Tuska", starts_at=dt(2026, 6, 26, 14), ends_at=dt(2026, 6, 28))
    make_event(organizer, name="Flow", starts_at=dt(2026, 8, 7, 15), ends_at=dt(2026, 8, 9))

    response = owner_client.get(LIST)

    options = parse(response).find("select", name="event").find_all("option")
    assert [o.text() for o in options] == [
        "All events",
        f"Flow ({short_date(date(2026, 8, 7))})",
        f"Tuska ({short_date(date(2026, 6, 26))})",
    ]


def test_event_choice_shows_the_local_start_date(owner_client, organizer, make_event):
    # 00:30 in Helsinki is 21:30 UTC the day before (summer time).
    make_event(
        organizer, name="Yöjuhla", starts_at=dt(2026, 6, 20, 0, 30), ends_at=dt(2026, 6, 20, 4)
    )

    options = parse(owner_client.get(LIST)).find("select", name="event").find_all("option")

    assert [o.text() for o in options][1] == f"Yöjuhla ({short_date(date(2026, 6, 20))})"


# -- counts and pagination -------------------------------------------------------------------


def test_result_count_text(owner_client, people):
    assert result_count(owner_client.get(LIST)) == "3 orders"
    assert result_count(owner_client.get(LIST, {"q": "anna"})) == "1 order"
    assert result_count(owner_client.get(LIST, {"q": "nobody"})) == "0 orders"


@pytest.fixture
def many(place, product):
    """55 orders, oldest first."""
    return [place(product, quantity=1, email=f"buyer{i:02}@example.com") for i in range(55)]


def test_pages_of_fifty(owner_client, many):
    newest_first = [o.code for o in reversed(many)]

    first = owner_client.get(LIST)
    second = owner_client.get(LIST, {"page": 2})

    assert codes(first) == newest_first[:50]
    assert codes(second) == newest_first[50:]
    assert result_count(first) == result_count(second) == "55 orders"
    nav = parse(first).find("nav", class_="pagination")
    assert nav.text() == "Page 1 of 2 Next \u203a"
    assert nav.find("a").get("href") == "?page=2"
    nav = parse(second).find("nav", class_="pagination")
    assert nav.text() == "\u2039 Previous Page 2 of 2"
    assert nav.find("a").get("href") == "?page=1"


def test_pagination_links_keep_the_filters(owner_client, many):
    response = owner_client.get(LIST, {"q": "example.com", "status": "reserved"})

    assert len(codes(response)) == 50
    href = parse(response).find("nav", class_="pagination").find("a").get("href")
    assert href == "?q=example.com&status=reserved&page=2"
    assert len(codes(owner_client.get(LIST + href))) == 5


def test_one_page_has_no_pagination(owner_client, people):
    assert parse(owner_client.get(LIST)).find_all("nav", class_="pagination") == []


def test_invalid_page_numbers_show_a_page_instead_of_failing(owner_client, many):
    # One set of 55 orders for all cases: creating them is the slow part.
    cases = {"abc": 1, "": 1, "2.5": 1, "0": 2, "-1": 2, "999": 2}
    shown = {}
    for page in cases:
        response = owner_client.get(LIST, {"page": page})
        assert response.status_code == 200
        nav = parse(response).find("nav", class_="pagination").text()
        shown[page] = int(nav.split("Page ")[1].split(" of")[0])

    assert shown == cases


@pytest.mark.parametrize(
    "params",
    [
        {"event": "abc"},
        {"event": "999999"},
        {"event": "1.5"},
        {"status": "bogus"},
        {"payment_method": "bitcoin"},
        {"organizer": "abc"},
        {"organizer": "999999"},
        {"q": "x" * 5000},
        {"q": "%_\\'\""},
        {"event": ["1", "2"]},
    ],
)
def test_invalid_parameters_do_not_fail_the_page(owner_client, people, params):
    response = owner_client.get(LIST, params)

    assert response.status_code == 200


@pytest.mark.parametrize("params", [{"event": "abc"}, {"status": "bogus"}, {"page": "abc"}])
def test_invalid_filter_is_ignored_and_the_rest_still_applies(owner_client, people, params):
    response = owner_client.get(LIST, {**params, "q": "anna"})

    assert codes(response) == [people["anna"].code]


def test_overlong_search_does_not_list_every_order(owner_client, people):
    response = owner_client.get(LIST, {"q": "kalle@example.org " + "x" * 200})

    assert codes(response) == []


def test_search_with_like_wildcards_matches_them_literally(owner_client, people):
    assert codes(owner_client.get(LIST, {"q": "%"})) == []
    assert codes(owner_client.get(LIST, {"q": "_"})) == []


# -- empty states ----------------------------------------------------------------------------


def test_no_match_explains_and_offers_to_clear(owner_client, people):
    response = owner_client.get(LIST, {"q": "nobody", "status": "paid"})

    assert codes(response) == []
    assert empty_text(response).startswith("No orders match these filters.")
    assert ("Show all orders", LIST) in links(response)
    assert ("Clear filters", LIST) in links(response)


def test_no_orders_yet(owner_client, event):
    response = owner_client.get(LIST)

    assert empty_text(response).startswith("No orders yet.")
    assert result_count(response) == "0 orders"
    assert ("Clear filters", LIST) not in links(response)


def test_no_events_tells_whom_to_ask(owner_client, settings):
    settings.PLATFORM_SUPPORT_EMAIL = "help@liveto.example"

    response = owner_client.get(LIST)

    text = empty_text(response)
    assert text.startswith("You have no events yet.")
    assert "help@liveto.example" in text


def test_event_names_in_the_filter_are_escaped(owner_client, organizer, make_event):
    make_event(organizer, name='Rock & <b>"Roll"</b>')

    html = owner_client.get(LIST).content.decode()

    assert "Rock &amp; &lt;b&gt;&quot;Roll&quot;&lt;/b&gt;" in html
    assert "<b>" not in html
