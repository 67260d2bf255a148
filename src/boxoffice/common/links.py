"""Absolute addresses for links that leave the site (emails, the payment URL, check-in QR codes)."""

from django.conf import settings
from django.http import HttpRequest


def absolute_url(path: str, request: HttpRequest | None = None) -> str:
    """``path`` on the public address when one is set (PUBLIC_BASE_URL).

    Without one: the host the request came to, or, outside a request (tasks, emails), the
    address this site answers on (SITE_URL).
    """
    base = settings.PUBLIC_BASE_URL
    if base:
        return f"{base}{path}"
    if request is not None:
        return request.build_absolute_uri(path)
    return f"{settings.SITE_URL}{path}"
