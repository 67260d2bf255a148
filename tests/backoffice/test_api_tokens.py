"""The API tokens page: owners and managers make and revoke their organizer's tokens."""

import re

import pytest

from boxoffice.accounts.models import ApiToken, Role
from boxoffice.accounts.tokens import api_token_authenticate, api_token_create, token_hash

from .pages import page_text

URL = "/backoffice/api-tokens/"


@pytest.fixture
def member(make_user, organizer, login):
    def make(role: str):
        return login(make_user(f"{role}.member@example.com", organizer, role))

    return make


def test_owner_makes_a_token_shown_once_and_stored_as_a_hash(owner_client, organizer, owner):
    response = owner_client.post(
        URL, {"organizer": organizer.pk, "name": "Web shop", "role": Role.MANAGER}
    )

    assert response.status_code == 200
    html = response.content.decode()
    shown = re.search(r'<code id="api-token" class="mono">(bo_[\w-]+)</code>', html)
    assert shown is not None
    token = ApiToken.objects.get()
    assert (token.organizer, token.role, token.name, token.created_by) == (
        organizer,
        Role.MANAGER,
        "Web shop",
        owner,
    )
    assert token.token_hash == token_hash(shown.group(1))
    assert shown.group(1) not in str(ApiToken.objects.values())  # only the hash is kept
    assert api_token_authenticate(shown.group(1)) == token
    assert shown.group(1) not in owner_client.get(URL).content.decode()  # never again


def test_revoked_token_stops_working(owner_client, organizer):
    token, value = api_token_create(
        organizer=organizer, role=Role.VIEWER, name="Old", created_by=None
    )
    response = owner_client.post(f"{URL}{token.pk}/revoke/", follow=True)
    assert "Token Old is revoked" in page_text(response)
    assert api_token_authenticate(value) is None


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER])
def test_support_and_viewers_have_no_token_page(member, organizer, role):
    token, _value = api_token_create(
        organizer=organizer, role=Role.VIEWER, name="Shop", created_by=None
    )
    client = member(role)
    assert client.get(URL).status_code == 404
    assert (
        client.post(URL, {"organizer": organizer.pk, "name": "x", "role": "owner"}).status_code
        == 404
    )
    assert client.post(f"{URL}{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.count() == 1
    assert (
        'href="/backoffice/api-tokens/"' not in client.get("/backoffice/orders/").content.decode()
    )


def test_another_organizers_tokens_are_invisible_and_untouchable(
    owner_client, other_organizer, organizer
):
    foreign, _value = api_token_create(
        organizer=other_organizer, role=Role.OWNER, name="Foreign", created_by=None
    )
    assert "Foreign" not in owner_client.get(URL).content.decode()
    assert owner_client.post(f"{URL}{foreign.pk}/revoke/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
    response = owner_client.post(
        URL, {"organizer": other_organizer.pk, "name": "x", "role": "owner"}
    )
    assert response.status_code == 400
    assert ApiToken.objects.filter(organizer=organizer).count() == 0


def test_a_name_is_required(owner_client, organizer):
    response = owner_client.post(URL, {"organizer": organizer.pk, "name": "", "role": "viewer"})
    assert response.status_code == 400
    assert "This field is required." in page_text(response)
    assert ApiToken.objects.count() == 0
