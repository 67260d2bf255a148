"""Domain errors: a rejected action raises one of these with a message fit for a person."""


class DomainError(Exception):
    """A business rule refused the action; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class TransitionNotAllowed(DomainError):
    """The order's status does not allow the requested change."""


class CapacityExceeded(DomainError):
    """Not enough tickets left for a product."""


class PermissionDenied(DomainError):
    """The actor's role does not allow the action."""
