from datetime import timedelta

import pytest
from django.utils import timezone

from listings import selectors
from listings.models import ListingStatus
from tests.factories import MemberFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db


def test_a_published_listing_is_found_by_keyword():
    seller = MemberFactory()
    goods = f.category("Ceramics", schema=f.GOODS_SCHEMA)
    listing = f.published(seller, goods)
    assert listing.status == ListingStatus.PUBLISHED
    result = selectors.listings_search(selectors.search_params_parse({"q": "stoneware teal"}))
    assert [found.pk for found in result.results] == [listing.pk]
    assert result.facets["categories"] == [{"slug": goods.slug, "name": "Ceramics", "count": 1}]


def test_a_booking_is_found_on_an_available_date():
    seller = MemberFactory()
    lessons = f.category("Lessons", schema=f.SERVICE_SCHEMA)
    listing = f.published(seller, lessons, **f.booking_overrides())
    # Within the 90 days the listing can be booked ahead (a date in 2030 is not).
    start = timezone.localdate() + timedelta(days=7)
    monday = (start + timedelta(days=-start.weekday())).isoformat()
    sunday = (start + timedelta(days=6 - start.weekday())).isoformat()
    found = selectors.listings_search(selectors.search_params_parse({"available_from": monday, "available_to": monday}))
    none = selectors.listings_search(selectors.search_params_parse({"available_from": sunday, "available_to": sunday}))
    assert [x.pk for x in found.results] == [listing.pk]
    assert none.results == []
