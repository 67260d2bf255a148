"""What the application serves: every pattern of Django's URL resolver and every operation of
the API's OpenAPI schema, for the access matrix (matrix.py) to be checked against."""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# django-ninja serves each API path through one Django pattern per router; the operations
# behind them are the OpenAPI rows, so these patterns are matched by path, not by name.
NINJA_VIEW_MODULE = "ninja.operation"
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")


@dataclass(frozen=True)
class Pattern:
    name: str | None  # with its namespaces: "backoffice:order_cancel"
    route: str  # "backoffice/orders/<str:code>/cancel/"
    parameters: tuple[str, ...]  # the view's keyword arguments, from the route's converters
    callback: Any

    @property
    def is_api_operation(self) -> bool:
        return getattr(self.callback, "__module__", "") == NINJA_VIEW_MODULE

    @property
    def openapi_path(self) -> str:
        """The route as OpenAPI writes it: /api/v1/orders/{code}."""
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.route)

    def api_methods(self) -> list[str]:
        """The methods a ninja pattern answers: those of the operations of its PathView (found
        in its view's closure; empty if a ninja upgrade hides it, which the tests report)."""
        for cell in getattr(self.callback, "__closure__", None) or ():
            operations = getattr(cell.cell_contents, "operations", None)
            if operations is not None:
                return [method.upper() for op in operations for method in op.methods]
        return []


def _walk(
    patterns: Sequence[URLPattern | URLResolver], prefix: str, namespace: str | None
) -> Iterator[Pattern]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, route, inner)
            continue
        name = entry.name
        if name and namespace:
            name = f"{namespace}:{name}"
        parameters = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
        yield Pattern(name, route, parameters, entry.callback)


def url_patterns() -> list[Pattern]:
    """Every pattern Django's resolver serves (includes walked, namespaces joined)."""
    return list(_walk(get_resolver().url_patterns, "", None))


def api_operations() -> list[tuple[str, str]]:
    """Every (path, METHOD) operation of the API's OpenAPI schema."""
    from boxoffice.api.views import api

    schema = api.get_openapi_schema()
    return [
        (path, method.upper())
        for path, operations in schema["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    ]
