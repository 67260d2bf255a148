"""Bulk actions from the order list: the boxes and the bar (not for viewers), the preview with
the skipped orders' reasons, the confirmation that starts one job (a double click: the same
one), and another organizer's orders never selected."""

import re

import pytest

from boxoffice.accounts.models import Role
from boxoffice.jobs.models import Job, JobItem, JobState
from boxoffice.notifications.models import EmailKind, EmailMessage
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod

from .pages import page_text, parse


def fields_of(page):
    """The confirmation form's fields as the browser posts them (lists for repeats)."""
    form = next(f for f in parse(page).find_all("form") if f.find_all("input", name="key"))
    fields: dict = {}
    for field in form.find_all("input"):
        if field.get("type") in ("checkbox",) and "checked" not in field.attrs:
            continue
        fields.setdefault(field.get("name"), []).append(field.get("value"))
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items() if k}


BULK = "/backoffice/orders/bulk/"


@pytest.fixture
def orders(order_in, place, product):
    return {
        "paid": order_in(OrderStatus.PAID),
        "invoice": place(product, quantity=1, method=PaymentMethod.INVOICE),
        "cancelled": order_in(OrderStatus.CANCELLED),
    }


def test_the_list_has_boxes_and_the_bar_for_those_who_may_act(
    owner_client, login, make_user, organizer, orders, event
):
    page = owner_client.get(f"/backoffice/orders/?event={event.pk}&status=paid")
    html = parse(page)
    boxes = html.find_all("input", name="code", form="bulk")
    assert [b.get("value") for b in boxes] == [orders["paid"].code]
    bar = html.find("form", data_testid="bulk-bar")
    hidden = {i.get("name"): i.get("value") for i in bar.find_all("input", type="hidden")}
    hidden.pop("csrfmiddlewaretoken")
    assert hidden == {"event": str(event.pk), "status": "paid"}  # "all matching" means these
    assert "All 1 order" in page_text(page) or "The 1 order matching" in page_text(page)
    viewer = login(make_user("viewer@example.com", organizer, role=Role.VIEWER))
    seen = parse(viewer.get("/backoffice/orders/"))
    assert not seen.find_all("form", data_testid="bulk-bar")
    assert not seen.find_all("input", name="code")


def test_the_preview_then_the_confirmation_starts_one_job(owner_client, orders, run_tasks):
    ticked = {
        "action": "mark_paid",
        "scope": "codes",
        "code": [orders["invoice"].code, orders["paid"].code],
    }
    page = owner_client.post(BULK, ticked)
    assert page.status_code == 200
    text = page_text(page)
    assert "Applies to 1 of the 2 selected orders." in text
    skipped = parse(page).find("table", data_testid="bulk-skipped").text()
    assert "Paytrail payments are confirmed by the payment service, not by hand." in skipped
    assert not Job.objects.exists()  # a preview changes nothing

    form = {**fields_of(page), "reference": "Batch 12"}  # the selection, carried on
    assert form["code"] == [orders["invoice"].code, orders["paid"].code]
    response = owner_client.post(BULK, form)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/backoffice/jobs/{job.pk}/"
    assert owner_client.post(BULK, form).status_code == 302  # a double click
    assert Job.objects.count() == 1
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.total, job.done) == (JobState.DONE, 2, 2)
    assert Order.objects.get(pk=orders["invoice"].pk).status == OrderStatus.PAID
    job_page = page_text(owner_client.get(f"/backoffice/jobs/{job.pk}/"))
    assert "Bulk action: Mark as paid" in job_page and "Orders left as they were" in job_page


def test_all_matching_a_filter(owner_client, orders, event, run_tasks):
    query = f"action=resend&scope=filter&event={event.pk}"
    page = owner_client.get(f"{BULK}?{query}")
    assert "Applies to 1 of the 3 selected orders." in page_text(page)
    owner_client.post(BULK, fields_of(page))
    run_tasks()
    resent = EmailMessage.objects.filter(kind=EmailKind.RESEND_TICKETS)
    assert list(resent.values_list("order_id", flat=True)) == [orders["paid"].pk]
    assert JobItem.objects.filter(state="skipped").count() == 2


def test_bad_selections_say_why_and_start_nothing(owner_client, orders, event):
    cases = {
        "action=resend&scope=codes": "No orders are selected",
        "action=resend&scope=filter&q=nobody-at-all": "No orders are selected",
        f"action=explode&scope=codes&code={orders['paid'].code}": "Choose an action",
        f"action=resend&scope=codes&code={orders['cancelled'].code}": None,
    }
    for query, message in cases.items():
        page = owner_client.get(f"{BULK}?{query}")
        if message:
            assert page.status_code == 422 and message in page_text(page), query
        else:
            assert "Applies to 0 of the 1 selected order." in page_text(page)
            assert not parse(page).find_all("button", data_testid="bulk-confirm")
        posted = dict(pair.split("=") for pair in query.split("&"))
        assert owner_client.post(BULK, {**posted, "key": "k"}).status_code in (200, 422)
    assert not Job.objects.exists()


def test_another_organizers_orders_are_not_selected(login, make_user, other_organizer, orders):
    stranger = login(make_user("stranger@example.com", other_organizer, role=Role.OWNER))
    ticked = {"action": "cancel", "scope": "codes", "code": orders["paid"].code}
    page = stranger.post(BULK, ticked)
    assert page.status_code == 422 and orders["paid"].code not in page.content.decode()
    stranger.post(BULK, {**ticked, "key": "k", "refund": "on"})
    # Nor does another organizer's event as a filter widen to all of one's own orders.
    other = stranger.get(f"{BULK}?action=resend&scope=filter&event={orders['paid'].event_id}")
    assert other.status_code == 422 and "These filters are not valid" in page_text(other)
    assert not Job.objects.exists()
    assert Order.objects.get(pk=orders["paid"].pk).status == OrderStatus.PAID
    assert re.search(r"No orders are selected", page_text(page))


def test_send_a_message_goes_to_the_message_page_for_the_same_orders(owner_client, orders):
    ticked = {"action": "message", "scope": "codes", "code": [orders["paid"].code]}
    response = owner_client.post(BULK, ticked)
    assert response.status_code == 302
    assert response["Location"] == (
        f"/backoffice/messages/new/?action=message&scope=codes&code={orders['paid'].code}"
    )
    page = owner_client.get(response["Location"])
    assert page.status_code == 200 and "1 order" in page_text(page)
    # "Ticked orders" with none ticked is none, never all matching.
    empty = owner_client.get("/backoffice/messages/new/?action=message&scope=codes")
    assert "1 order" not in page_text(empty) and "3 orders" not in page_text(empty)
    assert not Job.objects.exists()
