"""An organizer's own Paytrail merchant account: the owner sets it, Paytrail vouches for it.

Events whose funds manager is the organizer take their money into this account (DESIGN §3), so
a typo would send customers to a payment page that fails, or (worse) sign callbacks we cannot
verify. Credentials are therefore saved only after Paytrail accepted a request signed with
them (``PaytrailClient.check_credentials``); the secret is encrypted at rest and never shown
again, only its last characters.
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from boxoffice.accounts.models import Membership, Organizer, Role, User
from boxoffice.catalog.models import Event, FundsManager
from boxoffice.common.errors import DomainError
from boxoffice.payments.paytrail.client import PaytrailClient
from boxoffice.payments.paytrail.credentials import Merchant, is_public_test_secret
from boxoffice.payments.paytrail.errors import PaytrailError

logger = logging.getLogger(__name__)

MERCHANT_ID = re.compile(r"[0-9]{1,20}")
SECRET_MAX_LENGTH = 200
# Printable ASCII without spaces: what Paytrail's Merchant Panel issues; anything else is a
# paste accident (a newline, a non-breaking space) that would fail every signature later.
SECRET = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True)
class PaytrailAccount:
    """What the settings page shows of one organizer's account."""

    organizer: Organizer
    masked_secret: str  # "" when none is saved
    # Events that take their money into this account: they cannot sell online until it is set.
    own_funds_events: int


def paytrail_accounts_of(user: User) -> list[PaytrailAccount]:
    """The organizers this user owns, with their accounts: two queries, whatever the number."""
    organizers = list(
        Organizer.objects.filter(memberships__user=user, memberships__role=Role.OWNER)
        .distinct()
        .order_by("name", "pk")
    )
    counts = dict(
        Event.objects.filter(organizer__in=organizers, default_funds_manager=FundsManager.ORGANIZER)
        .order_by()
        .values("organizer_id")
        .annotate(n=Count("pk"))
        .values_list("organizer_id", "n")
    )
    return [
        PaytrailAccount(
            organizer=o, masked_secret=masked_secret(o), own_funds_events=counts.get(o.pk, 0)
        )
        for o in organizers
    ]


def is_paytrail_owner(user: User, organizer: Organizer) -> bool:
    """Only an owner decides where the organizer's money goes (not managers, not staff)."""
    return Membership.objects.filter(user=user, organizer=organizer, role=Role.OWNER).exists()


def masked_secret(organizer: Organizer) -> str:
    """What the settings page shows of a saved secret: enough to recognise, not to use."""
    secret = organizer.paytrail_secret
    if not secret:
        return ""
    return "•" * 8 + secret[-4:] if len(secret) >= 12 else "•" * 8


def validate_credentials(merchant_id: str, secret: str) -> dict[str, str]:
    """Field errors of what the owner typed, before anything is sent anywhere."""
    errors: dict[str, str] = {}
    if not MERCHANT_ID.fullmatch(merchant_id):
        errors["merchant_id"] = _("A Paytrail merchant ID is digits only, e.g. 375917.")
    if len(secret) > SECRET_MAX_LENGTH:
        errors["secret"] = _("A Paytrail secret key is at most %(max)s characters.") % {
            "max": SECRET_MAX_LENGTH
        }
    elif not SECRET.fullmatch(secret):
        errors["secret"] = _(
            "The secret key may contain letters, digits and punctuation, no spaces or line breaks."
        )
    elif is_public_test_secret(secret) and not settings.PAYTRAIL_SANDBOX:
        errors["secret"] = _(
            "This is Paytrail's public test secret: anyone could confirm payments with it. "
            "Enter your own merchant account's secret key."
        )
    return errors


def paytrail_account_set(
    *, organizer: Organizer, user: User, merchant_id: str, secret: str
) -> Organizer:
    """Check the credentials with Paytrail, then save them. Raises DomainError, saving nothing.

    The signed call runs outside any transaction (DESIGN: provider calls never hold a lock).
    """
    if not is_paytrail_owner(user, organizer):
        raise DomainError(_("Only an owner of the organizer can change its Paytrail account."))
    errors = validate_credentials(merchant_id, secret)
    if errors:
        raise DomainError(" ".join(errors.values()))
    try:
        with PaytrailClient(Merchant(account=merchant_id, secret=secret)) as client:
            client.check_credentials()
    except PaytrailError as error:
        logger.info(
            "organizer %s: Paytrail refused merchant %s (owner %s): %s",
            organizer.pk,
            merchant_id,
            user.pk,
            error.message,
        )
        raise DomainError(
            _("The credentials were not saved. %(reason)s") % {"reason": error.message}
        ) from error
    with transaction.atomic():
        locked = Organizer.objects.select_for_update().get(pk=organizer.pk)
        previous = locked.paytrail_merchant_id
        locked.paytrail_merchant_id = merchant_id
        locked.paytrail_secret = secret
        locked.save(update_fields=["paytrail_merchant_id", "paytrail_secret"])
    # The audit line: who pointed the organizer's money where (never the secret itself).
    logger.warning(
        "organizer %s: Paytrail merchant account set to %s (was %s) by owner %s",
        organizer.pk,
        merchant_id,
        previous or "none",
        user.pk,
    )
    return locked
