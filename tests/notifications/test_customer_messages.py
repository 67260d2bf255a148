"""Messages to customers (issue 17.4): the words checked and rendered per order and language,
the selection and who may send, and the job that queues one email and one history row per
order, exactly once."""

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from boxoffice.accounts.models import Role
from boxoffice.accounts.permissions import Principal, principal_for
from boxoffice.accounts.tokens import api_token_create, api_token_revoke
from boxoffice.common.errors import DomainError
from boxoffice.jobs.items import run_items
from boxoffice.jobs.models import ItemState, Job, JobItem, JobState
from boxoffice.jobs.runner import job_retry_failed
from boxoffice.notifications.customer_messages import message_render, message_start
from boxoffice.notifications.message_job import MessageHandler
from boxoffice.notifications.message_selectors import message_counts, messages_visible_to
from boxoffice.notifications.models import CustomerMessage, EmailKind, EmailMessage, EmailState
from boxoffice.orders.links import customer_link
from boxoffice.orders.models import Order, OrderEvent, OrderEventKind, OrderStatus
from boxoffice.payments.order_list import ListFilters
from boxoffice.payments.selection import Selection

SUBJECT = {"en": "News about {event_name}", "fi": "Uutisia: {event_name}"}
BODY = {
    "en": "Hello {customer_name}, order {order_code}: {order_link} {{not a field}}",
    "fi": "Hei {customer_name}, tilaus {order_code}: {order_link}",
}


@pytest.fixture
def principal(owner):
    return principal_for(owner)


@pytest.fixture
def other_product(make_event, make_product, other_organizer):
    return make_product(make_event(other_organizer, name="Ruisrock"))


@pytest.fixture
def orders(order_in):
    return [order_in(OrderStatus.PAID), order_in(OrderStatus.RESERVED)]


def event_selection(event):
    return Selection(filters=ListFilters(event_id=event.pk))


def nothing_made():
    return (
        CustomerMessage.objects.count(),
        Job.objects.count(),
        JobItem.objects.count(),
        EmailMessage.objects.filter(kind=EmailKind.MESSAGE).count(),
    ) == (0, 0, 0, 0)


# -- the words ---------------------------------------------------------------------------------


def test_placeholders_take_the_orders_values_as_plain_text(orders):
    order = orders[0]
    order.language = "en"
    order.customer_name = "<b>Maija</b> & co"
    language, subject, body = message_render((SUBJECT, BODY), order)
    assert language == "en"
    assert subject == f"News about {order.event.name}"
    assert body == (
        f"Hello <b>Maija</b> & co, order {order.code}: {customer_link(order)} {{not a field}}"
    )


def test_the_customers_language_else_the_events_default_else_the_first_written(orders):
    order = orders[0]
    order.language = "sv"  # not written in Swedish
    order.event.default_language = "en"
    assert message_render((SUBJECT, BODY), order)[0] == "en"
    order.event.default_language = "sv"
    assert message_render((SUBJECT, BODY), order)[0] == "fi"  # first written: fi, sv, en
    order.language = "fi"
    assert message_render((SUBJECT, BODY), order)[1] == f"Uutisia: {order.event.name}"


@pytest.mark.parametrize(
    ("subject", "body", "says"),
    [
        ({}, {}, "at least one language"),
        ({"en": "Hi"}, {"en": " "}, "both a subject and a message in English"),
        ({"en": "Hi {order_id}"}, {"en": "x"}, "Unknown placeholder {order_id}"),
        ({"en": "Hi"}, {"en": "price { 5"}, "is not closed"),
        ({"en": "Hi"}, {"en": "a } b"}, "stands alone"),
        ({"en": "Hi"}, {"en": "{customer_name!r}"}, "Unknown placeholder {customer_name!r}"),
        ({"en": "a\nb"}, {"en": "x"}, "one line"),
        ({"en": "x" * 201}, {"en": "x"}, "longer than 200"),
        ({"en": "Hi"}, {"en": "x" * 10_001}, "longer than 10000"),
        ({"de": "Hallo"}, {"de": "x"}, "Unknown language"),
    ],
)
def test_words_that_cannot_be_sent_are_refused_and_nothing_is_made(
    principal, event, orders, subject, body, says
):
    with pytest.raises(DomainError, match=says):
        message_start(
            principal=principal, selection=event_selection(event), subject=subject, body=body
        )
    with pytest.raises(DomainError, match=says):
        message_render((subject, body), orders[0])
    assert nothing_made()


