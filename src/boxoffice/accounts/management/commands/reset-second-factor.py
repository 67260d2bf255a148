"""`boxoffice reset-second-factor EMAIL`: a user lost their phone and their recovery codes.

An operator, having checked who is asking, removes the user's authenticator and recovery codes;
the user sets a new one up at their next login (where their organizer or staff role requires it,
before anything else).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from boxoffice.accounts.models import User
from boxoffice.accounts.second_factor import has_second_factor, second_factor_reset


class Command(BaseCommand):
    help = "Remove a user's two-step verification (authenticator and recovery codes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No user has the email {options['email']}.")
        if not has_second_factor(user):
            self.stdout.write(f"{user.email} has no two-step verification; nothing changed.")
            return
        second_factor_reset(user=user)
        self.stdout.write(f"Two-step verification of {user.email} removed.")
