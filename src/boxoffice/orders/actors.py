"""Who did something, as recorded in an order's history."""

from dataclasses import dataclass

from boxoffice.accounts.models import ApiToken, User
from boxoffice.orders.models import ActorKind


@dataclass(frozen=True)
class Actor:
    kind: str
    label: str
    user: User | None = None

    @classmethod
    def for_user(cls, user: User) -> "Actor":
        return cls(kind=ActorKind.USER, label=user.full_name or user.email, user=user)

    @classmethod
    def customer(cls, email: str) -> "Actor":
        return cls(kind=ActorKind.CUSTOMER, label=email)

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(kind=ActorKind.SYSTEM, label=label)

    @classmethod
    def for_api_token(cls, api_token: ApiToken) -> "Actor":
        """How a token stands in an order's history."""
        return cls(kind=ActorKind.API_TOKEN, label=f"API: {api_token.name}"[:100])