# -- the selection and who may send ------------------------------------------------------------


def test_a_selection_of_no_orders_or_too_many_is_refused(
    principal, event, orders, settings, monkeypatch
):
    with pytest.raises(DomainError, match="matches no orders"):
        message_start(
            principal=principal, selection=Selection(codes=("NOPE00",)), subject=SUBJECT, body=BODY
        )
    monkeypatch.setattr("boxoffice.notifications.customer_messages.SELECTION_MAX", 1)
    with pytest.raises(DomainError, match="Narrow the filters"):
        message_start(
            principal=principal, selection=event_selection(event), subject=SUBJECT, body=BODY
        )
    assert nothing_made()


def test_another_organizers_codes_and_event_select_nothing(principal, place, other_product, orders):
    foreign = place(other_product)
    for selection in (
        Selection(codes=(foreign.code,)),
        Selection(filters=ListFilters(event_id=other_product.event_id)),
    ):
        with pytest.raises(DomainError, match="matches no orders"):
            message_start(principal=principal, selection=selection, subject=SUBJECT, body=BODY)
    assert nothing_made()


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER])
def test_support_and_viewers_may_not_send(make_user, organizer, event, orders, role):
    member = make_user(f"{role}@example.com", organizer, role)
    with pytest.raises(DomainError, match="owners and managers"):
        message_start(
            principal=principal_for(member),
            selection=event_selection(event),
            subject=SUBJECT,
            body=BODY,
            user=member,
        )
    assert nothing_made()


def test_several_organizers_orders_are_refused(staff_user, place, other_product, orders):
    foreign = place(other_product)
    codes = (orders[0].code, foreign.code)
    with pytest.raises(DomainError, match="several organizers"):
        message_start(
            principal=principal_for(staff_user),
            selection=Selection(codes=codes),
            subject=SUBJECT,
            body=BODY,
            user=staff_user,
        )
    assert nothing_made()


# -- sending -----------------------------------------------------------------------------------


def test_starting_makes_the_message_its_job_and_an_item_per_order(principal, owner, event, orders):
    message = message_start(
        principal=principal,
        selection=event_selection(event),
        subject=SUBJECT,
        body=BODY,
        user=owner,
    )
    assert message.organizer_id == event.organizer_id and message.event_id == event.pk
    assert message.subject == SUBJECT and message.created_by == owner
    job = message.job
    assert (job.kind, job.state, job.total, job.organizer_id) == (
        "message",
        JobState.QUEUED,
        2,
        event.organizer_id,
    )
    assert sorted(JobItem.objects.values_list("target_id", flat=True)) == sorted(
        o.pk for o in orders
    )
    assert DBTaskResult.objects.filter(task_path__endswith="job_run").count() == 1
    # Nothing is queued to anyone before the job runs.
    assert not EmailMessage.objects.filter(kind=EmailKind.MESSAGE).exists()


def test_the_job_emails_each_order_once_with_its_history_row(
    principal, owner, event, orders, run_tasks
):
    cancelled = orders[1]
    cancelled.status = OrderStatus.CANCELLED  # a cancelled order still gets it
    cancelled.save(update_fields=["status"])
    message = message_start(
        principal=principal,
        selection=event_selection(event),
        subject=SUBJECT,
        body=BODY,
        user=owner,
    )
    history_before = OrderEvent.objects.count()
    mail.outbox.clear()
    run_tasks()
    message.job.refresh_from_db()
    assert (message.job.state, message.job.done, message.job.failed) == (JobState.DONE, 2, 0)
    emails = EmailMessage.objects.filter(customer_message=message)
    assert sorted(e.order_id for e in emails) == sorted(o.pk for o in orders)
    assert {e.state for e in emails} == {EmailState.SENT}
    for order in orders:
        rows = OrderEvent.objects.filter(order=order, data__email_kind=EmailKind.MESSAGE)
        assert [r.kind for r in rows.order_by("pk")] == [
            OrderEventKind.EMAIL_QUEUED,
            OrderEventKind.EMAIL_SENT,
        ]
        queued = rows.order_by("pk").first()
        assert queued.actor_user == owner
        assert queued.data["subject"] == message_render(message, order)[1]
    assert OrderEvent.objects.count() == history_before + 4
    assert len(mail.outbox) == 2
    email = next(m for m in mail.outbox if orders[0].code in m.body)
    assert email.subject == f"Uutisia: {event.name}"  # the orders are in Finnish
    assert f"tilaus {orders[0].code}: {customer_link(orders[0])}" in email.body
    assert message_counts([message])[message.pk].sent == 2


