"""The second factor: a code from an authenticator app (TOTP), or one of ten recovery codes.

Built on django-otp: a user's TOTPDevice holds the shared key, confirmed only after the user has
typed a code it produced (so a QR code that was never scanned cannot lock anyone out); their
StaticDevice holds the recovery codes, each good once. django-otp throttles both: every wrong
code doubles the wait before the next one is checked.

Who must have one (``required_because``): platform staff whenever the bundled Paytrail sandbox
is off (a production start; staff can refund any organizer's orders), and every member of an
organizer whose owner asked for it. The demo runs with the sandbox on, so its logins keep
working with a password alone.
"""

import logging
import math
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import devices_for_user
from django_otp.models import Device, VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from boxoffice.accounts.models import Membership, Organizer, Role, User
from boxoffice.common.errors import DomainError

logger = logging.getLogger("boxoffice.security")

RECOVERY_CODES = 10
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def has_second_factor(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


@dataclass(frozen=True)
class Standing:
    has_device: bool
    organizer_requires: bool


def standing_of(user: User) -> Standing:
    """Whether the user has an authenticator, and whether an organizer of theirs requires one:
    one query, asked on every back-office request the session has not verified yet (the
    request's own user already carries it: accounts.backends)."""
    if user.loaded_standing is not None:
        return Standing(*user.loaded_standing)
    has_device, organizer_requires = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            organizer_requires=Exists(
                Membership.objects.filter(
                    user=OuterRef("pk"), organizer__require_second_factor=True
                )
            ),
        )
        .values_list("has_device", "organizer_requires")
        .get()
    )
    return Standing(bool(has_device), bool(organizer_requires))


def staff_must(user: User) -> bool:
    return bool(user.is_staff) and not settings.PAYTRAIL_SANDBOX


def session_verified(user: object) -> bool:
    """Whether this request's login has given its second code (django-otp's OTPMiddleware)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def authenticator_of(user: User) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


def requiring_organizers(user: User) -> list[Organizer]:
    return list(
        Organizer.objects.filter(memberships__user=user, require_second_factor=True).order_by(
            "name"
        )
    )


def required_because(user: User) -> str | None:
    """Why this user must have a second factor, or None if it is their choice."""
    if staff_must(user):
        return _("Platform staff must use two-step verification.")
    organizers = requiring_organizers(user)
    if organizers:
        return _("%(organizers)s requires two-step verification for every member.") % {
            "organizers": ", ".join(o.name for o in organizers)
        }
    return None


# -- enrolment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """What the set-up page shows: the QR code, and the key for typing in by hand."""

    device: TOTPDevice
    qr_data_uri: str
    key: str  # base32, in groups of four


def enrolment_for(user: User) -> Enrolment:
    """The user's unconfirmed authenticator, made on first visit and kept until confirmed.

    Reloading the page shows the same key, so a QR code already scanned stays good.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    secret = _base32(device.bin_key)
    uri = device.config_url
    qr = segno.make(uri, error="m")
    return Enrolment(
        device=device,
        qr_data_uri=qr.svg_data_uri(scale=5, border=2),
        key=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )


def _base32(key: bytes) -> str:
    return b32encode(key).decode().rstrip("=")


@transaction.atomic
def enrolment_confirm(*, user: User, code: str) -> list[str]:
    """Activate the authenticator that produced ``code``; returns the new recovery codes.

    Any earlier authenticator of the user is replaced (one phone at a time).
    """
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        raise DomainError(
            _("Open the set-up page again: there is no code waiting to be confirmed.")
        )
    _check(device, _totp_code(code))
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    logger.info("second factor turned on for user %s", user.pk)
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if not has_second_factor(user):
        raise DomainError(_("Two-step verification is not on."))
    codes = _new_recovery_codes(user)
    logger.info("recovery codes renewed for user %s", user.pk)
    return codes


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return [f"{c[:4]}-{c[4:]}" for c in codes]


