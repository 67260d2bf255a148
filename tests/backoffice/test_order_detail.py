"""The order page: the seed's "Order details", products, actions offered, payments, history."""

from decimal import Decimal

import pytest
from django.utils import formats, timezone, translation

from boxoffice.catalog.models import FundsManager
from boxoffice.orders.models import OrderStatus, PaymentMethod
from boxoffice.orders.services import (
    Participant,
    order_cancel,
    order_update_customer,
    ticket_update_participant,
)
from boxoffice.payments.marking import order_mark_paid

from .pages import facts, history, links, page_text, parse, table_rows

MINUS = "\u2212"  # refunds are shown with a real minus sign


def detail(client, order):
    response = client.get(f"/backoffice/orders/{order.code}/")
    assert response.status_code == 200
    return response


def short_datetime(value) -> str:
    with translation.override("en"):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def action_links(response) -> list[str]:
    head = parse(response).find("div", class_="page-head").find("div", class_="actions")
    return [a.text() for a in head.find_all("a")]


SEED_FIELDS = [
    "Order code",
    "Customer email",
    "Payment method",
    "Status",
    "Total price",
    "Number of products",
    "Funds manager",
]


def test_order_details_show_every_field_of_the_seed(owner_client, order_in, settings):
    settings.PLATFORM_NAME = "Liveto"
    order = order_in(OrderStatus.PAID, quantity=3)

    shown = facts(detail(owner_client, order))

    assert list(shown)[: len(SEED_FIELDS)] == SEED_FIELDS
    assert {k: shown[k] for k in SEED_FIELDS} == {
        "Order code": order.code,
        "Customer email": "maija.meikalainen@example.com",
        "Payment method": "Paytrail",
        "Status": "Paid",
        "Total price": "€154.50",
        "Number of products": "3",
        "Funds manager": "Liveto",
    }
    values = list(shown.values())
    for expected in (
        f"Tuska Festival {short_datetime(order.event.starts_at)}, Suvilahti, Helsinki",
        short_datetime(order.created_at),
        short_datetime(order.paid_at),
        "€7.50",  # service fees
        "Demo Events Oy",
    ):
        assert expected in values
    assert shown["Paid amount"] == "€154.50"


@pytest.mark.parametrize(
    ("method", "status"),
    [
        (PaymentMethod.PAYTRAIL, OrderStatus.RESERVED),
        (PaymentMethod.INVOICE, OrderStatus.INVOICING),
    ],
)
def test_unpaid_order_shows_its_payment_deadline(owner_client, place, product, method, status):
    order = place(product, quantity=1, method=method)
    assert order.status == status

    shown = facts(detail(owner_client, order))

    assert shown["Payment deadline"] == short_datetime(order.payment_deadline)


def test_status_badge(owner_client, order_in):
    order = order_in(OrderStatus.RETURN_REQUESTED)

    badge = parse(detail(owner_client, order)).find(data_testid="order-status")

    assert badge.text() == "Return requested"


def test_funds_manager_organizer_names_the_organizer(
    owner_client, place, make_event, make_product, organizer
):
    event = make_event(organizer, default_funds_manager=FundsManager.ORGANIZER)
    order = place(make_product(event), quantity=1)

    assert facts(detail(owner_client, order))["Funds manager"] == "Organizer (Demo Events Oy)"


def test_free_order_has_no_payment_deadline(owner_client, place, make_product, event):
    free = make_product(event, name="Free entry", price=Decimal("0"), service_fee=Decimal("0"))
    order = place(free, quantity=1, method=PaymentMethod.FREE)

    shown = facts(detail(owner_client, order))

    assert short_datetime(order.created_at) in shown.values()
    assert "Payment deadline" not in shown or shown["Payment deadline"] in ("None", "No deadline")
    assert shown["Payment method"] == "Free order"
    assert shown["Total price"] == "€0.00"


def test_reservation_without_deadline_says_so(owner_client, place, product):
    order = place(product, quantity=1, method=PaymentMethod.RESERVED_BY_ORGANIZER)

    shown = facts(detail(owner_client, order))

    assert shown["Payment method"] == "Reserved by organizer"
    assert shown["Payment deadline"] in ("None", "No deadline")


