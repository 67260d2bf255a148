"""`boxoffice create-api-token`: see boxoffice.api.cli."""

from boxoffice.api.cli import Command

__all__ = ["Command"]
