"""Answers that hold people's data are never kept by a browser or a proxy."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every page the app renders.

    Order pages, the customer's secret-link pages, PDFs and API answers all carry customer
    data: a shared computer's back button or a company proxy must not show them to the next
    person. Static files are answered before this (WhiteNoise) and keep their long caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            patch_cache_control(response, no_store=True, private=True)
        return response