def test_cancelled_order_shows_when(owner_client, order_in):
    order = order_in(OrderStatus.CANCELLED)

    shown = facts(detail(owner_client, order))

    assert short_datetime(order.cancelled_at) in shown.values()
    assert [k for k in shown if k.startswith("Cancelled")] != []


def test_code_in_lower_case_opens_the_order(owner_client, order_in):
    order = order_in(OrderStatus.PAID)

    response = owner_client.get(f"/backoffice/orders/{order.code.lower()}/")

    assert response.status_code == 200
    assert facts(response)["Order code"] == order.code


def test_unknown_code_is_404(owner_client, db):
    assert owner_client.get("/backoffice/orders/ZZZZZZ/").status_code == 404


# -- payment URL -----------------------------------------------------------------------------


def payment_url(response) -> str:
    return parse(response).find("input", id="payment-url").get("value")


def test_payment_url_is_the_absolute_customer_link(owner_client, client, order_in):
    order = order_in(OrderStatus.RESERVED)

    url = payment_url(detail(owner_client, order))

    assert url == f"http://testserver/o/{order.code}/{order.secret}/"
    assert client.get(url.removeprefix("http://testserver")).status_code == 200


def test_payment_url_uses_public_base_url(owner_client, order_in, settings):
    settings.PUBLIC_BASE_URL = "https://tickets.example.com"
    order = order_in(OrderStatus.RESERVED)

    url = payment_url(detail(owner_client, order))

    assert url == f"https://tickets.example.com/o/{order.code}/{order.secret}/"


# -- products --------------------------------------------------------------------------------


def test_products_table_lists_every_ticket_with_a_participant_link(owner_client, order_in):
    order = order_in(
        OrderStatus.PAID,
        participants=(Participant(name="Liisa Lahtinen", email="liisa@example.com"),),
    )
    ticket_a, ticket_b = order.tickets.order_by("pk")
    response = detail(owner_client, order)

    assert table_rows(response, section="products-h") == [
        [
            "Day ticket VAT 10 %",
            "Liisa Lahtinen liisa@example.com",
            "€49.00",
            "€2.50",
            "Valid",
            "—",
            "View participant Download ticket",
        ],
        [
            "Day ticket VAT 10 %",
            "—",
            "€49.00",
            "€2.50",
            "Valid",
            "—",
            "View participant Download ticket",
        ],
    ]
    assert [href for text, href in links(response) if text == "Download ticket"] == [
        f"/backoffice/orders/{order.code}/tickets/{ticket_a.pk}.pdf",
        f"/backoffice/orders/{order.code}/tickets/{ticket_b.pk}.pdf",
    ]
    assert [href for text, href in links(response) if text == "View participant"] == [
        f"/backoffice/orders/{order.code}/tickets/{ticket_a.pk}/",
        f"/backoffice/orders/{order.code}/tickets/{ticket_b.pk}/",
    ]
    products = parse(response).find("section", aria_labelledby="products-h")
    assert products.find("tfoot").text() == "Total €103.00"


@pytest.mark.parametrize("status", [OrderStatus.RESERVED, OrderStatus.INVOICING])
def test_unpaid_tickets_await_payment_with_nothing_to_send_or_print(owner_client, order_in, status):
    order = order_in(status)

    response = detail(owner_client, order)

    rows = table_rows(response, section="products-h")
    assert [(row[4], row[6]) for row in rows] == [("Awaiting payment", "View participant")] * 2
    texts = [text for text, href in links(response)]
    assert "Download ticket" not in texts
    assert "Download tickets" not in texts
    assert "Resend tickets" not in texts
    refusal = parse(response).find(data_testid="tickets-refusal").text()
    assert refusal == (
        "Tickets are issued when the order is paid: until then there is nothing to send."
    )


def test_void_tickets_are_shown_as_void(owner_client, order_in):
    order = order_in(OrderStatus.CANCELLED)

    rows = table_rows(detail(owner_client, order), section="products-h")

    assert [row[4] for row in rows] == ["Void", "Void"]


