"""/api/v1/orders/{code}/comments: the organizer's internal comments on an order.

Staff's notes, for the organizer only: never on the customer's pages, in emails, documents or
webhook payloads. Reading them needs any role (as reading the order does); writing one needs
owner, manager or support (Action.COMMENT; a viewer token gets 403). Another organizer's order
is a 404. A comment written with a token stands as the token ("API: <name>") and is final: only
a person edits their own comment, in the back office, for 15 minutes after writing it.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from boxoffice.accounts.permissions import Action
from boxoffice.api import auth, errors
from boxoffice.api.idempotency import idempotent
from boxoffice.api.schemas import ErrorOut, InputSchema
from boxoffice.orders import rules, selectors, services
from boxoffice.orders.models import COMMENT_MAX_LENGTH, OrderComment

router = Router(tags=["orders"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, **ERRORS, 409: ErrorOut}


class CommentOut(Schema):
    id: int
    text: str = Field(description="the current text (edits replace it)")
    author: str = Field(description="who wrote it, as named then: a person, or 'API: <token>'")
    author_kind: str = Field(description="user or api_token")
    created_at: datetime
    edited_at: datetime | None = Field(description="when its author last changed it; else null")

    @staticmethod
    def resolve_author(comment: Any) -> str:
        return str(comment.author_label)


class CommentIn(InputSchema):
    text: str = Field(
        description=f"1 to {COMMENT_MAX_LENGTH} characters (blank space around it is dropped)"
    )


@router.get("/orders/{code}/comments", response={200: list[CommentOut], **ERRORS})
def comments_list(request: HttpRequest, code: str) -> list[OrderComment]:
    """The order's internal comments, oldest first (also in its history as comment_added)."""
    # views.py mounts this router, so it is imported when first needed, not at import time.
    from boxoffice.api.views import get_order

    return list(selectors.order_comments(get_order(request, code)))


@router.post("/orders/{code}/comments", response={201: CommentOut, **WRITE_ERRORS})
@idempotent(CommentOut, status=201)
def comments_add(request: HttpRequest, code: str, payload: CommentIn) -> OrderComment:
    """Write an internal comment (owner, manager and support tokens). Empty or longer than
    the limit: 422 with the reason, for the ``text`` field."""
    from boxoffice.api.views import get_order

    order = get_order(request, code, Action.COMMENT)
    verdict = rules.comment_text(rules.comment_cleaned(payload.text))
    if not verdict:
        raise errors.ApiError(
            422, "invalid", _("The request is not valid."), {"text": [verdict.reason]}
        )
    return services.order_comment_add(
        order=order,
        actor=auth.actor(request),
        text=payload.text,
        principal=auth.principal(request),
    )
