"""Internal comments on the order page (issue 16, point 3): a "Comments" form near the history,
comments in the history with their author and time, "Edit" for the author's own comment for 15
minutes, errors announced and tied to the field, and a refused request changes nothing."""

from datetime import timedelta

import pytest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from boxoffice.accounts.models import Role
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import COMMENT_MAX_LENGTH, OrderComment, OrderStatus
from boxoffice.orders.services import order_comment_add, order_comment_edit

from .pages import history, messages, parse, post_forms

FINAL = "Comments can be edited for 15 minutes after they are written."


@pytest.fixture
def paid(order_in):
    return order_in(OrderStatus.PAID)


@pytest.fixture
def clock(monkeypatch):
    def set_to(at):
        monkeypatch.setattr(timezone, "now", lambda: at)

    return set_to


def detail(order) -> str:
    return f"/backoffice/orders/{order.code}/"


def add_url(order) -> str:
    return f"/backoffice/orders/{order.code}/comments/"


def edit_url(order, comment) -> str:
    return f"/backoffice/orders/{order.code}/comments/{comment.pk}/"


def comment_lines(response) -> list[dict[str, str]]:
    """Each comment in the history, newest first: its line's time and author, text, edit
    note, and whether it offers Edit."""
    lines = []
    for li in (
        parse(response)
        .find("ol", data_testid="history")
        .find_all("li", data_testid="history-entry")
    ):
        texts = li.find_all(data_testid="comment-text")
        if not texts:
            continue
        edited = li.find_all(data_testid="comment-edited")
        lines.append(
            {
                "when": li.find("div", class_="when").text(),
                "what": li.find("div", class_="what").text(),
                "text": texts[0].text(),
                "edited": edited[0].text() if edited else "",
                "edit": bool(li.find_all("details", class_="comment-edit")),
            }
        )
    return lines


def hhmm(value) -> str:
    return date_format(localtime(value), "TIME_FORMAT")


def when(value) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT")


# -- the form --------------------------------------------------------------------------------


def test_the_comments_form_sits_just_before_the_history(owner_client, paid):
    response = owner_client.get(detail(paid))

    html = response.content.decode()
    assert html.index('id="comments-h"') < html.index('id="history-h"')
    section = parse(response).find("section", id="comments")
    assert section.find("h2").text() == "Comments"
    form = section.find("form")
    assert (form.get("method"), form.get("action")) == ("post", add_url(paid))
    textarea = form.find("textarea")
    assert (textarea.get("name"), textarea.get("maxlength")) == ("text", "2000")
    label = form.find("label")
    assert (label.text(), label.get("for")) == ("Comment", textarea.get("id"))
    assert textarea.get("aria-describedby") == "id_text_helptext"
    assert section.find("span", id="id_text_helptext").text() == (
        "For your team only: never shown to the customer."
    )
    assert form.find("button").text() == "Add comment"


def test_a_viewer_reads_but_gets_no_form(make_user, organizer, login, paid, actor):
    order_comment_add(order=paid, actor=actor, text="Called the buyer")
    viewer = login(make_user("viewer@example.com", organizer, Role.VIEWER))

    response = viewer.get(detail(paid))

    assert add_url(paid) not in post_forms(response)
    refusal = parse(response).find(data_testid="comment-refusal")
    assert refusal.text() == "Read only: Needs the support role."
    assert [line["text"] for line in comment_lines(response)] == ["Called the buyer"]
    assert comment_lines(response)[0]["edit"] is False


def test_a_viewers_post_is_404_and_changes_nothing(make_user, organizer, login, paid, snapshot):
    viewer = login(make_user("viewer@example.com", organizer, Role.VIEWER))
    before = snapshot(paid)

    response = viewer.post(add_url(paid), {"text": "Let me in"})

    assert response.status_code == 404
    assert snapshot(paid) == before


# -- adding ----------------------------------------------------------------------------------


def test_a_comment_is_added_and_shown_in_the_history_with_author_and_time(
    owner_client, paid, owner
):
    response = owner_client.post(add_url(paid), {"text": "Called the buyer.\r\nAll good."})

    assert response.status_code == 302
    assert response["Location"] == detail(paid) + "#comments"
    comment = OrderComment.objects.get()
    assert (comment.order_id, comment.author_id, comment.text) == (
        paid.pk,
        owner.pk,
        "Called the buyer.\nAll good.",
    )
    page = owner_client.get(detail(paid))
    assert messages(page) == ["Comment added."]
    newest = history(page)[0]
    assert newest["what"] == "Comment"
    assert newest["when"] == f"{when(comment.created_at)} · Olli Omistaja"
    [line] = comment_lines(page)
    assert line["text"] == "Called the buyer. All good."
    assert line["edited"] == ""
    assert line["edit"] is True
    # The line break is kept, and the text is escaped, not markup.
    assert "Called the buyer.<br>All good." in page.content.decode()