# -- actions offered -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (OrderStatus.RESERVED, ["Cancel order"]),
        (OrderStatus.INVOICING, ["Mark as paid", "Cancel order"]),
        # One cancel: its page asks what happens to the money (refund now, preselected).
        (OrderStatus.PAID, ["Cancel order"]),
        # A return request leads with its answer; cancelling comes last.
        (OrderStatus.RETURN_REQUESTED, ["Accept return", "Decline return", "Cancel order"]),
        (OrderStatus.CANCELLED, ["Refund order", "Mark as refunded"]),
        (OrderStatus.RETURNED, []),
    ],
)
def test_actions_offered_per_status(owner_client, order_in, status, actions):
    order = order_in(status)

    response = detail(owner_client, order)

    assert action_links(response) == actions
    styles = {
        a.text(): a.get("class")
        for a in parse(response).find(data_testid="order-actions").find_all("a")
    }
    # The likely step is filled; destructive ones are styled apart from it.
    assert all(styles[label] == "button danger" for label in ("Cancel order",) if label in actions)
    assert all(
        styles[label] == "button primary"
        for label in ("Accept return", "Mark as paid", "Refund order")
        if label in actions
    )
    hrefs = dict(links(response))
    if "Cancel order" in actions:
        assert hrefs["Cancel order"] == f"/backoffice/orders/{order.code}/cancel/"
    if "Mark as refunded" in actions:
        assert hrefs["Mark as refunded"] == f"/backoffice/orders/{order.code}/mark-refunded/"


def test_cancelled_unpaid_order_offers_no_refund(owner_client, order_in, actor):
    order = order_in(OrderStatus.RESERVED)
    order = order_cancel(order=order, actor=actor)

    response = detail(owner_client, order)

    assert action_links(response) == []
    assert "has not been refunded yet" not in page_text(response)


