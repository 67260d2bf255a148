"""Back-office sessions end after a working day without activity."""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

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