def test_a_comment_is_shown_as_text_never_as_markup(owner_client, paid, actor):
    order_comment_add(order=paid, actor=actor, text="<script>alert(1)</script> & <b>x</b>")

    html = owner_client.get(detail(paid)).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write something first: a comment cannot be empty."),
        ("  \r\n ", "Write something first: a comment cannot be empty."),
        (
            "y" * (COMMENT_MAX_LENGTH + 1),
            "A comment can be at most 2000 characters long; this one has 2001.",
        ),
    ],
    ids=["empty", "blank", "too long"],
)
def test_a_refused_comment_is_announced_and_tied_to_the_field(
    owner_client, paid, snapshot, text, message
):
    before = snapshot(paid)

    response = owner_client.post(add_url(paid), {"text": text})

    assert response.status_code == 400
    assert snapshot(paid) == before
    section = parse(response).find("section", id="comments")
    summary = section.find(data_testid="form-errors")
    assert summary.get("role") == "alert"
    textarea = section.find("textarea")
    assert textarea.get("aria-invalid") == "true"
    assert textarea.get("aria-describedby") == "id_text_helptext id_text_error"
    assert section.find("ul", id="id_text_error").text() == message
    if text.strip():
        assert textarea.text() == text  # what they wrote is still there to shorten


# -- editing ---------------------------------------------------------------------------------


def test_its_author_edits_a_comment_and_the_history_shows_the_new_text(
    owner_client, paid, actor, clock
):
    written = timezone.now()
    clock(written)
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    clock(written + timedelta(minutes=10))

    page = owner_client.get(detail(paid))
    form = parse(page).find("details", class_="comment-edit").find("form")
    assert form.get("action") == edit_url(paid, comment)
    textarea = form.find("textarea")
    assert (textarea.get("name"), textarea.get("id"), textarea.text()) == (
        "text",
        f"comment-{comment.pk}-text",
        "Called the buyer",
    )
    assert form.find("label").text() == "Your comment"

    response = owner_client.post(edit_url(paid, comment), {"text": "Called the buyer twice"})

    assert response.status_code == 302
    assert response["Location"] == detail(paid) + "#comments"
    comment.refresh_from_db()
    assert (comment.text, comment.edited_at) == (
        "Called the buyer twice",
        written + timedelta(minutes=10),
    )
    page = owner_client.get(detail(paid))
    assert messages(page) == ["Comment saved."]
    # Still one line, at the time it was written, now with its new text and the edit's time.
    entries = history(page)
    assert [e["what"] for e in entries].count("Comment") == 1
    assert "Comment edited" not in [e["what"] for e in entries]
    [line] = comment_lines(page)
    assert line["when"] == f"{when(written)} · Olli Omistaja"
    assert line["text"] == "Called the buyer twice"
    assert line["edited"] == f"edited {hhmm(written + timedelta(minutes=10))}"
    assert line["edit"] is True  # five minutes left


def test_an_edit_on_a_later_day_shows_its_date(owner_client, paid, actor, clock):
    # Written late on one day and edited (within the window) after midnight.
    start = localtime(timezone.now()).replace(hour=23, minute=55)
    clock(start)
    late = order_comment_add(order=paid, actor=actor, text="Late note")
    clock(start + timedelta(minutes=10))
    order_comment_edit(comment=late, actor=actor, text="Late note, edited")

    line = comment_lines(owner_client.get(detail(paid)))[0]

    assert line["edited"] == f"edited {when(start + timedelta(minutes=10))}"


def test_edit_is_offered_only_to_the_author_and_only_for_15_minutes(
    owner_client, paid, actor, make_user, organizer, login, clock
):
    written = timezone.now()
    clock(written)
    order_comment_add(order=paid, actor=actor, text="Called the buyer")
    manager = login(make_user("manager@example.com", organizer, Role.MANAGER))

    assert comment_lines(owner_client.get(detail(paid)))[0]["edit"] is True
    assert comment_lines(manager.get(detail(paid)))[0]["edit"] is False
    clock(written + timedelta(minutes=14, seconds=59))
    assert comment_lines(owner_client.get(detail(paid)))[0]["edit"] is True
    clock(written + timedelta(minutes=15))
    assert comment_lines(owner_client.get(detail(paid)))[0]["edit"] is False


