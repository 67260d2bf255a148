"""Attacks on bulk actions (backoffice.bulk_views, api.bulk, bulk.services) and on the jobs that
several workers share (jobs.items, jobs.runner, payments.event_cancel, backoffice.job_views,
GET /api/v1/jobs/{id}).

What is tried: selections that widen past what the person saw, another organizer's codes,
events and jobs, roles that may not act (per organizer), odd and huge input, double submits
and retries, workers killed or racing, pause and retry while workers run, a member removed
mid-job, orders that change between the preview and the run, and the results CSV.
The races (real threads and connections) run on PostgreSQL only; the rest on both engines.
"""

import csv
import io
import json
from collections import Counter
from decimal import Decimal

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from api.conftest import ApiClient
from backoffice.pages import page_text, parse
from boxoffice.accounts.models import Membership, Role
from boxoffice.accounts.permissions import principal_for
from boxoffice.accounts.tokens import api_token_create
from boxoffice.bulk import actions as bulk_actions
from boxoffice.bulk import services as bulk_services
from boxoffice.bulk.services import bulk_start
from boxoffice.jobs import items, runner
from boxoffice.jobs.models import ItemState, Job, JobItem, JobState
from boxoffice.notifications.models import EmailKind, EmailMessage
from boxoffice.orders.models import Order, OrderEvent, OrderStatus, PaymentMethod
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import Payment, Refund, RefundSource, RefundState
from boxoffice.payments.selection import Selection
from common.test_replica import (  # noqa: F401 (fixtures)
    ON_BOTH,
    assert_nothing_primary_only_on_replica,
    reads,
    replica_alias_on_test_database,
    routed,
)
from races import RACE_ON_POSTGRESQL

BULK = "/backoffice/orders/bulk/"
JOB_TASK = "boxoffice.jobs.tasks.job_run"


def fields_of(page) -> dict:
    """The confirmation form's fields as a browser posts them (lists for repeats)."""
    form = next(f for f in parse(page).find_all("form") if f.find_all("input", name="key"))
    fields: dict = {}
    for field in form.find_all("input"):
        if field.get("type") == "checkbox":
            if "checked" not in field.attrs:
                continue
            fields.setdefault(field.get("name"), []).append(field.get("value") or "on")
            continue
        fields.setdefault(field.get("name"), []).append(field.get("value"))
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items() if k}


def post_json(api: ApiClient, path: str, body, **headers):
    return api.client.post(
        f"/api/v1{path}",
        body if isinstance(body, str | bytes) else json.dumps(body),
        content_type="application/json",
        headers={**api.headers, **headers},
    )


def codes_of(*orders: Order) -> Selection:
    return Selection(codes=tuple(o.code for o in orders))


@pytest.fixture
def orders(order_in, place, product):
    return {
        "paid": order_in(OrderStatus.PAID),
        "paid2": order_in(OrderStatus.PAID),
        "invoice": place(product, quantity=1, method=PaymentMethod.INVOICE),
        "reserved": place(product, quantity=1, method=PaymentMethod.RESERVED_BY_ORGANIZER),
        "cancelled": order_in(OrderStatus.CANCELLED),
    }


def failed_refund(order: Order) -> Refund:
    """A refund of ``order`` that Paytrail refused: the list's "Refund failed" filter."""
    return Refund.objects.create(
        order=order,
        amount=Decimal("10.00"),
        state=RefundState.FAILED,
        source=RefundSource.PAYTRAIL,
        failure_reason="refused",
    )


# -- selections that widen ---------------------------------------------------------------------


