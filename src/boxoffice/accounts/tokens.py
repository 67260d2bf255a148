"""Making, revoking and recognising API tokens."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.accounts.models import ApiToken, Organizer, Role, User
from boxoffice.accounts.permissions import Principal
from boxoffice.common.errors import DomainError
from boxoffice.common.secrets import token_hash

PREFIX = "bo_"  # recognisable in logs and secret scanners
# last_used_at is written at most this often, so reads do not each cost a write.
TOUCH_EVERY = timedelta(minutes=1)


@transaction.atomic
def api_token_create(
    *, organizer: Organizer | None, role: str, name: str, created_by: User | None
) -> tuple[ApiToken, str]:
    """A new token and its secret value (shown once; only the hash is kept)."""
    if role not in Role.values:
        raise DomainError(_("Unknown role: %(role)s") % {"role": role})
    if not name.strip():
        raise DomainError(_("Give the token a name, e.g. the system that will use it."))
    token = PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken.objects.create(
        organizer=organizer,
        role=role,
        name=name.strip()[:100],
        token_hash=token_hash(token),
        prefix=token[:10],
        created_by=created_by,
        created_at=timezone.now(),
    )
    return api_token, token


def api_token_revoke(*, api_token: ApiToken) -> ApiToken:
    if api_token.revoked_at is None:
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at"])
    return api_token


def api_token_authenticate(token: str) -> ApiToken | None:
    """The live token with this value, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    # One probe of the unique hash: the row carries the organizer's id and the role, all a
    # request's scoping needs (the organizer row itself is read only where it is shown).
    live = ApiToken.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True)
    found = next(iter(live.order_by()), None)
    if found is not None:
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found


def principal_of(api_token: ApiToken) -> Principal:
    if api_token.organizer_id is None:
        return Principal(user=None, platform=True)
    return Principal(user=None, roles={api_token.organizer_id: api_token.role})
