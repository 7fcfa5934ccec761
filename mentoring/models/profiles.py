"""Mentor and mentee profiles: what matching needs beyond the community profile.

Languages, time zone and seller stage live on `community.Profile` (one truth per member); these profiles add what
only mentoring needs."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

MAX_CAPACITY = 10


class MentorProfile(models.Model):
    """A member who offers mentoring. Only members holding the mentor role and `accepting` are suggested.

    The row is also the lock that keeps a mentor within `capacity`: every service that gives a mentor a mentee
    (accepting a request, an intake) locks it first."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentor_profile")
    headline = models.CharField(
        _("what you can help with"), max_length=160, blank=True, help_text=_("One line, shown to mentees.")
    )
    categories = models.ManyToManyField(
        "listings.Category", verbose_name=_("categories you know"), related_name="mentors", blank=True
    )
    skills = TaggableManager(verbose_name=_("skills you can teach"), blank=True, related_name="mentor_profiles")
    capacity = models.PositiveSmallIntegerField(
        _("mentees at a time"), default=2, validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    availability = models.CharField(
        _("when you are available"),
        max_length=300,
        blank=True,
        help_text=_("For example: weekday evenings, Saturday mornings."),
    )
    accepting = models.BooleanField(_("accepting new mentees"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mentor profile")
        verbose_name_plural = _("mentor profiles")

    def __str__(self) -> str:
        return str(self.member)


class MenteeProfile(models.Model):
    """A member who wants a mentor, on a track."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentee_profile")
    track = models.ForeignKey("mentoring.Track", verbose_name=_("track"), on_delete=models.PROTECT, related_name="+")
    goals = models.TextField(_("what you want to achieve"), max_length=2000)
    preferences = models.TextField(
        _("preferences"),
        max_length=1000,
        blank=True,
        help_text=_("Anything that helps: how you like to meet, what you want from a mentor."),
    )
    categories = models.ManyToManyField(
        "listings.Category", verbose_name=_("categories you sell in"), related_name="mentees", blank=True
    )
    skills_wanted = TaggableManager(
        verbose_name=_("skills you want to learn"), blank=True, related_name="mentee_profiles"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mentee profile")
        verbose_name_plural = _("mentee profiles")

    def __str__(self) -> str:
        return str(self.member)