def test_an_edit_after_15_minutes_is_refused_and_the_text_kept_for_a_new_comment(
    owner_client, paid, actor, clock, snapshot
):
    written = timezone.now()
    clock(written)
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    clock(written + timedelta(minutes=16))
    before = snapshot(paid)

    response = owner_client.post(edit_url(paid, comment), {"text": "Called the buyer twice"})

    assert response.status_code == 400
    assert snapshot(paid) == before
    section = parse(response).find("section", id="comments")
    errors = section.find(data_testid="form-errors")
    assert errors.get("role") == "alert"
    assert errors.find("ul", class_="nonfield").text() == (
        f"Your edit was not saved: {FINAL} Your text is in the comment box, to add as a new "
        "comment if it is still needed."
    )
    assert section.find("textarea").text() == "Called the buyer twice"
    assert comment_lines(response)[0]["edit"] is False


def test_a_late_empty_edit_still_says_why_it_was_not_saved(
    owner_client, paid, actor, clock, snapshot
):
    written = timezone.now()
    clock(written)
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    clock(written + timedelta(hours=1))
    before = snapshot(paid)

    response = owner_client.post(edit_url(paid, comment), {"text": ""})

    assert response.status_code == 400
    assert snapshot(paid) == before
    section = parse(response).find("section", id="comments")
    assert FINAL in section.find(data_testid="form-errors").text()


def test_anyone_elses_edit_is_404_and_changes_nothing(
    paid, actor, make_user, organizer, login, staff_user, snapshot
):
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    others = [
        login(make_user(f"other.{role}@example.com", organizer, role))
        for role in (Role.OWNER, Role.MANAGER, Role.SUPPORT, Role.VIEWER)
    ]
    before = snapshot(paid)

    for other in [*others, login(staff_user)]:
        response = other.post(edit_url(paid, comment), {"text": "Rewritten"})
        assert response.status_code == 404

    assert snapshot(paid) == before


def test_an_empty_edit_reopens_the_edit_form_with_the_error_on_its_field(
    owner_client, paid, actor, snapshot
):
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    before = snapshot(paid)

    response = owner_client.post(edit_url(paid, comment), {"text": "   "})

    assert response.status_code == 400
    assert snapshot(paid) == before
    details = parse(response).find("details", class_="comment-edit")
    assert "open" in details.attrs
    textarea = details.find("textarea")
    field_id = f"comment-{comment.pk}-text"
    assert textarea.get("aria-invalid") == "true"
    assert textarea.get("aria-describedby") == f"{field_id}_helptext {field_id}_error"
    assert details.find("ul", id=f"{field_id}_error").text() == (
        "Write something first: a comment cannot be empty."
    )
    assert details.find(data_testid="form-errors").get("role") == "alert"
    # The add form is untouched.
    assert not parse(response).find("section", id="comments").find_all(data_testid="form-errors")


def test_the_same_text_again_changes_nothing(owner_client, paid, actor, snapshot):
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    before = snapshot(paid)

    response = owner_client.post(edit_url(paid, comment), {"text": "Called the buyer"})

    assert response.status_code == 302
    assert snapshot(paid) == before
    assert messages(owner_client.get(detail(paid))) == ["Nothing changed."]


def test_a_comment_of_another_order_is_404_through_this_orders_code(
    owner_client, order_in, actor, snapshot
):
    mine, other = order_in(OrderStatus.PAID), order_in(OrderStatus.PAID)
    comment = order_comment_add(order=other, actor=actor, text="Called the buyer")
    before = snapshot(mine), snapshot(other)

    response = owner_client.post(edit_url(mine, comment), {"text": "Moved"})

    assert response.status_code == 404
    assert (snapshot(mine), snapshot(other)) == before


def test_a_foreign_orders_comments_are_404_and_never_shown(
    owner_client, foreign_order, other_owner, snapshot
):
    comment = order_comment_add(
        order=foreign_order, actor=Actor.for_user(other_owner), text="Their secret note"
    )
    before = snapshot(foreign_order)

    for response in (
        owner_client.get(detail(foreign_order)),
        owner_client.post(add_url(foreign_order), {"text": "Intruder"}),
        owner_client.post(edit_url(foreign_order, comment), {"text": "Intruder"}),
    ):
        assert response.status_code == 404
        assert b"Their secret note" not in response.content
    assert snapshot(foreign_order) == before


# -- cost ------------------------------------------------------------------------------------


def test_the_order_page_queries_do_not_grow_with_comments(owner_client, order_in, actor):
    from django.db import connection

    from .test_query_counts import DETAIL_BOUND

    def queries(order) -> int:
        owner_client.get(detail(order))
        with CaptureQueriesContext(connection) as ctx:
            assert owner_client.get(detail(order)).status_code == 200
        return len(ctx.captured_queries)

    one, many = order_in(OrderStatus.PAID), order_in(OrderStatus.PAID)
    order_comment_add(order=one, actor=actor, text="One")
    for i in range(12):
        comment = order_comment_add(order=many, actor=actor, text=f"Note {i}")
        order_comment_edit(comment=comment, actor=actor, text=f"Note {i}, edited")

    assert queries(one) == queries(many) <= DETAIL_BOUND
