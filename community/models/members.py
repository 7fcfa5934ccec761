"""Members: the account (email login), the public profile and the roles a member holds."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from community.validators import validate_avatar, validate_languages, validate_timezone


class MemberManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email is required")
        member = self.model(email=self.normalize_email(email).lower(), **extra)
        member.set_password(password)
        member.save(using=self._db)
        return member

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class Member(AbstractUser):
    """An account. Logs in by email; a deleted member keeps this row, anonymised, so orders and ledger rows that
    the law keeps still point at a party."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = MemberManager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        profile = getattr(self, "profile", None)
        return profile.display_name if profile and profile.display_name else self.email

    def get_full_name(self) -> str:
        """What Wagtail's admin (dashboard, workflow history) shows for a member: the display name."""
        return str(self.display_name)

    def get_short_name(self) -> str:
        return str(self.display_name)

    @property
    def display_name(self) -> str:
        profile = getattr(self, "profile", None)
        if profile and profile.display_name:
            return profile.display_name
        return _("Member %(id)s") % {"id": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("community:profile", kwargs={"pk": self.pk})

    @property
    def role_names(self) -> set[str]:
        # Uses the prefetched grants when a selector loaded them.
        return {grant.role for grant in self.role_grants.all()}

    def has_role(self, role: str) -> bool:
        return role in self.role_names


class SellerStage(models.TextChoices):
    NEW = "new", _("New")
    GROWING = "growing", _("Growing")
    ESTABLISHED = "established", _("Established")


class Role(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")
    MENTOR = "mentor", _("Mentor")
    FACILITATOR = "facilitator", _("Facilitator")
    AMBASSADOR = "ambassador", _("Ambassador")
    MODERATOR = "moderator", _("Moderator")

    @classmethod
    def self_service(cls) -> list[str]:
        """Roles a member takes on by themselves; the others are granted by staff."""
        return [cls.BUYER, cls.SELLER, cls.MENTOR, cls.AMBASSADOR]

    @classmethod
    def staff_granted(cls) -> list[str]:
        return [cls.FACILITATOR, cls.MODERATOR]


def avatar_upload_to(instance: Profile, filename: str) -> str:
    return f"avatars/{instance.member_id}/{filename}"


class Profile(models.Model):
    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True, validators=[validate_avatar])
    bio = models.TextField(_("bio"), max_length=2000, blank=True)
    location_name = models.CharField(_("location"), max_length=120, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    languages = models.JSONField(_("languages"), default=list, blank=True, validators=[validate_languages])
    timezone = models.CharField(_("timezone"), max_length=64, default="UTC", validators=[validate_timezone])
    seller_stage = models.CharField(
        _("seller stage"), max_length=16, choices=SellerStage.choices, default=SellerStage.NEW
    )
    phone_number = models.CharField(_("verified phone number"), max_length=20, blank=True, editable=False)
    # Reviews received as a seller, kept by community.services.profile_rating_set (the orders app calls it).
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")

    def __str__(self) -> str:
        return self.display_name or str(self.member_id)

    @property
    def is_complete(self) -> bool:
        return bool(self.display_name and self.bio and self.location_name)


class RoleGrant(models.Model):
    """One role held by one member; who granted it is kept for staff-granted roles."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=16, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "role"], name="unique_member_role")]
        ordering = ["role"]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.role}"
