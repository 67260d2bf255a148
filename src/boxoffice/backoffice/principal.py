"""The acting principal of a back-office request, computed once per request."""

from django.http import HttpRequest

from boxoffice.accounts.models import User
from boxoffice.accounts.permissions import Principal, principal_for


def request_principal(request: HttpRequest) -> Principal:
    cached = getattr(request, "_boxoffice_principal", None)
    if cached is None:
        assert isinstance(request.user, User)
        cached = principal_for(request.user)
        request._boxoffice_principal = cached  # type: ignore[attr-defined]
    return cached
