"""What the platform takes: the commission configuration, per-category overrides and seller promotions. Edited by
operators in the Django admin; applied by orders.pricing."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

BPS_DENOMINATOR = 10_000  # basis points in a whole: 1000 bps = 10 %
bps_validators = [MaxValueValidator(BPS_DENOMINATOR)]


class CommissionConfig(models.Model):
    """The platform-wide rates. One row; without it the defaults below apply."""

    DEFAULT_SELLER_BPS = 1000
    DEFAULT_BUYER_FEE_BPS = 500
    DEFAULT_MINIMUM_COMMISSION = 0

    seller_bps = models.PositiveIntegerField(
        _("seller commission (basis points)"),
        default=DEFAULT_SELLER_BPS,
        validators=bps_validators,
        help_text=_("Taken from the seller's price. 100 basis points = 1 %."),
    )
    buyer_fee_bps = models.PositiveIntegerField(
        _("buyer service fee (basis points)"),
        default=DEFAULT_BUYER_FEE_BPS,
        validators=bps_validators,
        help_text=_("Added to the buyer's total. 100 basis points = 1 %."),
    )
    minimum_commission = models.PositiveIntegerField(
        _("minimum commission (minor units)"),
        default=DEFAULT_MINIMUM_COMMISSION,
        help_text=_("The least commission per order (never more than the order's price), in any currency."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("commission configuration")
        verbose_name_plural = _("commission configuration")

    def __str__(self) -> str:
        return str(_("Commission configuration"))


class CategoryCommission(models.Model):
    """Rates for a category and every category below it; an empty field inherits from the nearest ancestor's
    override, then from the configuration."""

    category = models.OneToOneField(
        "listings.Category", on_delete=models.CASCADE, related_name="commission", verbose_name=_("category")
    )
    seller_bps = models.PositiveIntegerField(
        _("seller commission (basis points)"), null=True, blank=True, validators=bps_validators
    )
    buyer_fee_bps = models.PositiveIntegerField(
        _("buyer service fee (basis points)"), null=True, blank=True, validators=bps_validators
    )
    minimum_commission = models.PositiveIntegerField(_("minimum commission (minor units)"), null=True, blank=True)

    class Meta:
        verbose_name = _("category commission")
        verbose_name_plural = _("category commissions")

    def __str__(self) -> str:
        return str(self.category)


class PromotionRule(models.TextChoices):
    FIRST_ORDERS = "first_orders", _("A seller's first N paid orders")
    FIRST_DAYS = "first_days", _("A seller's first N days after their first listing went live")


class CommissionPromotion(models.Model):
    """A lower commission for new sellers (0 % by default). The minimum commission does not apply to it."""

    name = models.CharField(_("name"), max_length=120)
    rule = models.CharField(_("rule"), max_length=20, choices=PromotionRule.choices)
    limit = models.PositiveIntegerField(_("N"), help_text=_("Orders or days, as the rule says."))
    seller_bps = models.PositiveIntegerField(
        _("seller commission during the promotion (basis points)"), default=0, validators=bps_validators
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commission promotion")
        verbose_name_plural = _("commission promotions")
        constraints = [models.CheckConstraint(condition=Q(limit__gte=1), name="promotion_limit_positive")]

    def __str__(self) -> str:
        return self.name
