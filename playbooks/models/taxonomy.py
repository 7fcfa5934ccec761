"""The facets a playbook is filed under besides listing categories: regions and business models."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A place a playbook is written for (local rules, markets, seasons). Facilitators keep the list (a snippet)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class BusinessModelKind(models.TextChoices):
    HANDMADE = "handmade", _("Handmade")
    RESALE = "resale", _("Resale and vintage")
    SERVICES = "services", _("Services and lessons")
    RENTALS = "rentals", _("Rentals")
    DIGITAL = "digital", _("Digital goods")
    WHOLESALE = "wholesale", _("Wholesale and bulk")


class BusinessModel(models.Model):
    """One row per BusinessModelKind (created by a data migration), so a playbook can name several and the index
    filters on them with a join that works on PostgreSQL and SQLite alike."""

    kind = models.CharField(_("kind"), max_length=16, choices=BusinessModelKind.choices, unique=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("business model")
        verbose_name_plural = _("business models")

    def __str__(self) -> str:
        return str(self.get_kind_display())
