"""A seller's first completed order reaches their first-sale milestone (orders → signal → mentoring)."""

from __future__ import annotations

import pytest

from mentoring.models import MilestoneKind, MilestoneProgress
from orders import services
from tests.factories import MemberFactory
from tests.mentoring import factories as mf
from tests.orders import factories as of

pytestmark = pytest.mark.django_db


def test_the_first_completed_sale_reaches_the_first_sale_milestone_once(django_capture_on_commit_callbacks):
    first_sale = mf.milestone(mf.track(), MilestoneKind.FIRST_SALE, title="First sale")
    listing = of.item_listing(quantity=3)
    seller = listing.seller
    for n in range(2):
        order = services.order_create(buyer=MemberFactory(), listing_id=listing.pk, payment_method="pm_card_visa")
        services.order_fulfil(order_id=order.pk, actor=seller)
        assert MilestoneProgress.objects.filter(member=seller).count() == n  # not before it completes
        with django_capture_on_commit_callbacks(execute=True):
            services.order_complete(order_id=order.pk, actor=order.buyer)
        assert list(MilestoneProgress.objects.filter(member=seller).values_list("milestone", flat=True)) == [
            first_sale.pk
        ]
    assert not MilestoneProgress.objects.exclude(member=seller).exists()  # buyers reach nothing
