"""POST /api/v1/orders/bulk and /orders/bulk/preview: the preview changes nothing; the action
answers 202 with its job; a retried request (same Idempotency-Key) answers the same job;
another organizer's orders are never selected; bad bodies are 422 with a reason."""

import json

import pytest

from boxoffice.accounts.models import Role
from boxoffice.jobs.models import Job, JobItem
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod


@pytest.fixture
def orders(order_in, place, product):
    return [
        order_in(OrderStatus.PAID),
        place(product, quantity=1, method=PaymentMethod.INVOICE),
        order_in(OrderStatus.CANCELLED),
    ]


def post(api, path, body, **headers):
    return api.client.post(
        f"/api/v1{path}",
        json.dumps(body),
        content_type="application/json",
        headers={**api.headers, **headers},
    )


def test_the_preview_says_what_applies_and_changes_nothing(api, orders, event):
    response = post(
        api, "/orders/bulk/preview", {"action": "mark_paid", "filter": {"event": event.pk}}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "action": "mark_paid",
        "selected": 3,
        "applies": 1,
        "skipped": [
            {
                "reason": "Paytrail payments are confirmed by the payment service, not by hand.",
                "orders": 2,
            }
        ],
    }
    assert not Job.objects.exists()


def test_the_action_answers_its_job_and_a_retry_the_same(api, orders, run_tasks):
    body = {"action": "mark_paid", "codes": [o.code for o in orders], "reference": "B7"}
    first = post(api, "/orders/bulk", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 202, first.content
    job = first.json()["job"]
    assert (job["kind"], job["state"], job["total"], job["done"]) == ("bulk", "queued", 3, 2)
    again = post(api, "/orders/bulk", body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 202 and again.json()["job"]["id"] == job["id"]
    assert Job.objects.count() == 1
    run_tasks()
    polled = api.get(f"/jobs/{job['id']}").json()
    assert (polled["state"], polled["done"], polled["failed"]) == ("done", 3, 0)
    assert Order.objects.get(pk=orders[1].pk).status == OrderStatus.PAID


def test_another_organizers_orders_are_not_selected(api_for, other_organizer, orders):
    stranger = api_for(other_organizer, Role.OWNER)
    codes = {"action": "cancel", "codes": [o.code for o in orders]}
    for path in ("/orders/bulk/preview", "/orders/bulk"):
        response = post(stranger, path, codes)
        assert response.status_code == 422
        assert "No orders are selected" in response.json()["error"]["message"]
    assert not Job.objects.exists() and not JobItem.objects.exists()
    assert Order.objects.get(pk=orders[0].pk).status == OrderStatus.PAID


@pytest.mark.parametrize(
    "body",
    [
        {"action": "cancel"},  # no selection
        {"action": "cancel", "codes": ["A"], "filter": {}},  # two
        {"action": "explode", "codes": ["A"]},
        {"action": "cancel", "codes": ["A"] * 1001},
        {"action": "cancel", "filter": {"status": "lost"}},
        {"action": "cancel", "codes": "ABC"},
    ],
)
def test_bad_bodies_are_refused_with_a_reason(api, orders, body):
    response = post(api, "/orders/bulk", body)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["message"]
    assert not Job.objects.exists()


def test_a_filter_matching_nothing_starts_nothing(api, orders):
    response = post(api, "/orders/bulk", {"action": "resend", "filter": {"q": "nobody-at-all"}})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "No orders are selected: tick some, or change the filters."
    )


def test_a_viewer_may_not_act(api_for, organizer, orders):
    viewer = api_for(organizer, Role.VIEWER)
    response = post(viewer, "/orders/bulk", {"action": "resend", "codes": [orders[0].code]})
    assert response.status_code == 422
    assert "applies to none" in response.json()["error"]["message"]
    assert not Job.objects.exists()


def test_a_message_to_the_selected_customers(api, orders, run_tasks):
    from boxoffice.notifications.models import EmailKind, EmailMessage

    body = {
        "action": "message",
        "codes": [orders[0].code, orders[1].code],
        "subject": {"en": "About {event_name}"},
        "body": {"en": "Hello {customer_name}, your order {order_code}: {order_link}"},
    }
    response = post(api, "/orders/bulk", body, **{"Idempotency-Key": "m-1"})
    assert response.status_code == 202, response.content
    job = response.json()["job"]
    assert (job["kind"], job["total"]) == ("message", 2)
    assert post(api, "/orders/bulk", body, **{"Idempotency-Key": "m-1"}).json()["job"] == job
    run_tasks()
    sent = EmailMessage.objects.filter(kind=EmailKind.MESSAGE)
    assert sorted(sent.values_list("order_id", flat=True)) == sorted([orders[0].pk, orders[1].pk])
    bad = post(api, "/orders/bulk", {**body, "subject": {"en": "{order_id}"}})
    assert bad.status_code == 422 and "{order_id}" in bad.json()["error"]["message"]
    assert Job.objects.count() == 1