@pytest.mark.parametrize("action", ["resend", "cancel"])
def test_all_matching_the_refund_filter_acts_on_those_orders_only(
    owner_client, orders, event, action, run_tasks
):
    """The list's "Refund failed" filter is called ``refund``, as is the confirmation's
    "Refund each paid order" box: the confirmation must still carry the filter on."""
    failed_refund(orders["paid"])
    listed = owner_client.get("/backoffice/orders/", {"refund": "failed"})
    assert [b.get("value") for b in parse(listed).find_all("input", name="code")] == [
        orders["paid"].code
    ]
    bar = parse(listed).find("form", data_testid="bulk-bar")
    hidden = {i.get("name"): i.get("value") for i in bar.find_all("input", type="hidden")}
    hidden.pop("csrfmiddlewaretoken")
    page = owner_client.post(BULK, {**hidden, "action": action, "scope": "filter"})
    assert "Applies to 1 of the 1 selected order." in page_text(page)
    form = fields_of(page)
    response = owner_client.post(BULK, form)
    assert response.status_code == 302, page_text(response)
    job = Job.objects.get()
    # The job is about the one order the preview showed, not every order of the organizer.
    assert list(JobItem.objects.values_list("target_id", flat=True)) == [orders["paid"].pk]
    assert job.total == 1


def test_api_filter_with_an_unknown_name_is_refused_not_widened(api, orders, event):
    """A misspelt or unknown filter must not be dropped: that would select every order."""
    for body in (
        {"action": "cancel", "filter": {"event_id": event.pk}},
        {"action": "cancel", "filter": {"stauts": "reserved"}},
        {"action": "cancel", "filter": {"status": "reserved", "limit": 1}},
        {"action": "cancel", "filter": {"status": "reserved", "cursor": "abc"}},
    ):
        for path in ("/orders/bulk/preview", "/orders/bulk"):
            response = post_json(api, path, body)
            assert response.status_code == 422, (body, response.content)
            assert response.json()["error"]["message"]
    assert not Job.objects.exists()
    assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == 1


def test_the_list_s_dropped_filter_is_refused_not_widened(owner_client, orders, other_event):
    """A filter the list would drop (another organizer's event, a date that is none) refuses
    "all matching" instead of acting on every order."""
    for bad in ({"event": other_event.pk}, {"created_from": "yesterday"}, {"q": "a\x00b"}):
        page = owner_client.post(BULK, {"action": "resend", "scope": "filter", **bad})
        assert page.status_code == 422, bad
        confirmed = owner_client.post(
            BULK, {"action": "resend", "scope": "filter", "key": "k1", **bad}
        )
        assert confirmed.status_code == 422, bad
    assert not Job.objects.exists()


# -- another organizer's codes, events and jobs ------------------------------------------------


def test_foreign_codes_mixed_with_own_select_only_own(owner_client, orders, foreign_order):
    ticked = {
        "action": "resend",
        "scope": "codes",
        "code": [orders["paid"].code, foreign_order.code],
    }
    page = owner_client.post(BULK, ticked)
    assert "Applies to 1 of the 1 selected order." in page_text(page)
    assert foreign_order.code not in page_text(page)  # only echoed in the carried fields
    owner_client.post(BULK, fields_of(page))
    assert list(JobItem.objects.values_list("target_id", flat=True)) == [orders["paid"].pk]


@pytest.fixture
def foreign_job(other_owner, foreign_order):
    job = bulk_start(
        principal=principal_for(other_owner),
        action="cancel",
        selection=codes_of(foreign_order),
        user=other_owner,
    )
    JobItem.objects.filter(job=job).update(state=ItemState.FAILED, detail="x")
    Job.objects.filter(pk=job.pk).update(state=JobState.DONE, failed=1)
    return job


def test_another_organizers_job_is_404_everywhere(owner_client, api, foreign_job, foreign_order):
    before = Job.objects.values_list("state", "failed").get(pk=foreign_job.pk)
    for path in ("", "results.csv"):
        assert owner_client.get(f"/backoffice/jobs/{foreign_job.pk}/{path}").status_code == 404
    for verb in ("pause", "resume", "retry"):
        assert owner_client.post(f"/backoffice/jobs/{foreign_job.pk}/{verb}/").status_code == 404
    assert api.get(f"/jobs/{foreign_job.pk}").status_code == 404
    assert api.get(f"/jobs/{foreign_job.pk}/file").status_code == 404
    assert Job.objects.values_list("state", "failed").get(pk=foreign_job.pk) == before
    assert JobItem.objects.get(job=foreign_job).state == ItemState.FAILED
    assert Order.objects.get(pk=foreign_order.pk).status == foreign_order.status


