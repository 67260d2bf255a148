"""The Events page, "Cancel event" (preview, typed confirmation) and the job page that follows
the cancellation; another organizer's event or job is a 404."""

import pytest

from boxoffice.accounts.models import Role
from boxoffice.jobs.models import Job, JobItem, JobState
from boxoffice.orders.models import Order, OrderStatus

from .pages import messages, page_text, parse


@pytest.fixture
def orders(order_in):
    return [order_in(OrderStatus.PAID), order_in(OrderStatus.RESERVED)]


def cancel_url(event):
    return f"/backoffice/events/{event.pk}/cancel/"


def test_owners_see_the_button_and_others_do_not(owner_client, login, make_user, organizer, event):
    page = owner_client.get("/backoffice/events/")
    assert "Cancel event" in page_text(page)
    support = login(make_user("support@example.com", organizer, role=Role.SUPPORT))
    assert "Cancel event" not in page_text(support.get("/backoffice/events/"))
    assert support.get(cancel_url(event)).status_code == 404
    assert support.post(cancel_url(event), {"confirm": event.name}).status_code == 404
    event.refresh_from_db()
    assert event.cancelled_at is None


def test_the_preview_then_a_wrong_name_changes_nothing(owner_client, event, orders):
    page = owner_client.get(cancel_url(event))
    assert page.status_code == 200
    rows = dict(
        (
            r.find("th").text() if r.find_all("th") else r.find_all("td")[0].text(),
            r.find_all("td")[-1].text(),
        )
        for r in parse(page).find("table", data_testid="cancel-preview").find_all("tr")
    )
    assert rows["Orders to cancel"] == "2"
    assert rows["Emails to customers"] == "2"
    response = owner_client.post(cancel_url(event), {"confirm": "nope", "refund": "on"})
    assert response.status_code == 400
    assert "Type the event's name exactly as shown to confirm." in page_text(response)
    event.refresh_from_db()
    assert event.cancelled_at is None and not Job.objects.exists()


def test_cancelling_leads_to_the_job_page_that_follows_it(
    owner_client, event, orders, run_tasks, paytrail
):
    response = owner_client.post(
        cancel_url(event),
        {"confirm": event.name, "refund": "on", "message_fi": "Peruttu sairauden vuoksi."},
        follow=True,
    )
    job = Job.objects.get()
    assert response.redirect_chain == [(f"/backoffice/jobs/{job.pk}/", 302)]
    assert "sells no more" in messages(response)[0]
    assert '<meta http-equiv="refresh" content="3">' in response.content.decode()
    assert page_text(response).count("0 of 2") == 1
    assert owner_client.get(cancel_url(event)).url == f"/backoffice/jobs/{job.pk}/"

    run_tasks()
    page = owner_client.get(f"/backoffice/jobs/{job.pk}/")
    found = parse(page)
    assert found.find(data_testid="job-state").text() == "Done"
    assert found.find(data_testid="job-done").text() == "2"
    assert found.find(data_testid="job-refunded").text() == "€98.00"
    assert set(Order.objects.values_list("status", flat=True)) <= {
        OrderStatus.CANCELLED, OrderStatus.RETURNED
    }  # fmt: skip
    csv = owner_client.get(f"/backoffice/jobs/{job.pk}/results.csv").content.decode("utf-8-sig")
    lines = csv.splitlines()
    assert lines[0] == "Order code,State,Result,Amount,Reason,Time"
    assert sorted(line.split(",")[2] for line in lines[1:]) == ["cancelled", "refunded"]
    assert "Cancelled" in page_text(owner_client.get("/backoffice/events/"))


def test_pause_and_resume_from_the_page(owner_client, event, orders):
    owner_client.post(cancel_url(event), {"confirm": event.name, "refund": "on"}, follow=True)
    job = Job.objects.get()
    response = owner_client.post(f"/backoffice/jobs/{job.pk}/pause/", follow=True)
    assert messages(response) == ["Paused. Nothing done so far is lost; resume to go on."]
    assert Job.objects.get().state == JobState.PAUSED
    owner_client.post(f"/backoffice/jobs/{job.pk}/resume/")
    assert Job.objects.get().state == JobState.QUEUED


def test_another_organizers_event_and_job_are_not_found(
    owner_client, login, other_owner, other_event, event, orders
):
    theirs = login(other_owner)
    assert theirs.get(cancel_url(event)).status_code == 404
    assert theirs.post(cancel_url(event), {"confirm": event.name}).status_code == 404
    owner_client.post(cancel_url(event), {"confirm": event.name, "refund": "on"})
    job = Job.objects.get()
    for url in ("", "results.csv"):
        assert theirs.get(f"/backoffice/jobs/{job.pk}/{url}").status_code == 404
    assert theirs.post(f"/backoffice/jobs/{job.pk}/pause/").status_code == 404
    assert Job.objects.get().state == JobState.QUEUED
    assert event.name not in page_text(theirs.get("/backoffice/events/"))
    assert JobItem.objects.count() == 2
