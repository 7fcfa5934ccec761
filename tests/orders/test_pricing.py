from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from orders import pricing
from orders.models import CategoryCommission, CommissionConfig, CommissionPromotion, PromotionRule
from orders.payees import amount_split
from tests.orders.factories import MemberFactory, booking_listing, category, item_listing, next_weekday_at, order_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def config():
    return CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=50)


def test_ten_percent_commission_and_five_percent_buyer_fee(config):
    listing = item_listing(price_amount=2400, quantity=5)
    quote = pricing.price_quote(listing=listing, quantity=2, buyer=MemberFactory())
    assert (quote.subtotal, quote.buyer_fee, quote.total) == (4800, 240, 5040)
    assert (quote.commission, quote.seller_net) == (480, 4320)
    assert quote.platform_amount == 720
    assert quote.currency == "GBP"


def test_the_minimum_commission_applies_to_small_orders(config):
    quote = pricing.price_quote(listing=item_listing(price_amount=300), buyer=MemberFactory())
    assert quote.commission == 50  # 10 % would be 30
    assert quote.seller_net == 250


def test_the_commission_never_exceeds_the_price(config):
    quote = pricing.price_quote(listing=item_listing(price_amount=20), buyer=MemberFactory())
    assert quote.commission == 20
    assert quote.seller_net == 0


@pytest.mark.parametrize(("price", "fee"), [(1010, 51), (1009, 50), (1030, 52), (10, 1), (9, 0)])
def test_fees_round_half_up_in_integers(config, price, fee):
    quote = pricing.price_quote(listing=item_listing(price_amount=price), buyer=MemberFactory())
    assert quote.buyer_fee == fee  # 5 %: 50.5 -> 51, 50.45 -> 50, 51.5 -> 52, 0.5 -> 1, 0.45 -> 0


def test_defaults_apply_without_a_configuration_row():
    quote = pricing.price_quote(listing=item_listing(price_amount=10_000), buyer=MemberFactory())
    assert (quote.commission, quote.buyer_fee) == (1000, 500)


def test_a_category_override_applies_to_its_descendants(config):
    # given
    crafts = category("Crafts")
    ceramics = category("Ceramics", parent=crafts)
    mugs = category("Mugs", parent=ceramics)
    CategoryCommission.objects.create(category=crafts, seller_bps=1500)
    CategoryCommission.objects.create(category=ceramics, buyer_fee_bps=0)
    # when
    quote = pricing.price_quote(listing=item_listing(cat=mugs, price_amount=10_000), buyer=MemberFactory())
    other = pricing.price_quote(listing=item_listing(price_amount=10_000), buyer=MemberFactory())
    # then: 15 % from Crafts, no buyer fee from Ceramics (the nearest override of each field wins)
    assert (quote.commission, quote.buyer_fee, quote.total) == (1500, 0, 10_000)
    assert (other.commission, other.buyer_fee) == (1000, 500)


def test_the_nearest_override_wins(config):
    parent = category()
    child = category(parent=parent)
    CategoryCommission.objects.create(category=parent, seller_bps=1500)
    CategoryCommission.objects.create(category=child, seller_bps=800)
    quote = pricing.price_quote(listing=item_listing(cat=child, price_amount=10_000), buyer=MemberFactory())
    assert quote.commission == 800


def test_no_commission_on_a_sellers_first_two_orders(config):
    # given
    CommissionPromotion.objects.create(name="Welcome", rule=PromotionRule.FIRST_ORDERS, limit=2, seller_bps=0)
    seller = MemberFactory()
    listing = item_listing(seller=seller, price_amount=10_000)
    buyer = MemberFactory()
    # when / then
    assert pricing.price_quote(listing=listing, buyer=buyer).commission == 0  # no minimum during a promotion
    order_row(listing=listing, paid_at=listing.published_at)
    assert pricing.price_quote(listing=listing, buyer=buyer).commission == 0
    order_row(listing=listing, paid_at=listing.published_at)
    assert pricing.price_quote(listing=listing, buyer=buyer).commission == 1000
    assert pricing.price_quote(listing=listing, buyer=buyer).buyer_fee == 500  # the buyer's fee is unchanged