def test_a_member_removed_no_longer_sees_or_steers_the_organizers_job(
    login, make_user, organizer, orders
):
    """A job outlives its starter's membership: once removed, the person is a stranger to
    the organizer's orders, so its page, its results (codes, amounts) and its buttons too."""
    manager = make_user("manager@example.com", organizer, role=Role.MANAGER)
    job = bulk_start(
        principal=principal_for(manager),
        action="cancel",
        selection=codes_of(orders["paid"], orders["reserved"]),
        user=manager,
    )
    client = login(manager)
    assert client.get(f"/backoffice/jobs/{job.pk}/").status_code == 200
    Membership.objects.filter(user=manager).delete()
    assert client.get(f"/backoffice/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/backoffice/jobs/{job.pk}/results.csv").status_code == 404
    assert client.post(f"/backoffice/jobs/{job.pk}/pause/").status_code == 404
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED


# -- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.SUPPORT])
@pytest.mark.parametrize("action", ["cancel", "mark_paid"])
def test_viewer_or_support_cannot_cancel_or_mark_paid(
    login, make_user, organizer, orders, role, action, api_for
):
    person = login(make_user("p@example.com", organizer, role=role))
    ticked = {"action": action, "scope": "codes", "code": [o.code for o in orders.values()]}
    page = person.post(BULK, ticked)
    assert "Applies to 0 of the 5 selected orders." in page_text(page)
    assert person.post(BULK, {**ticked, "key": "k", "refund_orders": "on"}).status_code == 422
    token = api_for(organizer, role)
    response = post_json(token, "/orders/bulk", {"action": action, "codes": ticked["code"]})
    assert response.status_code == 422
    assert not Job.objects.exists()
    assert Counter(Order.objects.values_list("status", flat=True)) == Counter(
        o.status for o in orders.values()
    )


def test_a_person_in_two_organizers_acts_only_where_their_role_allows(
    login, make_user, organizer, other_organizer, orders, foreign_order, run_tasks, paytrail
):
    """Manager at one, support at the other: a cancel of both organizers' orders does the
    first's and skips the second's, with the reason."""
    both = make_user("both@example.com", organizer, role=Role.MANAGER)
    Membership.objects.create(user=both, organizer=other_organizer, role=Role.SUPPORT)
    client = login(both)
    ticked = {
        "action": "cancel",
        "scope": "codes",
        "code": [orders["paid"].code, foreign_order.code],
    }
    page = client.post(BULK, ticked)
    assert "Applies to 1 of the 2 selected orders." in page_text(page)
    assert "Your role does not allow this" in page_text(page)
    assert client.post(BULK, fields_of(page)).status_code == 302
    run_tasks()
    assert Order.objects.get(pk=foreign_order.pk).status == foreign_order.status
    assert Order.objects.get(pk=orders["paid"].pk).status in (
        OrderStatus.CANCELLED,
        OrderStatus.RETURNED,
    )
    skipped = JobItem.objects.get(target_id=foreign_order.pk)
    assert skipped.state == ItemState.SKIPPED
    # The other organizer's manager never sees a job about both organizers' orders.
    assert Job.objects.get().organizer_id is None


# -- odd and huge input ------------------------------------------------------------------------


