"""A real SMTP server (aiosmtpd) on a free local port, and Django pointed at it.

Here orders are set up without their lifecycle notices (``order_in`` is overridden), so each
test sees only the messages it queues itself; test_lifecycle.py covers the notices.
"""

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from smtp_inbox import Inbox

from boxoffice.notifications.lifecycle import notices_off
from boxoffice.orders.models import Order


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def order_in(order_in: Callable[..., Order]) -> Callable[..., Order]:
    """The root ``order_in``, without the emails its setup steps would queue."""

    def make(status: str, **kw: Any) -> Order:
        with notices_off():
            return order_in(status, **kw)

    return make


@pytest.fixture
def email_retry_now(settings: Any) -> None:
    # Retries are due at once, so one `run_tasks` runs every attempt.
    settings.EMAIL_RETRY_BASE_SECONDS = 0


@pytest.fixture
def smtp_server(settings: Any, email_retry_now: None) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def closed_smtp_port(settings: Any, email_retry_now: None) -> int:
    """Django's SMTP backend pointed at a port nothing listens on."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    return port
