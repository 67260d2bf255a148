"""Scanner devices on an event's check-in page: owners and managers add one (its token is shown
once) and revoke one; support scans but does not manage devices; viewers see nothing."""

import hashlib

import pytest

from backoffice.pages import messages, page_text, parse, post_forms
from boxoffice.accounts.models import Role
from boxoffice.checkin.models import CheckinDevice
from boxoffice.checkin.services import checkin_device_create

from .conftest import SCAN_URL


def devices_url(event) -> str:
    return f"/backoffice/events/{event.pk}/checkin/devices/"


def revoke_url(event, device) -> str:
    return f"/backoffice/events/{event.pk}/checkin/devices/{device.pk}/revoke/"


def shown_token(response) -> str:
    return parse(response).find("input", id="device-token").get("value")


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_owner_and_manager_add_a_device_and_see_its_token_once(login, member, event, role):
    user = member(role)
    client = login(user)

    response = client.post(devices_url(event), {"name": "  Door 1 "})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = shown_token(response)
    device = CheckinDevice.objects.get()
    assert (device.name, device.event, device.organizer, device.created_by) == (
        "Door 1",
        event,
        event.organizer,
        user,
    )
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert device.revoked_at is None
    # Never again: the page lists the device but cannot show its token.
    later = client.get(f"/backoffice/events/{event.pk}/checkin/")
    assert token not in later.content.decode()
    assert "Door 1" in page_text(later)


def test_the_new_token_works_at_the_scan_endpoint(owner_client, event, client, paid_ticket):
    token = shown_token(owner_client.post(devices_url(event), {"name": "Door 1"}))

    response = client.post(
        SCAN_URL,
        {"secret": paid_ticket.secret},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.json()["answer"] == "ok"


def test_revoking_a_device_stops_its_token(owner_client, event, owner, client, paid_ticket):
    device, token = checkin_device_create(event=event, name="Door 1", created_by=owner)

    response = owner_client.post(revoke_url(event, device), follow=True)

    assert response.redirect_chain == [(f"/backoffice/events/{event.pk}/checkin/", 302)]
    assert messages(response) == ["Device Door 1 is revoked: its token no longer works."]
    device.refresh_from_db()
    revoked_at = device.revoked_at
    assert revoked_at is not None
    answer = client.post(
        SCAN_URL,
        {"secret": paid_ticket.secret},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 401
    # The list shows it revoked, with no revoke button; revoking again changes nothing.
    assert revoke_url(event, device) not in post_forms(response)
    owner_client.post(revoke_url(event, device))
    device.refresh_from_db()
    assert device.revoked_at == revoked_at


def test_support_scans_but_does_not_manage_devices(login, member, event, owner):
    device, _token = checkin_device_create(event=event, name="Door 1", created_by=owner)
    client = login(member(Role.SUPPORT))

    page = client.get(f"/backoffice/events/{event.pk}/checkin/")

    assert list(post_forms(page)) == [f"/backoffice/events/{event.pk}/checkin/"]
    assert "Door 1" not in page_text(page)
    assert client.post(devices_url(event), {"name": "Sneaky"}).status_code == 404
    assert client.post(revoke_url(event, device)).status_code == 404
    assert list(CheckinDevice.objects.values_list("name", "revoked_at")) == [("Door 1", None)]


def test_a_viewer_cannot_manage_devices(login, member, event, owner):
    device, _token = checkin_device_create(event=event, name="Door 1", created_by=owner)
    client = login(member(Role.VIEWER))

    assert client.post(devices_url(event), {"name": "Sneaky"}).status_code == 404
    assert client.post(revoke_url(event, device)).status_code == 404
    assert CheckinDevice.objects.get().revoked_at is None


def test_owner_sees_the_device_forms(owner_client, event):
    page = owner_client.get(f"/backoffice/events/{event.pk}/checkin/")

    assert post_forms(page) == {
        f"/backoffice/events/{event.pk}/checkin/": ["code"],
        devices_url(event): ["name"],
    }


def test_other_organizers_devices_and_events_are_404(
    owner_client, event, second_event, foreign_event, owner, make_user, other_organizer
):
    other_owner = make_user("other.owner@example.com", other_organizer, Role.OWNER)
    foreign, _ = checkin_device_create(
        event=foreign_event, name="Their door", created_by=other_owner
    )
    sibling, _ = checkin_device_create(event=second_event, name="Flow gate", created_by=owner)

    assert owner_client.post(devices_url(foreign_event), {"name": "x"}).status_code == 404
    assert owner_client.post(revoke_url(foreign_event, foreign)).status_code == 404
    # A device is revoked through its own event's page only.
    assert owner_client.post(revoke_url(event, foreign)).status_code == 404
    assert owner_client.post(revoke_url(event, sibling)).status_code == 404
    assert CheckinDevice.objects.filter(revoked_at__isnull=False).count() == 0
    assert CheckinDevice.objects.count() == 2


def test_a_device_needs_a_name(owner_client, event):
    response = owner_client.post(devices_url(event), {"name": "  "})

    assert response.status_code == 400
    assert "This field is required." in page_text(response)
    assert not CheckinDevice.objects.exists()


def test_device_actions_are_post_only(owner_client, event, owner):
    device, _ = checkin_device_create(event=event, name="Door 1", created_by=owner)

    assert owner_client.get(devices_url(event)).status_code == 405
    assert owner_client.get(revoke_url(event, device)).status_code == 405