def test_odd_codes_in_the_back_office(owner_client, orders):
    paid = orders["paid"].code
    cases = [
        [paid.lower(), f"  {paid} ", paid],  # lower case, spaces, duplicates: one order
        ["\x00", paid + "\x00"],  # NULs: no order, no 500
        ["Ä" * 5000],  # long unicode
    ]
    expected = ["Applies to 1 of the 1 selected order.", None, None]
    for codes, want in zip(cases, expected, strict=True):
        page = owner_client.post(BULK, {"action": "resend", "scope": "codes", "code": codes})
        assert page.status_code in (200, 422), codes
        if want:
            assert want in page_text(page)
        else:
            assert "No orders are selected" in page_text(page)
    # A hundred thousand codes: refused by Django's field limit (400), not a 500.
    many = owner_client.post(BULK, {"action": "resend", "code": [paid] * 100_000})
    assert many.status_code == 400
    # No scope: the ticked codes. GET with a key never starts anything.
    assert "Applies to 1" in page_text(owner_client.post(BULK, {"action": "resend", "code": paid}))
    assert owner_client.get(BULK, {"action": "resend", "code": paid, "key": "k"}).status_code == 200
    assert owner_client.put(BULK).status_code == 405
    assert not Job.objects.exists()


def test_the_confirmation_needs_csrf(owner, orders):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(
        BULK, {"action": "resend", "scope": "codes", "code": orders["paid"].code, "key": "k"}
    )
    assert response.status_code == 403
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"action": "resend", "codes": [None]},
        {"action": "resend", "codes": [1, 2]},
        {"action": "resend", "codes": {"a": 1}},
        {"action": "resend", "codes": ["\x00"]},
        {"action": "resend", "codes": ["A" * 100_000]},
        {"action": "resend", "filter": {"q": "x" * 201}},
        {"action": "resend", "filter": {"event": 10**30}},
        # Not an object: once read as "no filters", i.e. every order (ninja reads attributes).
        {"action": "resend", "filter": "status=paid"},
        {"action": "resend", "filter": 5},
        {"action": "resend", "filter": True},
        {"action": "resend", "filter": ["status"]},
        {"action": "cancel", "codes": ["X"], "reason": "a\x00b"},
        {"action": "message", "codes": ["X"]},
        "[]",
        "not json",
        "",
    ],
)
def test_odd_api_bodies_are_4xx_with_a_reason(api, orders, body):
    for path in ("/orders/bulk/preview", "/orders/bulk"):
        response = post_json(api, path, body)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.content)
        assert response.json()["error"]["message"]
    assert not Job.objects.exists()


def test_odd_but_valid_api_codes(api, orders):
    paid = orders["paid"].code
    response = post_json(
        api, "/orders/bulk/preview", {"action": "resend", "codes": [paid.lower(), paid, paid]}
    )
    assert response.status_code == 200
    assert (response.json()["selected"], response.json()["applies"]) == (1, 1)
    # A body too large for Django is refused, not a 500.
    huge = post_json(
        api, "/orders/bulk/preview", {"action": "resend", "codes": ["A" * 3_000] * 1000}
    )
    assert 400 <= huge.status_code < 500, huge.status_code


# -- double submits and retries ----------------------------------------------------------------


def test_a_double_submit_and_a_second_tab(owner_client, orders, run_tasks, paytrail):
    ticked = {"action": "cancel", "scope": "codes", "code": [orders["paid"].code]}
    tab1, tab2 = owner_client.post(BULK, ticked), owner_client.post(BULK, ticked)
    form1, form2 = fields_of(tab1), fields_of(tab2)
    assert form1["key"] != form2["key"]
    first = owner_client.post(BULK, form1)
    assert owner_client.post(BULK, form1)["Location"] == first["Location"]  # double click
    assert owner_client.post(BULK, form2).status_code == 302  # the other tab: a second job
    run_tasks()
    assert Job.objects.count() == 2
    assert Refund.objects.filter(order=orders["paid"]).count() == 1
    assert len(paytrail.refunds) == 1
    assert (
        EmailMessage.objects.filter(order=orders["paid"], kind=EmailKind.CANCELLATION).count() == 1
    )
    # One job cancelled it; the other left it as it was.
    assert Counter(JobItem.objects.values_list("state", flat=True)) == {
        ItemState.DONE: 1,
        ItemState.SKIPPED: 1,
    }


