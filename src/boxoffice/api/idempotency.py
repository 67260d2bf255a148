"""``Idempotency-Key`` on every POST: a retried request is answered, not run again.

A client sends a key of its choosing (1-200 printable ASCII characters, e.g. a UUID) with a
POST. Keys belong to the token that sent them.

- First request with a key: the key is recorded as ``in_progress`` in its own short committed
  transaction (so a concurrent request with the same key sees it), then the endpoint runs in one
  transaction together with storing its answer: the change and the stored answer commit
  together, or neither does.
- The same key again, with the same method, path and body (sha256 of the body as canonical
  JSON): the stored answer is replayed (same status and body) with ``Idempotent-Replayed: true``.
  Refusals (4xx) are stored and replayed like successes: they are that request's answer.
- The same key with another method, path or body: 422 ``idempotency_mismatch``.
- The same key while the first request still runs: 409 ``idempotency_in_progress``.
- A 5xx or an unexpected exception rolls everything back and frees the key for a retry.
- A key claimed more than ``LEASE`` ago and still in progress belongs to a request that died
  (gunicorn kills a worker after 60 s); since its change never committed, the key is claimed
  afresh. Should that request still finish, its answer no longer matches the claim and it is
  rolled back (409).
- Keys older than ``KEY_LIFETIME`` (24 h) are forgotten: the key may be used again. Nothing
  deletes old rows yet.

GET and PATCH do not take keys: reads change nothing, and a PATCH sets values, so sending it
twice gives the same result.
"""

import hashlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, NinjaAPI, Schema

from boxoffice.api import auth
from boxoffice.api.errors import ApiError
from boxoffice.api.models import IdempotencyKey, IdempotencyState
from boxoffice.common.retention import delete_in_batches

KEY_LIFETIME = timedelta(hours=24)
LEASE = timedelta(minutes=5)
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
PARAM = "idempotency_key"

Endpoint = Callable[..., Any]


def _api() -> NinjaAPI:
    # The API renders answers and maps exceptions to them; imported late because views.py
    # imports the routers that use this module.
    from boxoffice.api.views import api

    return api


def request_hash(request: HttpRequest) -> str:
    return request_hash_of(request.body)


def request_hash_of(raw: bytes) -> str:
    """sha256 of a body as canonical JSON: key order and spacing do not matter.

    An empty body counts as ``{}`` (every field left at its default).
    """
    try:
        data = json.loads(raw) if raw.strip() else {}
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        content = canonical.encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        content = raw
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Claim:
    """This request's hold on a key: the row and the moment it was claimed."""

    pk: int
    created_at: datetime


def mismatch() -> ApiError:
    return ApiError(
        422,
        "idempotency_mismatch",
        _(
            "This Idempotency-Key was already used for a different request. Use a new key for "
            "a new request."
        ),
        {HEADER: []},
    )


def in_progress() -> ApiError:
    return ApiError(
        409,
        "idempotency_in_progress",
        _("A request with this Idempotency-Key is still being processed. Try again shortly."),
    )


def _free(row: IdempotencyKey, now: datetime) -> bool:
    """Whether the key of ``row`` may be claimed again: forgotten, or its request died."""
    if row.created_at <= now - KEY_LIFETIME:
        return True
    return row.state == IdempotencyState.IN_PROGRESS and row.created_at <= now - LEASE


def claim(request: HttpRequest, key: str) -> Claim | HttpResponse:
    """Claim ``key`` for this request, or the stored answer to replay; ApiError if neither."""
    token = auth.token_of(request)
    method, path, digest = request.method or "", request.path, request_hash(request)
    now = timezone.now()
    with transaction.atomic():
        row = IdempotencyKey.objects.select_for_update().filter(token=token, key=key).first()
        if row is not None and _free(row, now):
            row.delete()
            row = None
        if row is None:
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        token=token,
                        key=key,
                        method=method,
                        path=path,
                        request_hash=digest,
                        state=IdempotencyState.IN_PROGRESS,
                        created_at=now,
                    )
                return Claim(row.pk, row.created_at)
            except IntegrityError:
                # Claimed by a concurrent request between our look and our insert.
                row = IdempotencyKey.objects.get(token=token, key=key)
    if (row.method, row.path, row.request_hash) != (method, path, digest):
        raise mismatch()
    if row.state == IdempotencyState.IN_PROGRESS:
        raise in_progress()
    return replay(row)


def replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        row.response_body,
        status=row.response_status or 200,
        content_type=row.response_content_type or "application/json",
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _store(held: Claim, response: HttpResponse) -> bool:
    """Record the answer on our claim; False if the claim was taken over meanwhile."""
    updated = IdempotencyKey.objects.filter(
        pk=held.pk, created_at=held.created_at, state=IdempotencyState.IN_PROGRESS
    ).update(
        state=IdempotencyState.DONE,
        response_status=response.status_code,
        response_body=response.content.decode("utf-8"),
        response_content_type=response.get("Content-Type", "")[:100],
    )
    return updated == 1


def _release(held: Claim) -> None:
    """Free the key for a retry after a failure (unless the claim is no longer ours)."""
    IdempotencyKey.objects.filter(pk=held.pk, created_at=held.created_at).delete()


def render(request: HttpRequest, schema: type[Schema], status: int, data: Any) -> HttpResponse:
    """``data`` validated and serialized through ``schema``, as ninja answers a return value."""
    context = {"request": request, "response_status": status}
    dumped = schema.model_validate(data, context=context).model_dump(context=context)
    return _api().create_response(request, dumped, status=status)


class _Failed(Exception):
    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


class _ClaimLost(Exception):
    pass


def _run_keyed(request: HttpRequest, held: Claim, run: Callable[[], HttpResponse]) -> HttpResponse:
    try:
        with transaction.atomic():
            try:
                # A savepoint: a refused action leaves nothing behind, its answer is stored.
                with transaction.atomic():
                    response = run()
            except Exception as exc:
                response = _api().on_exception(request, exc)  # re-raises what nothing answers
            if response.status_code >= 500:
                raise _Failed(response)
            if not _store(held, response):
                raise _ClaimLost
    except _ClaimLost:
        return _api().on_exception(request, in_progress())
    except _Failed as failed:
        _release(held)
        return failed.response
    except Exception:
        _release(held)
        raise
    return response


def _key_parameter() -> inspect.Parameter:
    return inspect.Parameter(
        PARAM,
        inspect.Parameter.KEYWORD_ONLY,
        default=Header(
            None,
            alias=HEADER,
            min_length=1,
            max_length=200,
            pattern=r"^[\x20-\x7e]+$",  # printable ASCII, as HTTP header values should be
            description=(
                "Any unique string of printable ASCII (e.g. a UUID). Sending the same request "
                "again with the same key replays the first answer (header Idempotent-Replayed: "
                "true) instead of doing it twice. Keys are kept 24 hours."
            ),
        ),
        annotation=str,  # optional: the default is None (no key)
    )


def idempotent(schema: type[Schema], status: int = 200) -> Callable[[Endpoint], Endpoint]:
    """Make a POST endpoint take an Idempotency-Key; it answers ``status`` with ``schema``.

    Put it below the router decorator; the endpoint returns its data (as for ninja) and raises
    for errors.
    """

    def decorator(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            key: str | None = kwargs.pop(PARAM, None)

            def run() -> HttpResponse:
                return render(request, schema, status, endpoint(request, *args, **kwargs))

            if key is None:
                return run()
            held = claim(request, key)
            if isinstance(held, HttpResponse):
                return held
            return _run_keyed(request, held, run)

        signature = inspect.signature(endpoint)
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), _key_parameter()]
        )
        return wrapper

    return decorator


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Forget keys older than KEY_LIFETIME (retention: they answer nothing any more)."""
    now = now or timezone.now()
    return delete_in_batches(IdempotencyKey.objects.filter(created_at__lte=now - KEY_LIFETIME))