def test_counts_move_from_queued_to_sent(principal, owner, event, orders, run_tasks, settings):
    message = message_start(
        principal=principal,
        selection=event_selection(event),
        subject=SUBJECT,
        body=BODY,
        user=owner,
    )
    # The job runs here, in one worker; the emails' own send tasks wait for run_tasks.
    settings.JOB_WORKERS_PER_JOB = 1
    run_items(message.job_id, MessageHandler())
    assert Job.objects.get(pk=message.job_id).state == JobState.DONE
    counts = message_counts([message])[message.pk]
    assert (counts.queued, counts.sent, counts.failed) == (2, 0, 0)
    run_tasks()
    counts = message_counts([message])[message.pk]
    assert (counts.queued, counts.sent, counts.failed) == (0, 2, 0)


def test_a_rerun_or_retry_never_emails_twice(principal, owner, event, orders, run_tasks):
    message = message_start(
        principal=principal,
        selection=event_selection(event),
        subject=SUBJECT,
        body=BODY,
        user=owner,
    )
    run_tasks()
    # The job run again (a duplicate task), and its items made to wait again by hand.
    JobItem.objects.filter(job=message.job).update(state=ItemState.FAILED)
    Job.objects.filter(pk=message.job_id).update(failed=2, done=0)
    job_retry_failed(Job.objects.get(pk=message.job_id))
    run_tasks()
    assert EmailMessage.objects.filter(customer_message=message).count() == 2
    assert set(JobItem.objects.filter(job=message.job).values_list("result", flat=True)) == {
        "already_queued"
    }
    assert (
        OrderEvent.objects.filter(
            data__email_kind=EmailKind.MESSAGE, kind=OrderEventKind.EMAIL_QUEUED
        ).count()
        == 2
    )


def test_an_order_without_an_address_is_skipped_with_a_reason(
    principal, owner, event, orders, run_tasks
):
    Order.objects.filter(pk=orders[0].pk).update(customer_email="")
    message = message_start(
        principal=principal,
        selection=event_selection(event),
        subject=SUBJECT,
        body=BODY,
        user=owner,
    )
    run_tasks()
    item = JobItem.objects.get(job=message.job, target_id=orders[0].pk)
    assert (item.state, item.result) == (ItemState.SKIPPED, "no_address")
    assert "no customer email" in item.detail
    assert EmailMessage.objects.filter(customer_message=message).count() == 1
    assert message_counts([message])[message.pk].skipped == 1


def test_a_revoked_token_stops_the_job_before_any_email(organizer, event, orders, run_tasks):
    token, _secret = api_token_create(
        organizer=organizer, name="Bulk", role=Role.MANAGER, created_by=None
    )
    principal = Principal(user=None, roles={organizer.pk: Role.MANAGER})
    message = message_start(
        principal=principal,
        selection=event_selection(event),
        subject=SUBJECT,
        body=BODY,
        api_token=token,
    )
    api_token_revoke(api_token=token)
    run_tasks()
    message.job.refresh_from_db()
    assert message.job.state == JobState.FAILED
    assert not EmailMessage.objects.filter(customer_message=message).exists()


def test_the_messages_list_shows_only_ones_own(
    principal, owner, event, orders, other_organizer, make_user, place, other_product
):
    mine = message_start(
        principal=principal,
        selection=event_selection(event),
        subject=SUBJECT,
        body=BODY,
        user=owner,
    )
    other_owner = make_user("other@example.com", other_organizer, Role.OWNER)
    place(other_product)
    theirs = message_start(
        principal=principal_for(other_owner),
        selection=event_selection(other_product.event),
        subject=SUBJECT,
        body=BODY,
        user=other_owner,
    )
    assert list(messages_visible_to(principal)) == [mine]
    assert list(messages_visible_to(principal_for(other_owner))) == [theirs]
