"""POST /api/v1/events/{id}/cancel: 202 and the job to poll; the same job for a second call;
403 for a role that may not refund, 404 for another organizer's event, 422 for a wrong name."""

import json

import pytest

from boxoffice.accounts.models import Role
from boxoffice.jobs.models import Job
from boxoffice.orders.models import OrderStatus


@pytest.fixture
def orders(order_in):
    return [order_in(OrderStatus.PAID), order_in(OrderStatus.RESERVED)]


def cancel(api, event, **body):
    payload = {"confirm": event.name, "message": {"fi": "Peruttu.", "en": "Cancelled."}, **body}
    return api.client.post(
        f"/api/v1/events/{event.pk}/cancel",
        json.dumps(payload),
        content_type="application/json",
        headers=api.headers,
    )


def test_cancel_answers_the_job_and_a_second_call_the_same(api, event, orders, run_tasks, paytrail):
    first = cancel(api, event)
    assert first.status_code == 202
    job = first.json()["job"]
    assert (job["kind"], job["state"], job["total"], job["done"]) == (
        "event_cancel",
        "queued",
        2,
        0,
    )
    again = cancel(api, event)
    assert again.status_code == 202 and again.json()["job"]["id"] == job["id"]
    run_tasks()
    polled = api.get(f"/jobs/{job['id']}").json()
    assert (polled["state"], polled["done"], polled["failed"]) == ("done", 2, 0)
    assert polled["refunded_total"] == "98.00"
    assert polled["file_url"] is None


def test_refused_calls_change_nothing(api_for, organizer, other_organizer, event, orders):
    support = api_for(organizer, Role.SUPPORT)
    response = cancel(support, event)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert cancel(api_for(other_organizer, Role.OWNER), event).status_code == 404
    wrong = cancel(api_for(organizer, Role.MANAGER), event, confirm="Another event")
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message"] == "Type the event's name exactly as shown to confirm."
    bad_language = cancel(api_for(organizer, Role.MANAGER), event, message={"de": "Abgesagt"})
    assert bad_language.status_code == 422
    event.refresh_from_db()
    assert event.cancelled_at is None and not Job.objects.exists()


def test_the_job_is_seen_by_the_organizers_tokens_only(
    api, api_for, organizer, other_organizer, event, orders
):
    job_id = cancel(api, event).json()["job"]["id"]
    assert api_for(organizer, Role.VIEWER).get(f"/jobs/{job_id}").status_code == 200
    assert api_for(other_organizer, Role.OWNER).get(f"/jobs/{job_id}").status_code == 404
    assert api_for(None).get(f"/jobs/{job_id}").status_code == 200  # platform staff's token


def test_the_job_lists_the_orders_that_failed_and_why(
    api, event, orders, run_tasks, paytrail, monkeypatch
):
    from boxoffice.common.errors import DomainError
    from boxoffice.payments import event_cancel as ec

    real, stuck = ec.cancel_one, orders[1].pk

    def refusing(order, **kw):
        if order.pk == stuck:
            raise DomainError("Locked by the auditor.")
        return real(order, **kw)

    monkeypatch.setattr(ec, "cancel_one", refusing)
    job_id = cancel(api, event).json()["job"]["id"]
    run_tasks()
    polled = api.get(f"/jobs/{job_id}").json()
    assert (polled["state"], polled["done"], polled["failed"]) == ("done", 1, 1)
    assert polled["errors"] == [f"{orders[1].code}: Locked by the auditor."]
