"""Fixtures for tests that pay and refund through the bundled Paytrail sandbox over real HTTP."""

from collections.abc import Iterator
from typing import Any

import pytest

from boxoffice.paytrail_sandbox import testing as sandbox
from boxoffice.paytrail_sandbox.callbacks import wait_for_deliveries


@pytest.fixture
def site(live_server: Any, settings: Any) -> Iterator[str]:
    settings.SITE_URL = live_server.url
    settings.PAYTRAIL_API_URL = f"{live_server.url}/paytrail-sandbox"
    settings.PAYTRAIL_SANDBOX_SYNC_CALLBACKS = True  # callbacks before the sandbox answers
    settings.PAYTRAIL_RETRY_BASE_SECONDS = 0
    settings.PAYTRAIL_REFUND_CONFIRM_SECONDS = 3600
    settings.PAYTRAIL_TIMEOUT_SECONDS = 5
    sandbox.reset_sandbox()
    yield str(live_server.url)
    # Callbacks still on their way (a duplicate copy, a retry) land while this test's data is
    # still there, not in the next test.
    assert wait_for_deliveries(timeout=20)