def test_cancelled_order_without_refund_service_points_to_mark_as_refunded(
    owner_client, place, product, actor
):
    order = place(product, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    order = order_mark_paid(order=order, actor=actor)
    order = order_cancel(order=order, actor=actor)

    response = detail(owner_client, order)

    assert action_links(response) == ["Mark as refunded"]
    hint = "This payment method has no refund service: use Mark as refunded once the money"
    assert hint in page_text(response)


def test_cancelled_paid_order_reminds_to_refund(owner_client, order_in):
    response = detail(owner_client, order_in(OrderStatus.CANCELLED))

    notice = parse(response).find("p", class_="notice").text()
    assert notice == (
        "This order is cancelled but €98.00 has not been refunded yet. "
        "Complete the refund right after cancellation."
    )


# -- payments, refunds and history -----------------------------------------------------------


def test_payments_and_refunds_of_a_returned_order(owner_client, order_in):
    order = order_in(OrderStatus.RETURNED)
    payment, refund = order.payments.get(), order.refunds.get()

    response = detail(owner_client, order)

    assert table_rows(response, section="money-h") == [
        [short_datetime(payment.created_at), "Payment · Paytrail", "Confirmed", "PT-1", "€103.00"],
        [
            short_datetime(refund.created_at),
            "Marked as refunded · Olli Omistaja",
            "Succeeded",
            "BANK-1",
            f"{MINUS}€98.00",
        ],
    ]
    money = parse(response).find("section", aria_labelledby="money-h")
    assert "Still refundable: €0.00 (service fees are not refunded)." in money.text()


def test_unpaid_order_has_no_payments_section(owner_client, order_in):
    response = detail(owner_client, order_in(OrderStatus.RESERVED))

    assert parse(response).find_all("section", aria_labelledby="money-h") == []


def test_history_newest_first_with_diffs(owner_client, order_in, actor):
    order = order_in(OrderStatus.PAID)
    order_update_customer(
        order=order,
        actor=actor,
        email="maija@example.com",
        name="Maija Meikäläinen",
        phone="+358401234567",
        language="en",
    )
    ticket = order.tickets.order_by("pk").first()
    ticket_update_participant(ticket=ticket, actor=actor, name="Liisa", email="")

    entries = history(detail(owner_client, order))

    assert [e["what"] for e in entries] == [
        "Participant information changed",
        "Customer information changed",
        "Payment received",  # with the order confirmation it queued, folded beneath
        "Order placed",
    ]
    participant, customer, paid, placed = entries
    assert participant["rows"] == [
        ["Participant name", "— → Liisa"],
        ["Ticket", f"Day ticket #{ticket.pk}"],
    ]
    assert sorted(customer["rows"]) == [
        ["Email", "maija.meikalainen@example.com → maija@example.com"],
        ["Language", "Finnish → English"],
        ["Phone", "— → +358401234567"],
    ]
    assert customer["when"].endswith("· Olli Omistaja")
    assert (customer["count"], customer["lines"]) == ("", [])
    assert (paid["status"], paid["count"]) == ("Reserved → Paid", "2 steps")
    assert paid["when"] == f"{short_datetime(order.paid_at)} · Olli Omistaja"
    payment, confirmation = paid["lines"]
    assert (payment["what"], payment["status"], payment["rows"]) == (
        "Payment received",
        "Reserved → Paid",
        [["Amount", "€103.00"]],
    )
    # Sent to the address the order had when it was paid; not sent yet, so one state.
    assert (confirmation["what"], confirmation["rows"], confirmation["steps"]) == (
        "Email queued: Order confirmation",
        [["To", "maija.meikalainen@example.com"]],
        "",
    )
    assert confirmation["status"] == ""
    assert placed["rows"] == [["Total", "€103.00"], ["Number of products", "2"]]
    assert placed["when"].endswith("· maija.meikalainen@example.com (customer)")
    assert placed["when"].startswith(short_datetime(order.created_at))


def test_history_diff_rows_follow_the_form_order(owner_client, order_in, actor):
    order = order_in(OrderStatus.PAID)
    order_update_customer(
        order=order,
        actor=actor,
        email="maija@example.com",
        name="Maija M",
        phone="+358401234567",
        language="en",
    )

    customer = history(detail(owner_client, order))[0]

    assert [label for label, _diff in customer["rows"]] == ["Email", "Name", "Phone", "Language"]


def test_history_marks_before_and_after(owner_client, order_in, actor):
    order = order_in(OrderStatus.PAID)
    order_update_customer(
        order=order,
        actor=actor,
        email="new@example.com",
        name=order.customer_name,
        phone="",
        language=order.language,
    )

    timeline = parse(detail(owner_client, order)).find("ol", data_testid="history")

    assert [d.text() for d in timeline.find_all("del")] == ["maija.meikalainen@example.com"]
    assert [i.text() for i in timeline.find_all("ins")] == ["new@example.com"]


def test_history_of_cancel_and_mark_refunded(owner_client, order_in):
    order = order_in(OrderStatus.RETURNED)

    entries = history(detail(owner_client, order))

    # Each change is one entry with the customer's notice it queued (newest first).
    assert [(e["what"], e["status"], e["count"]) for e in entries[:2]] == [
        ("Marked as refunded", "Cancelled → Returned", "2 steps"),
        ("Order cancelled", "Paid → Cancelled", "2 steps"),
    ]
    marked, notice = entries[0]["lines"]
    assert marked["rows"] == [["Amount", "€98.00"], ["Reference", "BANK-1"]]
    assert (notice["what"], notice["rows"]) == (
        "Email queued: Refund notice",
        [["To", order.customer_email]],
    )
    cancelled, notice = entries[1]["lines"]
    assert cancelled["rows"] == [["Tickets voided", "2"], ["Reason", "setup"]]
    assert (notice["what"], notice["rows"]) == (
        "Email queued: Cancellation notice",
        [["To", order.customer_email]],
    )


def test_customer_details_are_escaped(owner_client, place, product):
    order = place(product, quantity=1, name="<script>alert(1)</script>")

    response = detail(owner_client, order)

    assert b"<script>alert(1)</script>" not in response.content
