"""The back-office scanner page of one event: /backoffice/events/<id>/checkin/.

Owner, manager and support scan; a viewer gets 404 like any action outside their role;
another organizer's event is 404; platform staff may scan anywhere. Every answer is shown
large, in colour, in plain words, with the field empty and focused for the next scan.
"""

from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from backoffice.pages import history, page_text, parse
from backoffice.routes import EVENT_URLS
from boxoffice.accounts.models import Role
from boxoffice.checkin.models import CheckinDevice, ScanAnswer
from boxoffice.checkin.services import checkin_device_create
from boxoffice.orders.models import OrderEventKind, OrderStatus
from boxoffice.orders.services import Participant, order_cancel
from boxoffice.payments.marking import order_mark_paid

from .conftest import first_ticket, scans


def page_url(event) -> str:
    return f"/backoffice/events/{event.pk}/checkin/"


def scan(client: Client, event, code: str):
    return client.post(page_url(event), {"code": code})


def result_box(response):
    boxes = parse(response).find_all("div", class_="scan-result")
    assert len(boxes) == 1, "expected one scan result"
    return boxes[0]


def scan_field(response):
    form = parse(response).find("form", class_="scan-form")
    return form.find("input", name="code")


def url_for(name: str, event, device=None) -> str:
    base = page_url(event)
    return {
        "checkin_event": base,
        "checkin_device_create": f"{base}devices/",
        "checkin_device_revoke": f"{base}devices/{device.pk if device else 0}/revoke/",
    }[name]


# -- who may scan ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.SUPPORT])
def test_owner_manager_and_support_scan(login, member, event, paid_ticket, role):
    user = member(role)
    client = login(user)

    page = client.get(page_url(event))
    response = scan(client, event, paid_ticket.secret)

    assert page.status_code == 200
    assert event.name in page_text(page)
    assert response.status_code == 200
    assert result_box(response).get("data-answer") == "ok"
    assert scans() == [(event.pk, paid_ticket.pk, "ok", None, user.pk)]
    entry = paid_ticket.order.history.get(kind=OrderEventKind.CHECKED_IN)
    assert entry.actor_user == user


def test_a_viewer_gets_404_and_changes_nothing(login, member, event, paid_ticket, snapshot):
    client = login(member(Role.VIEWER))
    before = snapshot(paid_ticket.order)

    assert client.get(page_url(event)).status_code == 404
    assert scan(client, event, paid_ticket.secret).status_code == 404

    assert snapshot(paid_ticket.order) == before
    assert scans() == []


def test_another_organizers_event_is_404(owner_client, foreign_ticket, snapshot):
    event = foreign_ticket.order.event
    before = snapshot(foreign_ticket.order)

    assert owner_client.get(page_url(event)).status_code == 404
    assert scan(owner_client, event, foreign_ticket.secret).status_code == 404
    assert owner_client.get("/backoffice/events/999999/checkin/").status_code == 404

    assert snapshot(foreign_ticket.order) == before
    assert scans() == []


def test_platform_staff_may_scan_at_any_event(login, staff_user, foreign_ticket):
    client = login(staff_user)
    event = foreign_ticket.order.event

    response = scan(client, event, foreign_ticket.secret)

    assert result_box(response).get("data-answer") == "ok"


@pytest.mark.parametrize(("name", "method"), EVENT_URLS, ids=[f"{m} {n}" for n, m in EVENT_URLS])
def test_anonymous_visitors_go_to_login_and_change_nothing(client, event, owner, name, method):
    device, _token = checkin_device_create(event=event, name="Door 1", created_by=owner)
    url = url_for(name, event, device)

    response = client.get(url) if method == "GET" else client.post(url, {"code": "X", "name": "Y"})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(url)}"
    assert scans() == []
    assert list(CheckinDevice.objects.values_list("name", "revoked_at")) == [("Door 1", None)]


def test_the_page_answers_only_get_and_post(owner_client, event):
    assert owner_client.put(page_url(event)).status_code == 405


# -- the answers -------------------------------------------------------------------------------


def test_a_valid_ticket_shows_green_with_the_ticket_and_an_empty_focused_field(
    owner_client, event, place, product, actor
):
    order = place(product, quantity=1, participants=(Participant(name="Matti Meikäläinen"),))
    order = order_mark_paid(order=order, actor=actor)
    ticket = first_ticket(order)

    response = scan(owner_client, event, ticket.secret)

    box = result_box(response)
    assert "scan-ok" in box.get("class").split()
    text = box.text()
    assert text.startswith("Valid ticket — admit")
    assert "Day ticket" in text and "Matti Meikäläinen" in text and order.code in text
    field = scan_field(response)
    assert field.get("value") == ""
    assert field.get("autofocus") is not None
    assert "1 of 1 ticket checked in" in page_text(response)


