"""Webhook fixtures: endpoints made through the service, a scriptable fake receiver (httpx
MockTransport) and an API client that can also DELETE."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from django.test import Client

from boxoffice.accounts.models import Organizer, Role
from boxoffice.accounts.tokens import api_token_create
from boxoffice.webhooks import delivery
from boxoffice.webhooks.models import WebhookEndpoint
from boxoffice.webhooks.services import webhook_endpoint_create

Reply = int | type[Exception]


@dataclass
class FakeReceiver:
    """Answers each POST with the next scripted reply: an HTTP status, or an httpx exception
    class to raise (timeouts, refused connections). 200 once the script is used up."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    body: str = "ok"

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if self.replies else 200
        if isinstance(reply, type):
            raise reply("scripted failure", request=request)
        return httpx.Response(reply, text=self.body)


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings: Any) -> None:
    # The tests' receivers listen on 127.0.0.1; production refuses such URLs by default.
    settings.WEBHOOK_ALLOW_LOCAL_URLS = True


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> FakeReceiver:
    fake = FakeReceiver()
    monkeypatch.setattr(delivery, "TRANSPORT", httpx.MockTransport(fake.handler))
    return fake


@pytest.fixture
def make_endpoint(db: None) -> Callable[..., tuple[WebhookEndpoint, str]]:
    def make(
        organizer: Organizer,
        url: str = "https://hooks.example.com/boxoffice",
        events: list[str] | None = None,
        **kw: Any,
    ) -> tuple[WebhookEndpoint, str]:
        return webhook_endpoint_create(organizer=organizer, url=url, events=events, **kw)

    return make


@pytest.fixture
def endpoint(make_endpoint: Callable[..., Any], organizer: Organizer) -> WebhookEndpoint:
    """An endpoint of ``organizer`` subscribed to every event type."""
    made: WebhookEndpoint = make_endpoint(organizer)[0]
    return made


class ApiClient:
    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, data: Any = None) -> Any:
        return self.client.post(
            f"/api/v1{path}", data or {}, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers)


@pytest.fixture
def api_for(db: None) -> Callable[..., ApiClient]:
    def make(organizer: Organizer | None, role: str = Role.MANAGER) -> ApiClient:
        _token, value = api_token_create(
            organizer=organizer, role=role, name=f"{role} test", created_by=None
        )
        return ApiClient(value)

    return make


@pytest.fixture
def api(api_for: Callable[..., ApiClient], organizer: Organizer) -> ApiClient:
    return api_for(organizer, Role.MANAGER)