@transaction.atomic
def second_factor_disable(*, user: User, code: str) -> None:
    """Turn the second factor off, proven by a current code; refused where it is required."""
    reason = required_because(user)
    if reason is not None:
        raise DomainError(reason + " " + _("It cannot be turned off."))
    if verified_device(user, code) is None:
        raise DomainError(_("The code is wrong."))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    logger.info("second factor turned off for user %s", user.pk)


def second_factor_reset(*, user: User) -> None:
    """Remove the user's authenticator and recovery codes (a lost phone; an operator command)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    logger.warning("second factor reset for user %s", user.pk)


# -- verification -------------------------------------------------------------------------------


def verified_device(user: User, code: str) -> Device | None:
    """The device the code belongs to (authenticator or a recovery code, used up), or None.

    Raises DomainError while earlier wrong codes have the devices throttled, saying how long to
    wait (the code is then not even looked at).
    """
    devices = list(devices_for_user(user, confirmed=True))
    waits = [w for w in (_throttled_until(d) for d in devices) if w is not None]
    if waits:
        raise DomainError(_throttled_message(max(waits)))
    for device in devices:
        if isinstance(device, TOTPDevice):
            candidate = _totp_code(code)
            if candidate and device.verify_token(candidate):
                return device
        elif isinstance(device, StaticDevice):
            candidate = _recovery_code(code)
            if candidate and _use_recovery_code(device, candidate):
                return device
    return None


def _use_recovery_code(device: StaticDevice, code: str) -> bool:
    """Use up ``code``: true for exactly one of any number of requests racing with it.

    django-otp's StaticDevice.verify_token reads the code, then deletes it: two sessions sending
    the same code at once could both pass. The DELETE's row count decides instead.
    """
    deleted, _ = StaticToken.objects.filter(device=device, token=code).delete()
    if deleted:
        device.throttle_reset(commit=False)
        device.set_last_used_timestamp(commit=False)
        device.save()
        return True
    device.throttle_increment()
    return False


def _check(device: TOTPDevice, code: str) -> None:
    until = _throttled_until(device)
    if until is not None:
        raise DomainError(_throttled_message(until))
    if not code or not device.verify_token(code):
        raise DomainError(
            _("The code is wrong. Check the clock of your phone and type the newest code.")
        )


def _throttled_message(until: datetime) -> str:
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    return ngettext(
        "Too many wrong codes. Try again in %(seconds)d second.",
        "Too many wrong codes. Try again in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}


def _throttled_until(device: Device) -> datetime | None:
    allowed, details = device.verify_is_allowed()
    if allowed or not details:
        return None
    if details.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        locked: datetime | None = details.get("locked_until")
        return locked
    return None


def _totp_code(code: str) -> str:
    digits = code.replace(" ", "").strip()
    return digits if digits.isdigit() and len(digits) == 6 else ""


def _recovery_code(code: str) -> str:
    cleaned = code.replace("-", "").replace(" ", "").strip().lower()
    return cleaned if len(cleaned) == 8 and cleaned.isalnum() else ""


# -- the organizer's policy ---------------------------------------------------------------------


def owned_organizers(user: User) -> list[Organizer]:
    return list(
        Organizer.objects.filter(memberships__user=user, memberships__role=Role.OWNER).order_by(
            "name"
        )
    )


@transaction.atomic
def organizer_require_second_factor(*, organizer: Organizer, user: User, required: bool) -> None:
    """An owner asks every member of their organizer to use a second factor (or stops asking).

    Either way the owner needs their own second factor (the pages also ask for its code in this
    session): turning the rule on must not lock out the person setting it, and turning it off
    must not be possible for another owner who got in with a password alone.
    """
    if not Membership.objects.filter(user=user, organizer=organizer, role=Role.OWNER).exists():
        raise DomainError(_("Only an owner of the organizer can change this."))
    if not has_second_factor(user):
        raise DomainError(_("Turn on two-step verification for yourself first."))
    Organizer.objects.filter(pk=organizer.pk).update(require_second_factor=required)
    logger.info(
        "organizer %s %s two-step verification (owner %s)",
        organizer.pk,
        "requires" if required else "no longer requires",
        user.pk,
    )