def test_another_persons_form_key_does_not_answer_their_job(
    login, make_user, organizer, owner_client, orders
):
    ticked = {"action": "resend", "scope": "codes", "code": [orders["paid"].code]}
    form = fields_of(owner_client.post(BULK, ticked))
    owner_client.post(BULK, form)
    other = login(make_user("m2@example.com", organizer, role=Role.MANAGER))
    response = other.post(BULK, form)  # the same key, another person: their own job
    assert response.status_code == 302
    assert sorted(Job.objects.values_list("user__email", flat=True)) == [
        "m2@example.com",
        "owner@example.com",
    ]


@pytest.mark.parametrize("keyed", [True, False])
def test_api_retries_never_refund_or_email_twice(api, orders, run_tasks, paytrail, keyed):
    body = {"action": "cancel", "codes": [orders["paid"].code, orders["reserved"].code]}
    headers = {"Idempotency-Key": "retry-1"} if keyed else {}
    first = post_json(api, "/orders/bulk", body, **headers)
    again = post_json(api, "/orders/bulk", body, **headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert (first.json()["job"]["id"] == again.json()["job"]["id"]) is keyed
    run_tasks()
    assert Refund.objects.filter(order=orders["paid"]).count() == 1
    assert len(paytrail.refunds) == 1
    for order in (orders["paid"], orders["reserved"]):
        assert EmailMessage.objects.filter(order=order, kind=EmailKind.CANCELLATION).count() == 1
    # A key used again with another body is refused.
    if keyed:
        other = post_json(api, "/orders/bulk", {**body, "refund": False}, **headers)
        assert other.status_code == 422


# -- orders changed between the preview and the run ----------------------------------------------


def test_orders_changed_after_the_start_are_done_by_how_they_are_now(
    boss_client_and_principal, orders, actor, run_tasks, paytrail
):
    principal, owner = boss_client_and_principal
    run_tasks()  # the orders' own emails
    # mark_paid started on an invoice and a reservation; before the worker runs, the invoice
    # is paid by the customer and the reservation cancelled.
    job = bulk_start(
        principal=principal,
        action="mark_paid",
        selection=codes_of(orders["invoice"], orders["reserved"]),
        user=owner,
    )
    order_mark_paid(order=orders["invoice"], actor=actor, reference="bank")
    from boxoffice.orders.services import order_cancel

    order_cancel(order=orders["reserved"], actor=actor, reason="asked")
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.done, job.failed) == (JobState.DONE, 2, 0)
    assert Counter(JobItem.objects.values_list("state", flat=True)) == {ItemState.SKIPPED: 2}
    assert Order.objects.get(pk=orders["reserved"].pk).status == OrderStatus.CANCELLED
    # Nothing more happened to either: one payment, the customer's; none by the job.
    assert list(
        Payment.objects.filter(order=orders["invoice"]).values_list("provider_reference", flat=True)
    ) == ["bank"]
    assert not Payment.objects.filter(order=orders["reserved"]).exists()


@pytest.fixture
def boss_client_and_principal(owner):
    return principal_for(owner), owner


def test_an_order_cancelled_meanwhile_is_not_refunded_again(
    boss_client_and_principal, orders, actor, run_tasks, paytrail
):
    principal, owner = boss_client_and_principal
    run_tasks()
    job = bulk_start(
        principal=principal, action="cancel", selection=codes_of(orders["paid"]), user=owner
    )
    from boxoffice.orders.services import order_cancel

    order_cancel(order=orders["paid"], actor=actor, reason="kept the money on purpose")
    run_tasks()
    job.refresh_from_db()
    assert JobItem.objects.get(job=job).state == ItemState.SKIPPED
    assert not Refund.objects.filter(order=orders["paid"]).exists()
    assert paytrail.refunds == []


