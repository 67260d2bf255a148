"""People and organizers: who may act on whose orders."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.fi import ytunnus

from boxoffice.common.encryption import EncryptedTextField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with email and password.

    ``is_staff`` marks platform staff: they see every organizer and work the platform's queues.
    """

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    # The back office's saved views of the order list: [{"name": ..., "query": "status=paid&..."}]
    # (accounts.preferences). On the user row because every list page shows them and reads the
    # user anyway: no query of their own.
    saved_filters = models.JSONField(default=list, blank=True)

    objects = UserManager()

    # The request's user, as accounts.backends reads it, arrives with its roles ({organizer id:
    # role}) and whether it has / must have a second factor (has_device, organizer_requires),
    # read in the same query. None on a user read any other way: those are then asked for.
    loaded_roles: dict[int, str] | None = None
    loaded_standing: tuple[bool, bool] | None = None

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.lower()


def validate_business_id(value: str) -> None:
    """Finnish business ID (Y-tunnus), checksum included."""
    if not ytunnus.is_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid Finnish business ID (e.g. 1234567-1)."),
            params={"value": value},
        )


class Organizer(models.Model):
    """A company or association that sells tickets to its events on the platform."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    business_id = models.CharField(
        _("business ID"), max_length=9, validators=[validate_business_id]
    )
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FI")
    support_email = models.EmailField(_("support email"))
    # The organizer's own Paytrail merchant account, for events whose funds manager is the
    # organizer; the owner enters it on the payment settings page (accounts.paytrail_account).
    # Until both are set such events take no online payments (orders.rules).
    paytrail_merchant_id = models.CharField(_("Paytrail merchant ID"), max_length=20, blank=True)
    # Encrypted at rest (common.encryption); never shown again once saved.
    paytrail_secret = EncryptedTextField(_("Paytrail secret key"), blank=True)
    # The owner's rule: every member logs in with a second factor (accounts.second_factor).
    require_second_factor = models.BooleanField(_("require two-step verification"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organizer")
        verbose_name_plural = _("organizers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.business_id and ytunnus.is_valid(self.business_id):
            self.business_id = ytunnus.format(self.business_id)

    @property
    def has_paytrail_account(self) -> bool:
        """Whether its own Paytrail merchant account is set, so its events can take payments."""
        return bool(self.paytrail_merchant_id and self.paytrail_secret)

    @property
    def address(self) -> str:
        return ", ".join(
            part
            for part in (self.street_address, f"{self.postal_code} {self.city}".strip())
            if part
        )


class Role(models.TextChoices):
    """What a member of an organizer may do (DESIGN §6)."""

    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    SUPPORT = "support", _("Support")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organizer"], name="membership_unique_user_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organizer} ({self.role})"


class ApiToken(models.Model):
    """A key to the REST API: one organizer (or the platform) and a role, stored only as a hash.

    Kept beside the users it stands in for: the back office makes and revokes tokens, the API
    recognises them, and neither face imports the other (DESIGN §2).
    """

    # Empty for a platform token (platform staff's powers, every organizer).
    organizer = models.ForeignKey(
        Organizer, on_delete=models.PROTECT, related_name="api_tokens", null=True, blank=True
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    name = models.CharField(_("name"), max_length=100)
    # sha256 of the token; the token itself is shown once, when it is made.
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters, so people can tell their tokens apart in a list.
    prefix = models.CharField(_("prefix"), max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["organizer_id", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_platform(self) -> bool:
        return self.organizer_id is None
