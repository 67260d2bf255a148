"""API clients: a Django test client that sends a bearer token."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from boxoffice.accounts.models import Organizer, Role
from boxoffice.accounts.tokens import api_token_create


class ApiClient:
    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, data: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            data if data is not None else {},
            content_type="application/json",
            headers={**self.headers, **(headers or {})},
        )

    def patch(self, path: str, data: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}", data, content_type="application/json", headers=self.headers
        )


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
