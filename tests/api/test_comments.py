"""GET and POST /api/v1/orders/{code}/comments (issue 16, point 3): the organizer's internal
comments, with the back office's rules and tenancy; a refusal is a 4xx with the reason and
changes nothing. (Tenancy and roles of every route: test_tenancy_writes.py.)"""

import pytest
from django.utils.dateparse import parse_datetime

from boxoffice.accounts.models import Role
from boxoffice.api.models import IdempotencyKey
from boxoffice.orders.models import COMMENT_MAX_LENGTH, OrderComment, OrderStatus
from boxoffice.orders.services import order_comment_add, order_comment_edit


@pytest.fixture
def paid(order_in):
    return order_in(OrderStatus.PAID)


def ms(value):
    """A time as the JSON answer writes it (to the millisecond)."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def path(order) -> str:
    return f"/orders/{order.code}/comments"


def test_a_manager_token_writes_a_comment(api, paid):
    response = api.post(path(paid), {"text": "  Synced from the CRM  "})

    assert response.status_code == 201, response.content
    comment = OrderComment.objects.get()
    body = response.json()
    assert body == {
        "id": comment.pk,
        "text": "Synced from the CRM",
        "author": "API: manager test",
        "author_kind": "api_token",
        "created_at": body["created_at"],
        "edited_at": None,
    }
    assert parse_datetime(body["created_at"]) == ms(comment.created_at)
    assert (comment.order_id, comment.author_id, comment.author_label) == (
        paid.pk,
        None,
        "API: manager test",
    )
    row = paid.history.latest("pk")
    assert (row.kind, row.actor_kind, row.actor_label, row.comment_id, row.data) == (
        "comment_added",
        "api_token",
        "API: manager test",
        comment.pk,
        {"text": "Synced from the CRM"},
    )


def test_comments_are_listed_oldest_first_with_their_current_text(api_for, organizer, paid, actor):
    first = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    order_comment_edit(comment=first, actor=actor, text="Called the buyer twice")
    second = order_comment_add(order=paid, actor=actor, text="Sent a new link")
    viewer = api_for(organizer, Role.VIEWER)

    response = viewer.get(path(paid))

    assert response.status_code == 200
    first.refresh_from_db()
    assert [
        (c["id"], c["text"], c["author"], c["author_kind"], c["edited_at"] is not None)
        for c in response.json()
    ] == [
        (first.pk, "Called the buyer twice", "Olli Omistaja", "user", True),
        (second.pk, "Sent a new link", "Olli Omistaja", "user", False),
    ]
    assert parse_datetime(response.json()[0]["edited_at"]) == ms(first.edited_at)


def test_an_order_without_comments_lists_none(api, paid):
    assert api.get(path(paid)).json() == []


def test_the_history_links_comment_rows_to_their_comment(api, paid, actor):
    comment = order_comment_add(order=paid, actor=actor, text="Called the buyer")
    order_comment_edit(comment=comment, actor=actor, text="Called twice")

    rows = api.get(f"/orders/{paid.code}/history").json()

    assert [(r["kind"], r["comment_id"], r["data"]) for r in rows[-2:]] == [
        ("comment_added", comment.pk, {"text": "Called the buyer"}),
        ("comment_edited", comment.pk, {"changes": {"text": ["Called the buyer", "Called twice"]}}),
    ]
    assert all(r["comment_id"] is None for r in rows[:-2])


@pytest.mark.parametrize(
    ("body", "field_message"),
    [
        ({"text": ""}, "Write something first: a comment cannot be empty."),
        ({"text": " \n\t "}, "Write something first: a comment cannot be empty."),
        (
            {"text": "z" * (COMMENT_MAX_LENGTH + 1)},
            "A comment can be at most 2000 characters long; this one has 2001.",
        ),
    ],
    ids=["empty", "blank", "too long"],
)
def test_empty_or_overlong_text_is_422_with_the_reason(api, paid, snapshot, body, field_message):
    before = snapshot(paid)

    response = api.post(path(paid), body)

    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "The request is not valid.",
            "fields": {"text": [field_message]},
        }
    }
    assert snapshot(paid) == before


@pytest.mark.parametrize(
    "body",
    [{}, {"text": None}, {"text": 5}, {"text": ["a"]}, {"text": "a\x00b"}, {"note": "x"}],
    ids=["missing", "null", "number", "list", "NUL", "wrong field"],
)
def test_a_body_without_text_is_422_and_changes_nothing(api, paid, snapshot, body):
    before = snapshot(paid)

    response = api.post(path(paid), body)

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["text"]
    assert snapshot(paid) == before


def test_a_body_that_is_not_json_is_400(api, paid, snapshot):
    before = snapshot(paid)

    response = api.client.post(
        f"/api/v1{path(paid)}",
        "text=hello",
        content_type="application/json",
        headers=api.headers,
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert snapshot(paid) == before


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.SUPPORT])
def test_owner_manager_and_support_tokens_may_comment(api_for, organizer, paid, role):
    assert api_for(organizer, role).post(path(paid), {"text": "Hi"}).status_code == 201


def test_a_viewer_token_reads_but_gets_403_writing(api_for, organizer, paid, snapshot):
    viewer = api_for(organizer, Role.VIEWER)
    before = snapshot(paid)

    response = viewer.post(path(paid), {"text": "Hi"})

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden",
        "message": "This token's role may not do this.",
        "fields": {},
    }
    assert snapshot(paid) == before
    assert viewer.get(path(paid)).status_code == 200


def test_another_organizers_order_is_404_for_reading_and_writing(
    api_for, other_organizer, paid, actor, snapshot
):
    order_comment_add(order=paid, actor=actor, text="Their secret note")
    foreign = api_for(other_organizer, Role.OWNER)
    before = snapshot(paid)

    for response in (foreign.get(path(paid)), foreign.post(path(paid), {"text": "Intruder"})):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert b"secret note" not in response.content
    assert snapshot(paid) == before


def test_a_platform_token_may_comment_on_any_order(api_for, paid):
    response = api_for(None).post(path(paid), {"text": "Checked by the platform"})

    assert response.status_code == 201
    assert OrderComment.objects.get().author_kind == "api_token"


def test_a_retried_post_with_the_same_key_writes_one_comment(api, paid):
    headers = {"Idempotency-Key": "comment-1"}

    first = api.post(path(paid), {"text": "Once"}, headers=headers)
    again = api.post(path(paid), {"text": "Once"}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert OrderComment.objects.count() == 1
    assert paid.history.filter(kind="comment_added").count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_the_openapi_document_describes_the_comment_routes(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    operations = paths["/api/v1/orders/{code}/comments"]
    assert set(operations) == {"get", "post"}
    assert set(operations["post"]["responses"]) >= {"201", "403", "404", "422"}
