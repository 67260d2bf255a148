"""`boxoffice create-checkin-device <organizer-slug> <event-id> --name "Door 1"`."""

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from boxoffice.checkin.models import CheckinDevice

from .conftest import SCAN_URL


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("create-checkin-device", *args, stdout=out)
    return out.getvalue()


def test_creates_a_device_and_prints_its_token_once(event, organizer, client, paid_ticket):
    output = run(organizer.slug, str(event.pk), "--name", "Door 1")

    token = output.strip().splitlines()[-1]
    device = CheckinDevice.objects.get()
    assert (device.name, device.event, device.organizer, device.created_by) == (
        "Door 1",
        event,
        organizer,
        None,
    )
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert output.count(token) == 1
    assert "Door 1" in output and event.name in output
    response = client.post(
        SCAN_URL,
        {"secret": paid_ticket.secret},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.json()["answer"] == "ok"


def test_every_device_gets_its_own_token(event, organizer):
    first = run(organizer.slug, str(event.pk), "--name", "Door 1").strip().splitlines()[-1]
    second = run(organizer.slug, str(event.pk), "--name", "Door 1").strip().splitlines()[-1]

    assert first != second
    assert CheckinDevice.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "{event}", "--name", "Door 1"], "No event"),
        (["other", "{event}", "--name", "Door 1"], "No event"),  # another organizer's slug
        (["demo", "999999", "--name", "Door 1"], "No event"),
        (["demo", "{event}", "--name", "  "], "--name"),
    ],
)
def test_refuses_an_event_not_of_the_organizer_and_an_empty_name(
    event, other_organizer, args, message
):
    with pytest.raises(CommandError, match=message):
        run(*(a.format(event=event.pk) for a in args))

    assert not CheckinDevice.objects.exists()


def test_the_name_is_required(event, organizer):
    with pytest.raises(CommandError):
        run(organizer.slug, str(event.pk))
