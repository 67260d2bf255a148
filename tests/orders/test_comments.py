"""Internal comments (issue 16, point 3): who may write them, what text, and the author's 15
minutes to edit one; each write is one transaction with its history row, and a refused call
changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from boxoffice.accounts.models import ApiToken, Role
from boxoffice.accounts.permissions import Principal, principal_for
from boxoffice.common.errors import DomainError
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders import rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import (
    COMMENT_MAX_LENGTH,
    OrderComment,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from boxoffice.orders.services import order_comment_add, order_comment_edit

FINAL = "Comments can be edited for 15 minutes after they are written."
NOT_AUTHOR = "Only the person who wrote a comment can edit it."
VIEWER = "Viewers can read comments but not write them: writing needs the support role."


@pytest.fixture
def paid(order_in):
    return order_in(OrderStatus.PAID)


@pytest.fixture
def member(make_user, organizer):
    def make(role: str, name: str = ""):
        return make_user(f"{role}.member@example.com", organizer, role, full_name=name)

    return make


@pytest.fixture
def clock(monkeypatch):
    """Set the time: clock(at) makes timezone.now() answer ``at`` everywhere."""

    def set_to(at):
        monkeypatch.setattr(timezone, "now", lambda: at)

    return set_to


def comment_rows(order):
    return list(
        OrderEvent.objects.filter(
            order=order, kind__in=[OrderEventKind.COMMENT_ADDED, OrderEventKind.COMMENT_EDITED]
        ).order_by("pk")
    )


def tasks_and_emails():
    return DBTaskResult.objects.count(), EmailMessage.objects.count()


# -- writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.SUPPORT])
def test_staff_with_a_writing_role_adds_a_comment_with_its_history_row(paid, member, role):
    author = member(role, name="Sanna Support")
    before = tasks_and_emails()
    history_before = paid.history.count()

    comment = order_comment_add(
        order=paid, actor=Actor.for_user(author), text="  Called the buyer: tickets OK  "
    )

    stored = OrderComment.objects.get()
    assert stored == comment
    assert (stored.order_id, stored.author_id, stored.author_kind, stored.author_label) == (
        paid.pk,
        author.pk,
        "user",
        "Sanna Support",
    )
    assert stored.text == "Called the buyer: tickets OK"
    assert stored.edited_at is None
    assert abs(stored.created_at - timezone.now()) < timedelta(seconds=5)
    # One history row, pointing at the comment, by its author.
    assert paid.history.count() == history_before + 1
    [row] = comment_rows(paid)
    assert (row.kind, row.actor_kind, row.actor_user_id, row.actor_label) == (
        "comment_added",
        "user",
        author.pk,
        "Sanna Support",
    )
    assert row.comment_id == stored.pk
    assert row.data == {"text": "Called the buyer: tickets OK"}
    assert row.kind_label == "Comment"
    # Internal: no email, no webhook, no task of any kind.
    assert tasks_and_emails() == before


def test_platform_staff_may_comment_on_any_organizers_order(paid, staff_user):
    comment = order_comment_add(order=paid, actor=Actor.for_user(staff_user), text="Checked")

    assert (comment.author_id, comment.author_label) == (staff_user.pk, "Platform Staff")


def test_an_api_token_comments_as_itself(paid, organizer):
    token = ApiToken.objects.create(
        organizer=organizer,
        role=Role.SUPPORT,
        name="CRM",
        token_hash="x" * 64,
        prefix="bo_x",
        created_at=timezone.now(),
    )
    principal = Principal(user=None, roles={organizer.pk: Role.SUPPORT})

    comment = order_comment_add(
        order=paid, actor=Actor.for_api_token(token), text="Synced", principal=principal
    )

    assert (comment.author_id, comment.author_kind, comment.author_label) == (
        None,
        "api_token",
        "API: CRM",
    )
    assert comment_rows(paid)[0].actor_kind == "api_token"


def test_a_viewer_may_not_comment_and_nothing_changes(paid, member, snapshot):
    viewer = member(Role.VIEWER)
    before = snapshot(paid)

    with pytest.raises(DomainError) as refused:
        order_comment_add(order=paid, actor=Actor.for_user(viewer), text="Hello")

    assert refused.value.message == VIEWER
    assert snapshot(paid) == before


@pytest.mark.parametrize(
    "who",
    ["other organizer's owner", "user without organizer", "customer", "system", "viewer token"],
)
def test_nobody_else_may_comment(paid, make_user, other_organizer, organizer, snapshot, who):
    actors = {
        "other organizer's owner": lambda: Actor.for_user(
            make_user("other@example.com", other_organizer, Role.OWNER)
        ),
        "user without organizer": lambda: Actor.for_user(make_user("loner@example.com")),
        "customer": lambda: Actor.customer(paid.customer_email),
        "system": lambda: Actor.system(),
        "viewer token": lambda: Actor(kind="api_token", label="API: read"),
    }
    principal = (
        Principal(user=None, roles={organizer.pk: Role.VIEWER}) if who == "viewer token" else None
    )
    actor = actors[who]()
    before = snapshot(paid)

    with pytest.raises(DomainError):
        order_comment_add(order=paid, actor=actor, text="Hello", principal=principal)

    assert snapshot(paid) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write something first: a comment cannot be empty."),
        (" \r\n\t ", "Write something first: a comment cannot be empty."),
        (
            "x" * (COMMENT_MAX_LENGTH + 1),
            "A comment can be at most 2000 characters long; this one has 2001.",
        ),
        ("a\x00b", "A comment cannot contain NUL characters."),
    ],
    ids=["empty", "blank", "too long", "NUL"],
)
def test_empty_or_overlong_text_is_refused_and_nothing_changes(
    paid, actor, snapshot, text, message
):
    before = snapshot(paid)

    with pytest.raises(DomainError) as refused:
        order_comment_add(order=paid, actor=actor, text=text)

    assert refused.value.message == message
    assert snapshot(paid) == before


def test_the_longest_comment_fits_and_a_browsers_line_breaks_count_once(paid, actor):
    # A textarea sends line breaks as \r\n; its maxlength counts them as one character.
    lines = ["x" * 99] * 20  # 20 x 99 characters + 19 line breaks = 1999
    text = "\r\n".join(lines) + "!"

    comment = order_comment_add(order=paid, actor=actor, text=text)

    assert comment.text == "\n".join(lines) + "!"
    assert len(comment.text) == COMMENT_MAX_LENGTH


def test_a_comment_can_be_written_in_every_status(order_in, actor):
    for status in OrderStatus.values:
        order = order_in(status)
        order_comment_add(order=order, actor=actor, text=f"Note on a {status} order")
        assert order.comments.count() == 1


# -- editing ---------------------------------------------------------------------------------


def test_its_author_edits_a_comment_within_15_minutes(paid, actor, owner, clock):
    written = timezone.now()
    clock(written)
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    clock(written + timedelta(minutes=14, seconds=59))
    history_before = paid.history.count()
    before = tasks_and_emails()

    edited = order_comment_edit(comment=comment, actor=actor, text="Called the buyer twice")

    stored = OrderComment.objects.get()
    assert stored == edited
    assert stored.text == "Called the buyer twice"
    assert stored.created_at == written
    assert stored.edited_at == written + timedelta(minutes=14, seconds=59)
    # The history is append-only: the edit is a row of its own, keeping the text before.
    assert paid.history.count() == history_before + 1
    added, edit = comment_rows(paid)
    assert added.data == {"text": "Called the buyer"}  # as first written
    assert (edit.kind, edit.actor_user_id, edit.comment_id) == (
        "comment_edited",
        owner.pk,
        stored.pk,
    )
    assert edit.data == {"changes": {"text": ["Called the buyer", "Called the buyer twice"]}}
    assert tasks_and_emails() == before


def test_after_15_minutes_a_comment_is_final(paid, actor, clock, snapshot):
    written = timezone.now()
    clock(written)
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    clock(written + timedelta(minutes=15))
    before = snapshot(paid)

    with pytest.raises(DomainError) as refused:
        order_comment_edit(comment=comment, actor=actor, text="Too late")

    assert refused.value.message == FINAL
    assert snapshot(paid) == before


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.SUPPORT])
def test_nobody_but_its_author_edits_a_comment(paid, actor, member, staff_user, snapshot, role):
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    before = snapshot(paid)

    for other in (member(role), staff_user):
        with pytest.raises(DomainError) as refused:
            order_comment_edit(comment=comment, actor=Actor.for_user(other), text="Mine now")
        assert refused.value.message == NOT_AUTHOR

    assert snapshot(paid) == before


def test_an_api_tokens_comment_is_final_at_once(paid, organizer, owner, snapshot):
    principal = Principal(user=None, roles={organizer.pk: Role.MANAGER})
    token_actor = Actor(kind="api_token", label="API: CRM")
    comment = order_comment_add(order=paid, actor=token_actor, text="Synced", principal=principal)
    before = snapshot(paid)

    for actor in (token_actor, Actor.for_user(owner)):
        with pytest.raises(DomainError) as refused:
            order_comment_edit(comment=comment, actor=actor, text="Edited", principal=principal)
        assert refused.value.message == NOT_AUTHOR

    assert snapshot(paid) == before


def test_an_author_made_viewer_may_no_longer_edit(paid, member, snapshot):
    author = member(Role.SUPPORT)
    comment = order_comment_add(order=paid, actor=Actor.for_user(author), text="Called")
    author.memberships.update(role=Role.VIEWER)
    before = snapshot(paid)

    with pytest.raises(DomainError) as refused:
        order_comment_edit(comment=comment, actor=Actor.for_user(author), text="Called again")

    assert refused.value.message == VIEWER
    assert snapshot(paid) == before


@pytest.mark.parametrize("text", ["", "   ", "x" * (COMMENT_MAX_LENGTH + 1)])
def test_an_edit_to_empty_or_overlong_text_is_refused(paid, actor, snapshot, text):
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    before = snapshot(paid)

    with pytest.raises(DomainError):
        order_comment_edit(comment=comment, actor=actor, text=text)

    assert snapshot(paid) == before


def test_saving_the_same_text_changes_nothing(paid, actor, snapshot):
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    before = snapshot(paid)

    same = order_comment_edit(comment=comment, actor=actor, text=" Called the buyer\r\n")

    assert same.edited_at is None
    assert snapshot(paid) == before


def test_a_second_edit_within_the_window_adds_a_second_row(paid, actor, clock):
    written = timezone.now()
    clock(written)
    comment = order_comment_add(order=paid, actor=actor, text="one")
    clock(written + timedelta(minutes=5))
    order_comment_edit(comment=comment, actor=actor, text="two")
    clock(written + timedelta(minutes=10))
    order_comment_edit(comment=comment, actor=actor, text="three")

    comment.refresh_from_db()
    assert (comment.text, comment.edited_at) == ("three", written + timedelta(minutes=10))
    assert [row.data for row in comment_rows(paid)] == [
        {"text": "one"},
        {"changes": {"text": ["one", "two"]}},
        {"changes": {"text": ["two", "three"]}},
    ]


# -- the rule itself, at its boundary ----------------------------------------------------------


def test_the_edit_rule_turns_final_at_exactly_15_minutes(paid, actor, owner):
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    principal = principal_for(owner)

    def verdict(after: timedelta) -> rules.Verdict:
        return rules.edit_comment(
            paid,
            comment,
            user_id=owner.pk,
            principal=principal,
            now=comment.created_at + after,
        )

    assert verdict(timedelta(0))
    assert verdict(timedelta(minutes=15) - timedelta(microseconds=1))
    assert not verdict(timedelta(minutes=15))
    assert verdict(timedelta(minutes=15)).reason == FINAL
    assert verdict(timedelta(days=3)).code == "comment_final"


def test_the_write_rule_follows_the_role_matrix(paid, organizer):
    def may(role: str) -> bool:
        return rules.write_comment(paid, Principal(user=None, roles={organizer.pk: role})).allowed

    assert [may(role) for role in Role.values] == [role != Role.VIEWER for role in Role.values]
    assert rules.write_comment(paid, Principal(user=None, platform=True))
    assert not rules.write_comment(paid, None)
