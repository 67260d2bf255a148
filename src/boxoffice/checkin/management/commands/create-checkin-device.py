"""`boxoffice create-checkin-device`: the command lives in boxoffice.checkin.cli.

This module's name has dashes (the command's name), so it cannot be imported the usual way
or type-checked; it only hands Django the command class.
"""

from boxoffice.checkin.cli import Command

__all__ = ["Command"]