def test_unpaid_orders_do_not_use_up_the_promotion(config):
    CommissionPromotion.objects.create(name="Welcome", rule=PromotionRule.FIRST_ORDERS, limit=1)
    listing = item_listing(price_amount=10_000)
    order_row(listing=listing)  # never paid
    assert pricing.price_quote(listing=listing, buyer=MemberFactory()).commission == 0


def test_no_commission_in_a_sellers_first_thirty_days(config, clock):
    CommissionPromotion.objects.create(name="First month", rule=PromotionRule.FIRST_DAYS, limit=30)
    listing = item_listing(price_amount=10_000, published_at=clock.now)
    assert pricing.price_quote(listing=listing, buyer=MemberFactory()).commission == 0
    clock.advance(timedelta(days=30))
    assert pricing.price_quote(listing=listing, buyer=MemberFactory()).commission == 1000


def test_an_inactive_promotion_does_not_apply(config):
    CommissionPromotion.objects.create(name="Old", rule=PromotionRule.FIRST_ORDERS, limit=5, active=False)
    assert pricing.price_quote(listing=item_listing(price_amount=10_000), buyer=MemberFactory()).commission == 1000


def test_a_registered_fee_discount_lowers_the_commission_rate(config):
    listing = item_listing(price_amount=10_000)

    def team_discount(seller, for_listing):
        return 300 if for_listing.pk == listing.pk else 0

    pricing.fee_discount_register(team_discount)
    try:
        assert pricing.price_quote(listing=listing, buyer=MemberFactory()).commission == 700
        other = item_listing(price_amount=10_000)
        assert pricing.price_quote(listing=other, buyer=MemberFactory()).commission == 1000
    finally:
        pricing.fee_discount_unregister(team_discount)
    assert pricing.price_quote(listing=listing, buyer=MemberFactory()).commission == 1000


def test_a_booking_is_priced_per_started_hour(config):
    listing = booking_listing(price_amount=3000, price_unit="hour")
    start = next_weekday_at(0, 10)
    quote = pricing.price_quote(listing=listing, start=start, end=start + timedelta(minutes=90), buyer=MemberFactory())
    assert (quote.units, quote.subtotal, quote.total) == (2, 6000, 6300)


def test_a_rental_is_priced_per_night(config):
    listing = booking_listing(price_amount=8000, price_unit="night")
    start = next_weekday_at(4, 15)
    quote = pricing.price_quote(
        listing=listing, start=start, end=start + timedelta(days=2, hours=-4), buyer=MemberFactory()
    )
    assert (quote.units, quote.subtotal) == (2, 16_000)


def test_a_quote_refuses_a_buyers_own_listing_and_bad_quantities(config):
    listing = item_listing()
    with pytest.raises(ValidationError) as own:
        pricing.price_quote(listing=listing, buyer=listing.seller)
    assert "listing" in own.value.message_dict
    with pytest.raises(ValidationError) as zero:
        pricing.price_quote(listing=listing, quantity=0, buyer=MemberFactory())
    assert "quantity" in zero.value.message_dict


def test_quotes_are_frozen(config):
    quote = pricing.price_quote(listing=item_listing(), buyer=MemberFactory())
    with pytest.raises(AttributeError):
        quote.total = 1


@pytest.mark.parametrize(
    ("amount", "weights", "parts"),
    [(100, [1, 1, 1], [34, 33, 33]), (10, [5000, 5000], [5, 5]), (7, [7000, 3000], [5, 2]), (0, [1, 2], [0, 0])],
)
def test_amounts_split_exactly(amount, weights, parts):
    assert amount_split(amount=amount, weights=weights) == parts