def test_a_second_scan_says_when_it_was_first_checked_in(owner_client, event, paid_ticket):
    scan(owner_client, event, paid_ticket.secret)
    paid_ticket.refresh_from_db()
    first = timezone.localtime(paid_ticket.checked_in_at, ZoneInfo(event.timezone))

    response = scan(owner_client, event, paid_ticket.secret)

    box = result_box(response)
    assert "scan-warn" in box.get("class").split()
    assert box.text().startswith(f"Already checked in at {first:%H:%M}")
    assert "Day ticket" in box.text()
    assert scan_field(response).get("value") == ""


@pytest.mark.parametrize(
    ("status", "words", "tone"),
    [
        (OrderStatus.CANCELLED, "Ticket cancelled — do not admit", "scan-stop"),
        (OrderStatus.RETURNED, "Ticket cancelled — do not admit", "scan-stop"),
        (OrderStatus.RESERVED, "Not paid", "scan-warn"),
        (OrderStatus.INVOICING, "Not paid", "scan-warn"),
    ],
)
def test_rejected_tickets_are_shown_in_plain_words_and_change_nothing(
    owner_client, event, order_in, snapshot, status, words, tone
):
    order = order_in(status)
    before = snapshot(order)

    response = scan(owner_client, event, first_ticket(order).secret)

    box = result_box(response)
    assert tone in box.get("class").split()
    assert box.text().startswith(words)
    assert order.code in box.text()
    assert snapshot(order) == before


def test_a_ticket_cancelled_after_the_page_opened_is_void(owner_client, event, order_in, actor):
    order = order_in(OrderStatus.PAID)
    owner_client.get(page_url(event))
    order = order_cancel(order=order, actor=actor)

    response = scan(owner_client, event, first_ticket(order).secret)

    assert result_box(response).get("data-answer") == ScanAnswer.VOID


def test_another_events_ticket_says_so_and_nothing_more(
    owner_client, event, place, second_product, actor
):
    order = place(second_product, quantity=1, participants=(Participant(name="Flow Visitor"),))
    order = order_mark_paid(order=order, actor=actor)

    response = scan(owner_client, event, first_ticket(order).secret)

    box = result_box(response)
    assert box.text() == "Ticket for another event"
    assert "scan-warn" in box.get("class").split()
    assert "Flow Visitor" not in page_text(response)
    assert order.code not in page_text(response)


def test_another_organizers_ticket_is_an_unknown_code(owner_client, event, foreign_ticket):
    response = scan(owner_client, event, foreign_ticket.secret)

    box = result_box(response)
    assert box.text() == "Unknown code"
    assert "scan-stop" in box.get("class").split()
    text = page_text(response)
    assert "Foreign Participant" not in text and "Weekend pass" not in text
    assert foreign_ticket.order.code not in text


def test_a_typed_code_is_read_as_printed(owner_client, event, paid_ticket):
    typed = " ".join(paid_ticket.secret[i : i + 4] for i in range(0, 32, 4)).lower()

    response = scan(owner_client, event, f"  {typed}  ")

    assert result_box(response).get("data-answer") == "ok"


def test_an_empty_code_asks_for_one_and_logs_nothing(owner_client, event):
    response = scan(owner_client, event, "   ")

    assert response.status_code == 400
    assert "This field is required." in page_text(response)
    assert not parse(response).find_all("div", class_="scan-result")
    assert scans() == []


def test_nonsense_is_an_unknown_code(owner_client, event):
    response = scan(owner_client, event, "x" * 10_000)

    assert result_box(response).text() == "Unknown code"


def test_the_check_in_stands_in_the_orders_history_with_its_ticket(
    owner_client, event, paid_ticket
):
    scan(owner_client, event, paid_ticket.secret)

    detail = owner_client.get(f"/backoffice/orders/{paid_ticket.order.code}/")

    newest = history(detail)[0]
    assert newest["what"] == "Checked in"
    assert newest["when"].endswith("· Olli Omistaja")
    assert ["Ticket", f"Day ticket #{paid_ticket.pk}"] in newest["rows"]


# -- the running count -------------------------------------------------------------------------


def test_the_count_is_of_this_events_admissible_tickets(
    owner_client, event, order_in, place, second_product, actor
):
    paid = order_in(OrderStatus.PAID)  # 2 tickets
    order_in(OrderStatus.RETURN_REQUESTED)  # 2 tickets, still paid
    order_in(OrderStatus.CANCELLED)  # void: not counted
    order_in(OrderStatus.RESERVED)  # not paid: not counted
    order_mark_paid(order=place(second_product, quantity=3), actor=actor)  # another event

    before = owner_client.get(page_url(event))
    after = scan(owner_client, event, first_ticket(paid).secret)

    count = parse(before).find("span", data_testid="checkin-count").text()
    assert count == "0 of 4 tickets checked in"
    count = parse(after).find("span", data_testid="checkin-count").text()
    assert count == "1 of 4 tickets checked in"


def test_the_page_takes_a_bounded_number_of_queries(
    owner_client, event, order_in, paid_ticket, django_assert_max_num_queries
):
    for _ in range(5):
        order_in(OrderStatus.PAID)

    # 15, and one more since every back-office request asks whether it owes a second code.
    with django_assert_max_num_queries(16):
        response = scan(owner_client, event, paid_ticket.secret)

    assert result_box(response).get("data-answer") == "ok"
