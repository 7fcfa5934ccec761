"""Prices, buyer service fees and commissions, computed only on the server.

Rounding: rates are basis points (1/100 of a percent) applied to integer minor units and rounded half-up in
integer arithmetic, `(amount * bps + 5000) // 10000` for non-negative amounts; no floats anywhere. So 5 % of 1010
is 51 (50.5 rounds up) and 5 % of 1009 is 50 (50.45 rounds down).

Which commission applies to a seller's listing:
1. The configuration (orders.models.CommissionConfig, or its defaults), overridden field by field by the nearest
   `CategoryCommission` of the listing's category or of one of its ancestors.
2. Fee discounts (`fee_discount_register`): callables returning basis points off the commission rate for
   (seller, listing), e.g. for micro-team members. The largest discount applies; discounts do not stack.
3. The commission is at least the minimum commission, and never more than the subtotal.
4. An active promotion the seller qualifies for (first N paid orders, first N days after their first listing
   went live) replaces all that with its own rate, without a minimum, when it is lower.
The buyer's fee is the buyer rate of the sum the seller charges (the subtotal) and is not discounted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Member
from listings.models import Category, Listing, ListingKind
from orders.bookings import booking_shape_problems, booking_units, listing_timezone
from orders.models import (
    BPS_DENOMINATOR,
    CategoryCommission,
    CommissionConfig,
    CommissionPromotion,
    Order,
    PromotionRule,
)

MAX_QUANTITY = 1000


def bps_of(amount: int, bps: int) -> int:
    """`bps` basis points of a non-negative `amount`, rounded half-up."""
    if amount < 0 or bps < 0:
        raise ValueError("bps_of takes non-negative integers")
    return (amount * bps + BPS_DENOMINATOR // 2) // BPS_DENOMINATOR


def ratio_of(amount: int, numerator: int, denominator: int) -> int:
    """`amount * numerator / denominator`, rounded half-up (non-negative integers)."""
    if amount < 0 or numerator < 0 or denominator <= 0:
        raise ValueError("ratio_of takes non-negative integers and a positive denominator")
    return (2 * amount * numerator + denominator) // (2 * denominator)


def money_display(amount: int, currency: str) -> str:
    """An amount for people, e.g. "GBP 12.50" (the marketplace's currencies all have two decimals)."""
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 100)
    return f"{currency} {sign}{major:,}.{minor:02d}"


# --- Fee discounts: a hook for later work (micro-teams) ----------------------------------------------------

FeeDiscount = Callable[[Member, Listing], int]
_fee_discounts: list[FeeDiscount] = []


def fee_discount_register(discount: FeeDiscount) -> FeeDiscount:
    """Registers a callable (seller, listing) -> basis points off the commission rate (0 for none). Usable as
    a decorator; registering twice has no effect."""
    if discount not in _fee_discounts:
        _fee_discounts.append(discount)
    return discount


def fee_discount_unregister(discount: FeeDiscount) -> None:
    if discount in _fee_discounts:
        _fee_discounts.remove(discount)


def fee_discount_bps(*, seller: Member, listing: Listing) -> int:
    best = max((int(discount(seller, listing) or 0) for discount in _fee_discounts), default=0)
    return min(max(best, 0), BPS_DENOMINATOR)


# --- Rates --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommissionRates:
    seller_bps: int
    buyer_fee_bps: int
    minimum_commission: int
    promotion: str = ""


def commission_config_get() -> CommissionConfig:
    """The configuration row, or an unsaved one with the defaults."""
    return CommissionConfig.objects.order_by("pk").first() or CommissionConfig()


def _category_rates(category: Category, config: CommissionConfig) -> tuple[int, int, int]:
    lineage = [*category.get_ancestors(), category]
    overrides = {o.category_id: o for o in CategoryCommission.objects.filter(category__in=lineage)}
    seller_bps, buyer_fee_bps, minimum = config.seller_bps, config.buyer_fee_bps, config.minimum_commission
    for node in lineage:  # root first: the nearest override wins
        override = overrides.get(node.pk)
        if override is None:
            continue
        if override.seller_bps is not None:
            seller_bps = override.seller_bps
        if override.buyer_fee_bps is not None:
            buyer_fee_bps = override.buyer_fee_bps
        if override.minimum_commission is not None:
            minimum = override.minimum_commission
    return seller_bps, buyer_fee_bps, minimum