def test_mark_paid_on_paytrail_orders_and_cancel_without_refund(api, orders, run_tasks, paytrail):
    paytrail_reserved = orders["paid"]  # Paytrail, paid: mark_paid refuses Paytrail anyway
    preview = post_json(
        api, "/orders/bulk/preview", {"action": "mark_paid", "codes": [paytrail_reserved.code]}
    )
    assert preview.json()["applies"] == 0
    assert (
        post_json(
            api, "/orders/bulk", {"action": "mark_paid", "codes": [paytrail_reserved.code]}
        ).status_code
        == 422
    )
    response = post_json(
        api, "/orders/bulk", {"action": "cancel", "codes": [orders["paid2"].code], "refund": False}
    )
    assert response.status_code == 202
    run_tasks()
    assert Order.objects.get(pk=orders["paid2"].pk).status == OrderStatus.CANCELLED
    assert not Refund.objects.exists() and paytrail.refunds == []
    assert JobItem.objects.get().result == "not_refunded"


# -- workers: killed, paused, retried ------------------------------------------------------------


class WorkerKilled(BaseException):
    """A SIGKILL mid-chunk: the chunk never commits (not an Exception: nothing catches it)."""


@pytest.mark.parametrize("action", ["cancel", "resend", "mark_paid"])
def test_a_worker_killed_mid_chunk_leaves_nothing_done_twice(
    owner, orders, monkeypatch, run_tasks, paytrail, action
):
    run_tasks()  # the orders' own emails
    handler = bulk_services.BulkHandler()
    monkeypatch.setattr(handler, "chunk_size", 10)
    job = bulk_start(
        principal=principal_for(owner),
        action=action,
        selection=codes_of(*orders.values()),
        user=owner,
    )
    pending = JobItem.objects.filter(job=job, state=ItemState.PENDING).count()
    joined = items._join(job.pk)
    real = bulk_actions.do
    done = []

    def dying(action_, order, actor_, params):
        outcome = real(action_, order, actor_, params)  # the order's change is made ...
        done.append(order.pk)
        if len(done) == 2:
            raise WorkerKilled  # ... and the worker dies before the chunk commits
        return outcome

    monkeypatch.setattr(bulk_services, "do", dying)
    emails, history = EmailMessage.objects.count(), OrderEvent.objects.count()
    with pytest.raises(WorkerKilled):
        items.take_chunk(joined, handler, handler.context(joined))
    monkeypatch.setattr(bulk_services, "do", real)
    assert EmailMessage.objects.count() == emails and OrderEvent.objects.count() == history
    assert Refund.objects.count() == 0
    assert JobItem.objects.filter(job=job, state=ItemState.PENDING).count() == pending
    # The next worker does the whole job once.
    DBTaskResult.objects.filter(task_path=JOB_TASK).delete()
    Job.objects.filter(pk=job.pk).update(state=JobState.QUEUED)
    assert runner.run(job.pk).endswith("done")
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.done + job.failed) == (JobState.DONE, 5)
    per_order = Counter(
        EmailMessage.objects.exclude(kind=EmailKind.CONFIRMATION).values_list("order_id", "kind")
    )
    assert set(per_order.values()) <= {1}, per_order
    assert set(Counter(Refund.objects.values_list("order_id", flat=True)).values()) <= {1}


def test_retry_while_running_changes_nothing_and_pause_stops_after_the_chunk(
    owner, orders, monkeypatch, run_tasks, paytrail
):
    handler = bulk_services.BulkHandler()
    monkeypatch.setattr(handler, "chunk_size", 1)
    job = bulk_start(
        principal=principal_for(owner),
        action="cancel",
        selection=codes_of(*orders.values()),
        user=owner,
    )
    joined = items._join(job.pk)
    assert items.take_chunk(joined, handler, handler.context(joined)) == 1
    assert runner.job_retry_failed(job).state == JobState.RUNNING  # nothing failed; running
    assert runner.job_pause(job).state == JobState.PAUSED
    with pytest.raises(items.Stopped):
        items.take_chunk(joined, handler, handler.context(joined))
    assert items.finish(joined, handler) == "stopped"
    assert runner.job_resume(job).state == JobState.QUEUED
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.done, job.failed) == (JobState.DONE, 5, 0)


