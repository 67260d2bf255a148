"""The Messages pages: writing a message to the orders the list shows (count, preview for one
real order, send), the list of messages with their counts, and the message in each order's
history; other organizers' orders and messages are never reachable."""

import pytest

from boxoffice.accounts.models import Role
from boxoffice.accounts.permissions import principal_for
from boxoffice.jobs.models import Job, JobItem
from boxoffice.notifications.customer_messages import message_start
from boxoffice.notifications.models import CustomerMessage, EmailKind, EmailMessage
from boxoffice.orders.links import customer_link
from boxoffice.orders.models import OrderStatus
from boxoffice.payments.order_list import ListFilters
from boxoffice.payments.selection import Selection

from .pages import history, links, messages, page_text, parse, table_rows

NEW = "/backoffice/messages/new/"
LIST = "/backoffice/messages/"
TEXTS = {
    "subject_fi": "Tärkeää: {event_name}",
    "body_fi": "Hei {customer_name}! Tilauksesi {order_code}: {order_link}",
    "subject_en": "Important: {event_name}",
    "body_en": "Hello {customer_name}! Your order {order_code}: {order_link}",
}


@pytest.fixture
def orders(order_in):
    return [order_in(OrderStatus.PAID), order_in(OrderStatus.RESERVED)]


def nothing_made():
    return not (
        CustomerMessage.objects.exists()
        or Job.objects.exists()
        or JobItem.objects.exists()
        or EmailMessage.objects.filter(kind=EmailKind.MESSAGE).exists()
    )


def test_the_page_counts_the_events_orders_and_names_the_placeholders(owner_client, event, orders):
    page = owner_client.get(f"{NEW}?event={event.pk}")
    assert page.status_code == 200
    count = parse(page).find("p", data_testid="message-count").text()
    assert "customers of 2 orders" in count
    assert "{order_link}" in parse(page).find("p", data_testid="placeholders").text()
    assert parse(page).find("button", data_testid="message-send").text() == "Send to 2 orders"


def test_ticked_codes_select_those_orders_and_foreign_codes_nothing(
    owner_client, event, orders, foreign_order
):
    page = owner_client.get(f"{NEW}?code={orders[0].code}&code={foreign_order.code}")
    assert "customer of 1 order" in page_text(page)
    page = owner_client.get(f"{NEW}?code={foreign_order.code}")
    assert "matches no orders" in page_text(page)
    assert not parse(page).find_all("button", data_testid="message-send")
    response = owner_client.post(f"{NEW}?code={foreign_order.code}", {**TEXTS, "action": "send"})
    assert response.status_code == 400
    assert "matches no orders" in page_text(response)
    assert nothing_made()


def test_another_organizers_event_selects_nothing(owner_client, orders, foreign_order):
    page = owner_client.get(f"{NEW}?event={foreign_order.event_id}")
    assert "matches no orders" in page_text(page)
    assert foreign_order.code not in page.content.decode()
    response = owner_client.post(
        f"{NEW}?event={foreign_order.event_id}", {**TEXTS, "action": "send"}
    )
    assert response.status_code == 400
    assert nothing_made()


def test_the_preview_renders_the_message_for_one_real_order(owner_client, event, orders):
    order = orders[1]
    response = owner_client.post(
        f"{NEW}?event={event.pk}", {**TEXTS, "action": "preview", "preview_code": order.code}
    )
    assert response.status_code == 200
    preview = parse(response).find("div", data_testid="message-preview")
    assert order.code in preview.text() and "Finnish" in preview.text()
    assert preview.find("strong", data_testid="preview-subject").text() == (
        f"Tärkeää: {event.name}"
    )
    body = preview.find("div", data_testid="preview-body").text()
    assert body == f"Hei {order.customer_name}! Tilauksesi {order.code}: {customer_link(order)}"
    # The words are kept in the form for the send.
    assert TEXTS["body_en"] in response.content.decode()
    assert nothing_made()


def test_a_preview_code_outside_the_selection_is_refused(
    owner_client, event, orders, foreign_order
):
    response = owner_client.post(
        f"{NEW}?event={event.pk}",
        {**TEXTS, "action": "preview", "preview_code": foreign_order.code},
    )
    assert response.status_code == 400
    assert "No order with that code is among these." in page_text(response)
    assert "Foreign Buyer" not in response.content.decode()


