"""`boxoffice create-checkin-device <organizer-slug> <event-id> --name "Door 1"`.

Creates a door scanner for the event and prints its token: the only time it is shown. Django
finds it through management/commands/create-checkin-device.py.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from boxoffice.catalog.models import Event
from boxoffice.checkin.services import checkin_device_create


class Command(BaseCommand):
    help = "Create a check-in device (door scanner) for an event and print its token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organizer", help="the organizer's slug")
        parser.add_argument("event", type=int, help="the event's id")
        parser.add_argument("--name", required=True, help='what to call the device, e.g. "Door 1"')

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("--name must not be empty.")
        try:
            event = Event.objects.select_related("organizer").get(
                pk=options["event"], organizer__slug=options["organizer"]
            )
        except Event.DoesNotExist:
            raise CommandError(
                f"No event {options['event']} of organizer {options['organizer']!r}."
            ) from None
        device, token = checkin_device_create(event=event, name=name, created_by=None)
        self.stdout.write(
            f"Check-in device {device.name!r} (id {device.pk}) for {event.name} "
            f"({event.organizer.name}).\n"
            "Its token is shown only now: store it in the scanner.\n"
        )
        self.stdout.write(token)
