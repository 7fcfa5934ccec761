"""Milestones detected from marketplace data: reviews, the order defect rate, resolved disputes, and the defect rate's
definition (orders.hooks.seller_order_stats). Orders and reviews go through the orders services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from community.models import RoleGrant
from mentoring.models import MilestoneKind, MilestoneProgress
from orders import reviews, services
from orders.hooks import seller_order_stats
from orders.models import Order
from tests.factories import MemberFactory
from tests.mentoring import factories as mf
from tests.orders import factories as of

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Runs each block's after-commit callbacks (the signals mentoring listens to), as a real request would."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def paid(listing):
    return services.order_create(buyer=MemberFactory(), listing_id=listing.pk, payment_method=VISA)


def sold(listing, run=None):
    order = paid(listing)
    services.order_fulfil(order_id=order.pk, actor=listing.seller)
    complete = lambda: services.order_complete(order_id=order.pk, actor=order.buyer)  # noqa: E731
    return run(complete) if run else complete()


def reached(member) -> set[str]:
    return set(MilestoneProgress.objects.filter(member=member).values_list("milestone__kind", flat=True))


def moderator():
    member = MemberFactory()
    RoleGrant.objects.create(member=member, role="moderator")
    return member


def test_ten_reviews_averaging_4_5_reach_the_milestone_when_the_tenth_is_published(run_on_commit):
    # given a track with the reviews milestone and a seller with ten completed sales
    track = mf.track()
    mf.milestone(track, MilestoneKind.TEN_REVIEWS_4_5)
    listing = of.item_listing(quantity=12)
    orders = [sold(listing) for _ in range(10)]
    # when buyers review: five 5s and four 4s, nine reviews averaging 4.56
    for rating, order in zip([5, 5, 5, 5, 5, 4, 4, 4, 4], orders, strict=False):
        run_on_commit(lambda o=order, r=rating: reviews.review_create(order_id=o.pk, author=o.buyer, rating=r))
        run_on_commit(lambda o=order: reviews.review_create(order_id=o.pk, author=o.seller, rating=5))
    # then nine reviews are not ten
    assert MilestoneKind.TEN_REVIEWS_4_5 not in reached(listing.seller)
    # when the tenth (a 4) is published by the seller's review of the buyer: ten reviews averaging exactly 4.5
    last = orders[9]
    run_on_commit(lambda: reviews.review_create(order_id=last.pk, author=last.buyer, rating=4))
    assert MilestoneKind.TEN_REVIEWS_4_5 not in reached(listing.seller)  # not published yet: the seller must write
    run_on_commit(lambda: reviews.review_create(order_id=last.pk, author=last.seller, rating=5))
    assert MilestoneKind.TEN_REVIEWS_4_5 in reached(listing.seller)
    # the buyers, whose reviews by the seller were all 5s, reach nothing: they are reviewed as buyers
    assert not MilestoneProgress.objects.exclude(member=listing.seller).exists()


def test_ten_reviews_averaging_under_4_5_do_not_reach_it(run_on_commit):
    mf.milestone(mf.track(), MilestoneKind.TEN_REVIEWS_4_5)
    listing = of.item_listing(quantity=10)
    for rating in [5, 5, 5, 5, 4, 4, 4, 4, 4, 4]:  # 4.4
        order = sold(listing)
        run_on_commit(lambda o=order, r=rating: reviews.review_create(order_id=o.pk, author=o.buyer, rating=r))
        run_on_commit(lambda o=order: reviews.review_create(order_id=o.pk, author=o.seller, rating=5))
    stats = seller_order_stats(seller_ids=[listing.seller_id])[listing.seller_id]
    assert (stats.review_count, stats.review_average) == (10, Decimal("4.40"))
    assert MilestoneKind.TEN_REVIEWS_4_5 not in reached(listing.seller)


def test_the_defect_rate_counts_seller_cancellations_lost_disputes_and_late_deliveries():
    # given one seller's orders, each with a different ending
    listing = of.item_listing(quantity=10)
    seller = listing.seller
    on_time = sold(listing)
    late = paid(listing)
    Order.objects.filter(pk=late.pk).update(paid_at=late.paid_at - timedelta(days=4))  # paid four days ago
    services.order_fulfil(order_id=late.pk, actor=seller)
    services.order_complete(order_id=late.pk, actor=late.buyer)
    cancelled_by_seller = paid(listing)
    services.order_cancel(order_id=cancelled_by_seller.pk, actor=seller)
    cancelled_by_buyer = paid(listing)
    services.order_cancel(order_id=cancelled_by_buyer.pk, actor=cancelled_by_buyer.buyer)
    mod = moderator()
    for refund in (None, 0):  # a dispute refunded in full (lost), one decided for the seller (not a defect)
        order = paid(listing)
        services.order_fulfil(order_id=order.pk, actor=seller)
        services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="It arrived broken")
        services.order_dispute_resolve(
            order_id=order.pk, moderator=mod, refund_amount=order.total if refund is None else 0, note="Photos"
        )
    # when the figures are read
    stats = seller_order_stats(seller_ids=[seller.pk, MemberFactory().pk])
    # then the buyer's cancellation is not the seller's outcome; three of the five others are defects
    mine = stats[seller.pk]
    assert (mine.defect_window, mine.defects) == (5, 3)
    assert (mine.seller_cancellations, mine.disputes_lost, mine.late_fulfilments) == (1, 1, 1)
    assert mine.defect_rate == Decimal("60.0")
    assert (mine.sales, mine.first_sale_at) == (2, Order.objects.get(pk=on_time.pk).completed_at)
    # and a member who never sold has no rate rather than a perfect one
    [other] = [s for pk, s in stats.items() if pk != seller.pk]
    assert (other.defect_window, other.defect_rate, other.sales) == (0, None, 0)


def test_the_defect_rate_looks_only_at_the_last_orders():
    listing = of.item_listing(quantity=5)
    first = paid(listing)
    services.order_cancel(order_id=first.pk, actor=listing.seller)  # an old defect
    for _ in range(3):
        sold(listing)
    stats = seller_order_stats(seller_ids=[listing.seller_id], window=3)[listing.seller_id]
    assert (stats.defect_window, stats.defects, stats.defect_rate) == (3, 0, Decimal("0.0"))
    stats = seller_order_stats(seller_ids=[listing.seller_id], window=4)[listing.seller_id]
    assert (stats.defect_window, stats.defects, stats.defect_rate) == (4, 1, Decimal("25.0"))


def test_the_defect_rate_milestone_waits_for_ten_orders_then_is_reached_by_a_resolved_dispute(run_on_commit):
    # given a "defect rate under 5%" milestone and a seller with nine clean sales
    mf.milestone(mf.track(), MilestoneKind.DEFECT_RATE_UNDER, threshold=Decimal("5"))
    mf.milestone(mf.track("growing"), MilestoneKind.DEFECT_RATE_UNDER, threshold=Decimal("0"))  # unreachable
    listing = of.item_listing(quantity=10)
    for _ in range(9):
        sold(listing, run_on_commit)
    # then nine orders are not yet a rate
    assert reached(listing.seller) == set()
    # when a tenth order is disputed and a moderator decides for the seller
    order = paid(listing)
    services.order_fulfil(order_id=order.pk, actor=listing.seller)
    services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="Late?")
    run_on_commit(
        lambda: services.order_dispute_resolve(order_id=order.pk, moderator=moderator(), refund_amount=0, note="Fine")
    )
    # then the resolution re-checks the seller: ten orders, no defect, under 5% (but not under 0%)
    progress = MilestoneProgress.objects.filter(member=listing.seller).select_related("milestone")
    assert [p.milestone.threshold for p in progress] == [Decimal("5.00")]


def test_a_seller_cancellation_keeps_the_rate_above_the_threshold(run_on_commit):
    mf.milestone(mf.track(), MilestoneKind.DEFECT_RATE_UNDER, threshold=Decimal("5"))
    listing = of.item_listing(quantity=11)
    cancelled = paid(listing)
    services.order_cancel(order_id=cancelled.pk, actor=listing.seller)
    for _ in range(10):
        sold(listing, run_on_commit)
    # 1 defect in 11 orders: 9.1%
    assert seller_order_stats(seller_ids=[listing.seller_id])[listing.seller_id].defect_rate == Decimal("9.1")
    assert MilestoneKind.DEFECT_RATE_UNDER not in reached(listing.seller)


def test_first_listing_and_first_sale_are_reached_together_when_the_first_order_completes(run_on_commit):
    track = mf.track()
    mf.milestone(track, MilestoneKind.FIRST_LISTING)
    mf.milestone(track, MilestoneKind.FIRST_SALE)
    listing = of.item_listing()
    assert reached(listing.seller) == set()
    sold(listing, run_on_commit)
    assert reached(listing.seller) == {MilestoneKind.FIRST_LISTING, MilestoneKind.FIRST_SALE}