def _promotion_for(seller: Member, now: datetime) -> CommissionPromotion | None:
    promotions = list(CommissionPromotion.objects.filter(active=True).order_by("seller_bps", "pk"))
    if not promotions:
        return None
    paid_orders: int | None = None
    first_live: datetime | None = None
    for promotion in promotions:
        if promotion.rule == PromotionRule.FIRST_ORDERS:
            if paid_orders is None:
                paid_orders = Order.objects.filter(seller=seller, paid_at__isnull=False).count()
            if paid_orders < promotion.limit:
                return promotion
        elif promotion.rule == PromotionRule.FIRST_DAYS:
            if first_live is None:
                first_live = Listing.objects.filter(seller=seller, published_at__isnull=False).aggregate(
                    first=Min("published_at")
                )["first"] or getattr(seller, "date_joined", now)
            if now < first_live + timedelta(days=promotion.limit):
                return promotion
    return None


def commission_rates(*, seller: Member, listing: Listing, now: datetime | None = None) -> CommissionRates:
    now = now or timezone.now()
    seller_bps, buyer_fee_bps, minimum = _category_rates(listing.category, commission_config_get())
    seller_bps = max(0, seller_bps - fee_discount_bps(seller=seller, listing=listing))
    promotion = _promotion_for(seller, now)
    if promotion is not None and promotion.seller_bps <= seller_bps:
        return CommissionRates(promotion.seller_bps, buyer_fee_bps, 0, promotion=promotion.name)
    return CommissionRates(seller_bps, buyer_fee_bps, minimum)


# --- Quotes -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """What an order costs, in minor units of `currency`: total = subtotal + buyer_fee (what the buyer pays);
    seller_net = subtotal - commission (what the payees share); the platform keeps commission + buyer_fee."""

    currency: str
    unit_price: int
    units: int
    quantity: int
    subtotal: int
    buyer_fee: int
    total: int
    commission: int
    seller_net: int
    seller_commission_bps: int
    buyer_fee_bps: int

    @property
    def platform_amount(self) -> int:
        return self.commission + self.buyer_fee


def price_quote(
    *,
    listing: Listing,
    quantity: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    buyer: Member,
) -> Quote:
    """The price of buying `quantity` of an item, or of booking `quantity` places from `start` to `end`.
    Checks the request's shape; stock and availability are checked at checkout (orders.services)."""
    if buyer is not None and buyer.pk == listing.seller_id:
        raise ValidationError({"listing": [_("You cannot buy your own listing.")]})
    quantity = 1 if quantity is None else quantity
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError({"quantity": [_("Choose a quantity from 1 to %(n)s.") % {"n": MAX_QUANTITY}]})
    if listing.kind == ListingKind.ITEM:
        if start is not None or end is not None:
            raise ValidationError({"start": [_("Items are bought, not booked for dates.")]})
        units = 1
    else:
        problems = booking_shape_problems(start=start, end=end)
        if problems:
            raise ValidationError(problems)
        assert start is not None and end is not None
        units = booking_units(price_unit=listing.price_unit, start=start, end=end, tz=listing_timezone(listing))

    rates = commission_rates(seller=listing.seller, listing=listing)
    subtotal = listing.price_amount * units * quantity
    buyer_fee = bps_of(subtotal, rates.buyer_fee_bps)
    commission = min(subtotal, max(bps_of(subtotal, rates.seller_bps), rates.minimum_commission))
    return Quote(
        currency=listing.currency,
        unit_price=listing.price_amount,
        units=units,
        quantity=quantity,
        subtotal=subtotal,
        buyer_fee=buyer_fee,
        total=subtotal + buyer_fee,
        commission=commission,
        seller_net=subtotal - commission,
        seller_commission_bps=rates.seller_bps,
        buyer_fee_bps=rates.buyer_fee_bps,
    )
