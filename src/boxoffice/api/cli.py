"""`boxoffice create-api-token <organizer-slug> --role manager --name "Shop"` (or --platform).

Prints the token once; only its hash is kept. Django finds it through
management/commands/create-api-token.py.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from boxoffice.accounts.models import Organizer, Role
from boxoffice.accounts.tokens import api_token_create
from boxoffice.common.errors import DomainError


class Command(BaseCommand):
    help = "Create an API token for an organizer (or the platform) and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organizer", nargs="?", help="the organizer's slug")
        parser.add_argument("--role", default=Role.VIEWER, choices=Role.values)
        parser.add_argument("--name", default="", help="what uses the token, e.g. 'Web shop'")
        parser.add_argument(
            "--platform", action="store_true", help="a platform token: every organizer"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organizer = None
        if options["platform"] == bool(options["organizer"]):
            raise CommandError("Give an organizer slug, or --platform (not both).")
        if options["organizer"]:
            organizer = Organizer.objects.filter(slug=options["organizer"]).first()
            if organizer is None:
                raise CommandError(f"No organizer {options['organizer']!r}.")
        name = options["name"] or f"{options['role']} token"
        try:
            api_token, token = api_token_create(
                organizer=organizer, role=options["role"], name=name, created_by=None
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        whose = organizer.name if organizer else "the platform"
        self.stderr.write(f"API token {api_token.name!r} ({api_token.role}) for {whose}.")
        self.stderr.write("Shown only now: store it where the integration keeps secrets.")
        self.stdout.write(token)
