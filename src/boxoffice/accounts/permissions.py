"""Who may do what: the role matrix of DESIGN §6 and the acting principal.

Every selector and service takes a ``Principal`` so that tenancy is decided in one place.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from boxoffice.accounts.models import Membership, Role, User


class Action(StrEnum):
    VIEW = "view"
    DOWNLOAD = "download"
    EDIT_CUSTOMER = "edit_customer"
    RESEND = "resend"
    MARK_PAID = "mark_paid"
    CANCEL = "cancel"
    REFUND = "refund"
    # The door: scan tickets of an event, and manage its scanner devices.
    CHECK_IN = "check_in"
    MANAGE_CHECKIN_DEVICES = "manage_checkin_devices"
    # Register and delete the organizer's webhooks (owner and manager).
    MANAGE_WEBHOOKS = "manage_webhooks"
    MANAGE_API_TOKENS = "manage_api_tokens"
    # Say that an attention item needs nothing more (with a note): owner and manager.
    DISMISS_ATTENTION = "dismiss_attention"
    # Write internal comments on orders (owner, manager, support; viewers only read them).
    COMMENT = "comment"
    # Write to the customers of many orders at once (notifications.customer_messages): it
    # speaks for the organizer to everyone who bought, like cancelling an event, so owners and
    # managers; support answers one customer at a time (resend).
    MESSAGE_CUSTOMERS = "message_customers"


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.MANAGER: frozenset(Action),
    Role.SUPPORT: frozenset(
        {
            Action.VIEW,
            Action.DOWNLOAD,
            Action.EDIT_CUSTOMER,
            Action.RESEND,
            Action.CHECK_IN,
            Action.COMMENT,
        }
    ),
    Role.VIEWER: frozenset({Action.VIEW, Action.DOWNLOAD}),
}


# From the least to the most a member may do: the first of these that has an action is what a
# member lacking it would need ("needs the manager role").
ROLES_BY_REACH = (Role.VIEWER, Role.SUPPORT, Role.MANAGER, Role.OWNER)


def role_needed(action: Action) -> str:
    """The least role that may take ``action``."""
    return next(role for role in ROLES_BY_REACH if action in ROLE_ACTIONS[role])


@dataclass(frozen=True)
class Principal:
    """The person acting, with their role in each organizer they belong to."""

    # None for an API token: it acts with its own role, never as the person who made it.
    user: User | None
    roles: dict[int, str] = field(default_factory=dict)
    # A platform API token: what platform staff may do, without a person behind it.
    platform: bool = False

    @property
    def is_platform_staff(self) -> bool:
        return self.platform or bool(self.user is not None and self.user.is_staff)

    @property
    def organizer_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    def can(self, action: Action, organizer_id: int) -> bool:
        # Platform staff act for the platform on every organizer's orders.
        if self.is_platform_staff:
            return True
        role = self.roles.get(organizer_id)
        return role is not None and action in ROLE_ACTIONS[role]


def principal_for(user: User) -> Principal:
    if user.loaded_roles is not None:  # read with the request's user (accounts.backends)
        return Principal(user=user, roles=dict(user.loaded_roles))
    roles = dict(
        Membership.objects.filter(user=user, organizer__isnull=False).values_list(
            "organizer_id", "role"
        )
    )
    return Principal(user=user, roles=roles)
