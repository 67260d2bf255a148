"""Browser tests: Playwright (sync API) drives Debian's chromium against the live server.

Playwright never downloads a browser here: it launches the system chromium by path.
"""

import os
import shutil
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from boxoffice.payments.models import Refund, RefundState
from boxoffice.paytrail_sandbox import testing as sandbox

# Playwright's sync API keeps an asyncio loop running in the main thread for as long as the
# browser is up; Django would then refuse every ORM call made by the test itself.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 900}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Only this directory's tests are browser tests; `pytest -m "not e2e"` skips them.
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


def _chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium_path()
    if executable is None:
        message = (
            "Browser tests need Debian's chromium (/usr/bin/chromium), which is not installed: "
            "run `make browser` (apt-get install chromium fonts-dejavu-core)."
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh browser context (own cookies), English unless told otherwise."""
    contexts: list[Any] = []
    problems: list[str] = []  # failed requests, script errors and CSP refusals, on any page

    def make(*, expected_errors: Collection[str] = (), **context_options: Any) -> Any:
        """``expected_errors``: paths whose 4xx is the point of the visit (a 404 page)."""
        options: dict[str, Any] = {"locale": "en-US", "viewport": VIEWPORT}
        options.update(context_options)
        context = browser.new_context(**options)
        context.set_default_timeout(5_000)
        context.on(
            "response",
            lambda r: (
                problems.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 400 and urlsplit(r.url).path not in expected_errors
                else None
            ),
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        # A style attribute, inline script or handler the CSP refused is a page that is broken
        # in production: chromium reports each refusal on the console.
        page.on(
            "console",
            lambda message: (
                problems.append(f"CSP: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "the browser saw errors:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = Path(django_settings.VAR_DIR) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    """Our Paytrail client talks to the sandbox on the live server; callbacks come back there."""
    settings.SITE_URL = live_server.url
    settings.PAYTRAIL_API_URL = f"{live_server.url}/paytrail-sandbox"
    settings.PAYTRAIL_SANDBOX_SYNC_CALLBACKS = True
    settings.PAYTRAIL_RETRY_BASE_SECONDS = 0
    settings.PAYTRAIL_REFUND_CONFIRM_SECONDS = 3600
    sandbox.reset_sandbox()
    return str(live_server.url)


def _wait_until_settled(refund: Refund, seconds: float = 10) -> None:
    """The sandbox's callback goes out after its answer: give it a moment to land."""
    deadline = time.monotonic() + seconds
    refund.refresh_from_db()
    while refund.state == RefundState.PROCESSING and time.monotonic() < deadline:
        time.sleep(0.1)
        refund.refresh_from_db()


@pytest.fixture
def wait_until_settled() -> Callable[..., None]:
    return _wait_until_settled