def test_the_results_csv_neutralizes_formulas(owner_client, owner, orders):
    job = bulk_start(
        principal=principal_for(owner),
        action="resend",
        selection=codes_of(orders["paid"]),
        user=owner,
    )
    JobItem.objects.filter(job=job).update(
        label='=HYPERLINK("http://evil")',
        detail="@SUM(1+1)",
        state=ItemState.FAILED,
        result="refused",
    )
    response = owner_client.get(f"/backoffice/jobs/{job.pk}/results.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    assert rows[1][4] == "'@SUM(1+1)"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_api_job_of_a_revoked_or_other_token(organizer, orders, api_for, other_organizer):
    starter = api_for(organizer, Role.MANAGER)
    job_id = post_json(
        starter, "/orders/bulk", {"action": "resend", "codes": [orders["paid"].code]}
    ).json()["job"]["id"]
    viewer = api_for(organizer, Role.VIEWER)  # a job of the organizer: its tokens see it
    assert viewer.get(f"/jobs/{job_id}").status_code == 200
    assert api_for(other_organizer, Role.OWNER).get(f"/jobs/{job_id}").status_code == 404
    _token, value = api_token_create(
        organizer=None, role=Role.MANAGER, name="platform", created_by=None
    )
    assert ApiClient(value).get(f"/jobs/{job_id}").status_code == 200


# -- the read replica --------------------------------------------------------------------------


@ON_BOTH
@pytest.mark.usefixtures("routed")
def test_bulk_previews_starts_and_runs_read_only_the_primary(owner, orders, run_tasks, paytrail):
    """The list reads the replica; the bulk action acts on what it reads, so it must not:
    an order paid or cancelled a moment ago would be acted on as it was."""
    client = Client()
    client.force_login(owner)
    _token, value = api_token_create(
        organizer=owner.memberships.get().organizer, role=Role.MANAGER, name="r", created_by=None
    )
    token = ApiClient(value)
    with reads() as seen:
        ticked = {"action": "cancel", "scope": "codes", "code": [orders["paid"].code]}
        page = client.post(BULK, ticked)
        assert client.post(BULK, fields_of(page)).status_code == 302
        everything = {"action": "resend", "scope": "filter", "status": "paid"}
        page = client.get(BULK, everything)
        assert client.post(BULK, fields_of(page)).status_code == 302
        body = {"action": "mark_paid", "filter": {"status": "reserved"}}
        assert post_json(token, "/orders/bulk/preview", body).status_code == 200
        assert post_json(token, "/orders/bulk", body).status_code == 202
        for job in Job.objects.all():
            assert runner.run(job.pk).endswith("done")
            assert client.get(f"/backoffice/jobs/{job.pk}/").status_code == 200
            assert token.get(f"/jobs/{job.pk}").status_code in (200, 404)
    assert seen.replica == []
    assert_nothing_primary_only_on_replica(seen)


# -- races on PostgreSQL: real threads, real connections ---------------------------------------


def on_postgresql(test):
    for mark in RACE_ON_POSTGRESQL:
        test = mark(test)
    return test


@pytest.fixture
def many(order_in, place, product):
    """Eight orders: four paid by card, two invoices, two reservations."""
    return [
        *(order_in(OrderStatus.PAID) for _ in range(4)),
        *(place(product, quantity=1, method=PaymentMethod.INVOICE) for _ in range(2)),
        *(place(product, quantity=1, method=PaymentMethod.RESERVED_BY_ORGANIZER) for _ in range(2)),
    ]


@pytest.fixture
def one_per_chunk(monkeypatch):
    monkeypatch.setattr(runner._HANDLERS["bulk"], "chunk_size", 1)


def cancelled_once(orders) -> None:
    assert Counter(Refund.objects.values_list("order_id", flat=True)) == {
        o.pk: 1 for o in orders[:4]
    }
    notices = Counter(
        EmailMessage.objects.filter(kind=EmailKind.CANCELLATION).values_list("order_id", flat=True)
    )
    assert notices == {o.pk: 1 for o in orders}
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CANCELLED}


