"""Every answer under /api/ has the API's error shape, even those Django gives before or after
the API runs: a body over the size limit (413), a body that is not JSON (415), a JSON body
that is not an object (422), an unknown path (404), a method the path does not take (405),
Django's own 400/403 and an unexpected error (500).
"""

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from boxoffice.api.errors import body

PREFIX = "/api/"
WRITES = frozenset({"POST", "PUT", "PATCH"})


def _answer(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    return JsonResponse(body(code, message, fields), status=status)


def _codes() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad_request", _("The request could not be read.")),
        403: ("forbidden", _("The request was refused.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
        413: ("too_large", _("The request body is too large.")),
        500: ("server_error", _("Something went wrong on our side. Try again later.")),
    }


class ApiErrorShapeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        refused = self._check_body(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            code, message = _codes().get(
                response.status_code, ("error", _("The request could not be served."))
            )
            shaped = _answer(response.status_code, code, message)
            for header in ("Allow", "Retry-After"):
                if header in response:
                    shaped[header] = response[header]
            return shaped
        return response

    def _check_body(self, request: HttpRequest) -> HttpResponse | None:
        if request.method not in WRITES:
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            code, message = _codes()[413]
            return _answer(413, code, message)
        if length == 0:
            if "chunked" in str(request.META.get("HTTP_TRANSFER_ENCODING", "")).lower():
                # Django reads no body without a length: the action would run as if none came.
                return _answer(
                    411,
                    "length_required",
                    _("Send the body with a Content-Length header, not chunked."),
                )
            return None
        content_type = request.content_type or ""
        if content_type != "application/json":
            return _answer(
                415,
                "unsupported_media_type",
                _("Send the body as JSON (Content-Type: application/json)."),
            )
        try:
            value = json.loads(request.body)
        except RequestDataTooBig:  # sent without a length, and longer than the limit
            code, message = _codes()[413]
            return _answer(413, code, message)
        except RecursionError:
            # Thousands of nested brackets: json gives up, and so do we, in the API's shape.
            return _answer(
                400,
                "bad_request",
                _("The request body is nested too deeply to be read."),
            )
        except ValueError:
            return None  # not JSON: the API's parser answers with its own 400
        if value is not None and not isinstance(value, dict):
            # A list or a number is not "no body": an action must not run with its defaults.
            return _answer(
                422,
                "invalid",
                _("The request is not valid."),
                {"__all__": [_("Send a JSON object, or no body.")]},
            )
        return None
