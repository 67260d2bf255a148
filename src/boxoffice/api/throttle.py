"""Requests per API token: ``settings.RATE_LIMITS["api_token"]`` = (limit, window seconds).

Counted in the shared cache (common.ratelimit, fixed windows) for every request a live token
makes, whatever the endpoint; past the limit the answer is a 429 ``rate_limited`` with a
Retry-After header (seconds until the window ends). Called from auth.TokenAuth.authenticate,
so a throttled request is never run and never looks like a bad token (401).
"""

from django.utils.translation import ngettext

from boxoffice.accounts.models import ApiToken
from boxoffice.api.errors import ApiError
from boxoffice.common.ratelimit import hit_scope

SCOPE = "api_token"


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        ngettext(
            "Too many requests with this token. Try again in %(seconds)d second.",
            "Too many requests with this token. Try again in %(seconds)d seconds.",
            retry_after,
        )
        % {"seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def check(api_token: ApiToken) -> None:
    """Count one request of ``api_token``; raise a 429 ApiError once it is over its limit."""
    retry_after = hit_scope(SCOPE, str(api_token.pk))
    if retry_after is not None:
        raise rate_limited(retry_after)
