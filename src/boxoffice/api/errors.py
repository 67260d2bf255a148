"""One error shape for every answer that is not a success (issue: REST API v1).

{"error": {"code": "not_found", "message": "...", "fields": {"field": ["..."]}}}
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from boxoffice.common.errors import CapacityExceeded, DomainError, TransitionNotAllowed
from boxoffice.orders.selectors import MIN_SEARCH_CHARACTERS


class ApiError(Exception):
    """Raise from an endpoint to answer ``status`` with this code and message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
        # Sent with the answer, e.g. Retry-After with a 429.
        self.headers = headers or {}


def not_found(what: str | None = None) -> ApiError:
    return ApiError(404, "not_found", what or _("Not found."))


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", _("This token's role may not do this."))


def search_too_short() -> ApiError:
    return ApiError(
        400,
        "search_too_short",
        _(
            "Type at least %(n)d letters or digits to search (or a whole order code, email "
            "address or ticket code)."
        )
        % {"n": MIN_SEARCH_CHARACTERS},
        {"q": [_("Too short to search for.")]},
    )


def body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _fields_of(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        # loc is e.g. ("body", "payload", "email") or ("query", "limit"): keep the field path.
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        name = ".".join(loc[1:] if loc and loc[0] in ("query", "path", "header") else loc)
        fields.setdefault(name or "__all__", []).append(str(error.get("msg", "")))
    return fields


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = api.create_response(
            request, body(exc.code, exc.message, exc.fields), status=exc.status
        )
        for name, value in exc.headers.items():
            response[name] = value
        return response

    @api.exception_handler(NinjaValidationError)
    def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = _fields_of(list(exc.errors))
        return api.create_response(
            request, body("invalid", _("The request is not valid."), fields), status=422
        )

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request,
            body(
                "unauthorized", _("A valid API token is required (Authorization: Bearer <token>).")
            ),
            status=401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(TransitionNotAllowed)
    def not_allowed(request: HttpRequest, exc: TransitionNotAllowed) -> HttpResponse:
        return api.create_response(request, body("conflict", exc.message), status=409)

    @api.exception_handler(CapacityExceeded)
    def sold_out(request: HttpRequest, exc: CapacityExceeded) -> HttpResponse:
        # Not enough places left: a conflict with the current state, not a bad request.
        return api.create_response(request, body("capacity_exceeded", exc.message), status=409)

    @api.exception_handler(DomainError)
    def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, body("refused", exc.message), status=422)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "error"
        )
        return api.create_response(request, body(code, str(exc)), status=exc.status_code)