@on_postgresql
@pytest.mark.parametrize("round_", range(2))
def test_four_workers_share_a_bulk_cancel_and_one_finishes_it(
    race, owner, many, one_per_chunk, paytrail, round_
):
    job = bulk_start(
        principal=principal_for(owner), action="cancel", selection=codes_of(*many), user=owner
    )
    results = race(*[lambda: runner.run(job.pk)] * 4)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(1 for r in results if r.endswith("; done")) == 1, results
    assert sum(int(r.split()[0]) for r in results if r[0].isdigit()) == 8, results
    job.refresh_from_db()
    assert (job.state, job.done, job.failed, job.total) == (JobState.DONE, 8, 0, 8)
    assert job.refunded_total == Decimal("392.00")
    cancelled_once(many)


@on_postgresql
def test_two_tabs_jobs_race_on_the_same_orders(race, owner, many, one_per_chunk, paytrail):
    boss = principal_for(owner)
    jobs = [
        bulk_start(principal=boss, action="cancel", selection=codes_of(*many), user=owner)
        for _ in range(2)
    ]
    results = race(*[lambda j=j: runner.run(j.pk) for j in jobs for _ in range(2)])
    assert not [r for r in results if isinstance(r, BaseException)], results
    for job in jobs:
        job.refresh_from_db()
        assert (job.state, job.done, job.failed) == (JobState.DONE, 8, 0), job.error
    assert sum(j.refunded_total for j in jobs) == Decimal("392.00")
    assert JobItem.objects.filter(state=ItemState.SKIPPED).count() == 8
    cancelled_once(many)


@on_postgresql
def test_a_double_submit_at_the_same_moment_starts_one_job(race, owner, many):
    boss = principal_for(owner)
    start = lambda: bulk_start(  # noqa: E731
        principal=boss, action="resend", selection=codes_of(*many), user=owner, key="same-key"
    )
    results = race(start, start, start)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({r.pk for r in results}) == 1
    assert Job.objects.count() == 1 and JobItem.objects.count() == 8


@on_postgresql
def test_pausing_while_workers_run_loses_and_repeats_nothing(
    race, owner, many, one_per_chunk, paytrail, run_tasks
):
    job = bulk_start(
        principal=principal_for(owner), action="cancel", selection=codes_of(*many), user=owner
    )
    results = race(
        lambda: runner.run(job.pk),
        lambda: runner.run(job.pk),
        lambda: runner.job_pause(job),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    job.refresh_from_db()
    finished = JobItem.objects.exclude(state=ItemState.PENDING).count()
    if job.state == JobState.PAUSED:
        assert job.done == finished  # every recorded chunk counted, nothing after the pause
        runner.job_resume(job)
        assert runner.run(job.pk).endswith("done")
    job.refresh_from_db()
    assert (job.state, job.done, job.failed) == (JobState.DONE, 8, 0)
    cancelled_once(many)


@on_postgresql
def test_retrying_failed_items_while_a_worker_runs(race, owner, many, one_per_chunk, paytrail):
    job = bulk_start(
        principal=principal_for(owner), action="cancel", selection=codes_of(*many), user=owner
    )
    first = JobItem.objects.filter(job=job).order_by("pk").first()
    JobItem.objects.filter(pk=first.pk).update(state=ItemState.FAILED, detail="x")
    Job.objects.filter(pk=job.pk).update(failed=1, state=JobState.PAUSED)
    results = race(
        lambda: runner.job_retry_failed(job),
        lambda: runner.job_resume(job),
        lambda: runner.run(job.pk),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    runner.run(job.pk)
    job.refresh_from_db()
    # Whichever came first, the counters add up to the items, each counted once.
    assert job.done + job.failed == 8
    assert job.failed == JobItem.objects.filter(job=job, state=ItemState.FAILED).count()
    if job.failed:  # resume went first: the failed one is left for a retry
        assert runner.job_retry_failed(job).state == JobState.QUEUED
        runner.run(job.pk)
        job.refresh_from_db()
    assert (job.state, job.done, job.failed) == (JobState.DONE, 8, 0)
    cancelled_once(many)
