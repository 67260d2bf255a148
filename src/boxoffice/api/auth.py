"""`Authorization: Bearer <token>`: the request acts as the token's organizer and role.

Every request of a live token is counted against its rate limit (throttle.py) here, before the
endpoint runs: past the limit the answer is a 429, not a 401.
"""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from boxoffice.accounts.models import ApiToken
from boxoffice.accounts.permissions import Action, Principal
from boxoffice.accounts.tokens import api_token_authenticate, principal_of
from boxoffice.api import throttle
from boxoffice.api.errors import forbidden
from boxoffice.orders.actors import Actor


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(token)
        if found is not None:
            request.api_token = found  # type: ignore[attr-defined]
            throttle.check(found)  # raises the 429 (ninja answers it via errors.install)
        return found


def token_of(request: HttpRequest) -> ApiToken:
    token: Any = getattr(request, "api_token", None)
    assert isinstance(token, ApiToken)
    return token


def principal(request: HttpRequest) -> Principal:
    return principal_of(token_of(request))


def actor(request: HttpRequest) -> Actor:
    return Actor.for_api_token(token_of(request))


def require(request: HttpRequest, action: Action, organizer_id: int) -> None:
    """403 when the token may see the organizer's data but its role may not do ``action``."""
    if not principal(request).can(action, organizer_id):
        raise forbidden()