def test_bad_words_are_shown_and_nothing_is_made(owner_client, event, orders):
    response = owner_client.post(
        f"{NEW}?event={event.pk}",
        {"subject_en": "Hi {name}", "body_en": "x", "action": "send"},
    )
    assert response.status_code == 400
    assert "Unknown placeholder {name}" in page_text(response)
    assert nothing_made()


def test_sending_starts_the_job_and_leads_to_its_page(
    owner_client, owner, event, orders, run_tasks
):
    response = owner_client.post(f"{NEW}?event={event.pk}", {**TEXTS, "action": "send"})
    message = CustomerMessage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/jobs/{message.job_id}/"
    assert message.created_by == owner and message.event == event
    assert message.selection["filters"]["event_id"] == event.pk
    job_page = owner_client.get(response["Location"])
    assert "Message to customers" in page_text(job_page)
    assert "on its way to the customers of 2 orders" in " ".join(messages(job_page))
    run_tasks()
    # The list: its subject, how many orders, and the emails' counts.
    page = owner_client.get(LIST)
    [row] = table_rows(page)
    assert row[0].startswith("Tärkeää: {event_name}")
    assert row[1:5] == ["2", "0", "2", "0"]
    assert ("Progress", f"/backoffice/jobs/{message.job_id}/") in links(page)
    # Each order's history: one line for the message, now sent, with its subject.
    detail = owner_client.get(f"/backoffice/orders/{orders[0].code}/")
    [entry] = [e for e in history(detail) if e["what"].startswith("Message")]
    assert entry["what"] == f"Message sent: Tärkeää: {event.name}"


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER])
def test_support_and_viewers_get_no_compose_page_nor_menu_entry(
    login, make_user, organizer, event, orders, role
):
    client = login(make_user(f"{role}@example.com", organizer, role))
    assert client.get(f"{NEW}?event={event.pk}").status_code == 404
    response = client.post(f"{NEW}?event={event.pk}", {**TEXTS, "action": "send"})
    assert response.status_code == 404
    order_list = client.get("/backoffice/orders/")
    assert not parse(order_list).find_all("a", data_testid="nav-messages")
    assert not parse(order_list).find_all("a", data_testid="message-link")
    assert nothing_made()


def test_the_order_list_links_to_a_message_to_what_it_shows(owner_client, event, orders):
    page = owner_client.get(f"/backoffice/orders/?event={event.pk}&status=paid&page=1")
    [link] = parse(page).find_all("a", data_testid="message-link")
    assert link.get("href") == f"{NEW}?event={event.pk}&status=paid"
    assert parse(page).find_all("a", data_testid="nav-messages")
    assert "customer of 1 order" in page_text(owner_client.get(link.get("href")))


def test_another_organizers_message_shows_nowhere(owner_client, other_owner, foreign_order, orders):
    theirs = message_start(
        principal=principal_for(other_owner),
        selection=Selection(filters=ListFilters(event_id=foreign_order.event_id)),
        subject={"en": "Their secret news"},
        body={"en": "x"},
        user=other_owner,
    )
    page = owner_client.get(LIST)
    assert page.status_code == 200
    assert "Their secret news" not in page.content.decode()
    assert owner_client.get(f"/backoffice/jobs/{theirs.job_id}/").status_code == 404
    assert owner_client.post(f"/backoffice/jobs/{theirs.job_id}/pause/").status_code == 404
    csv = f"/backoffice/jobs/{theirs.job_id}/results.csv"
    assert owner_client.get(csv).status_code == 404


def test_the_list_pages_through_many_messages(owner_client, owner, event, orders):
    principal = principal_for(owner)
    for n in range(27):
        message_start(
            principal=principal,
            selection=Selection(codes=(orders[0].code,)),
            subject={"en": f"Note {n}"},
            body={"en": "x"},
            user=owner,
        )
    first = owner_client.get(LIST)
    assert len(table_rows(first)) == 25 and "Page 1 of 2" in page_text(first)
    assert table_rows(first)[0][0].startswith("Note 26")
    assert len(table_rows(owner_client.get(f"{LIST}?page=2"))) == 2
