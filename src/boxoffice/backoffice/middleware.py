"""Back-office sessions: they end after a working day without activity, and they wait for the
second factor where the user has one or must have one."""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from boxoffice.accounts import second_factor
from boxoffice.accounts.models import User

SEEN_AT = "boxoffice_seen_at"
# The last-seen time is written at most this often, so a busy page does not rewrite its
# session on every request.
TOUCH_EVERY_SECONDS = 60


@receiver(user_logged_in, dispatch_uid="backoffice.idle_clock")
def start_idle_clock(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """The login itself is the first activity (its session is written anyway)."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN_AT] = int(time.time())


class IdleTimeoutMiddleware:
    """Log out a user whose session saw no request for ``SESSION_IDLE_TIMEOUT_SECONDS``.

    A laptop left open in a box office must not keep refund rights until the cookie's absolute
    age runs out. The next request after the pause lands on the login page with a note.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            seen_at = request.session.get(SEEN_AT)
            idle = settings.SESSION_IDLE_TIMEOUT_SECONDS
            if isinstance(seen_at, int) and now - seen_at > idle:
                logout(request)
                hours = max(1, idle // 3600)
                messages.info(
                    request,
                    ngettext(
                        "You were logged out after %(hours)d hour without activity. Log in "
                        "again to go on.",
                        "You were logged out after %(hours)d hours without activity. Log in "
                        "again to go on.",
                        hours,
                    )
                    % {"hours": hours},
                )
            elif not isinstance(seen_at, int) or now - seen_at >= TOUCH_EVERY_SECONDS:
                request.session[SEEN_AT] = now
        return self.get_response(request)


# Where a user who still owes their second code may go: the pages that take it, logging out,
# the language switch, and what is not the back office (customer links, API and callbacks,
# which do not use the login session at all).
SECOND_FACTOR_OPEN = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/i18n/",
    "/static/",
    "/o/",
    "/api/",
    "/payments/",
    "/checkin/",
)


class SecondFactorMiddleware:
    """After the password, the second code: every back-office page waits for it.

    A user with an authenticator is sent to give a code; a user who must have one (platform
    staff in production, members of an organizer that requires it) and has none is sent to set
    it up. Either way the page they asked for is where they land afterwards.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not second_factor.session_verified(user)
            and not request.path_info.startswith(SECOND_FACTOR_OPEN)
            and not _sandbox_payment_page(request.path_info)
        ):
            assert isinstance(user, User)
            standing = second_factor.standing_of(user)
            if standing.has_device:
                return _to("second_factor_verify", request)
            if standing.organizer_requires or second_factor.staff_must(user):
                reason = second_factor.required_because(user) or ""
                messages.warning(request, reason + " " + _("Set it up to go on."))
                return _to("second_factor", request)
        return self.get_response(request)


def _sandbox_payment_page(path: str) -> bool:
    # The fake Paytrail's payment pages stand in for a site of its own; its control page is ours.
    return path.startswith("/paytrail-sandbox/") and not path.startswith("/paytrail-sandbox/_")


def _to(name: str, request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
