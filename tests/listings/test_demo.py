"""`seed_demo`'s listings: a category tree and about fifty published listings with photos, loaded idempotently."""

import pytest
from django.core.management import call_command
from wagtail.images import get_image_model

from listings import selectors
from listings.demo import LISTINGS, photo_bytes
from listings.models import AvailabilityRule, Category, Listing, ListingKind, ListingPhoto, ListingStatus

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "categories": Category.objects.count(),
        "listings": Listing.objects.count(),
        "photos": ListingPhoto.objects.count(),
        "images": get_image_model().objects.count(),
        "rules": AvailabilityRule.objects.count(),
    }


def test_seed_demo_publishes_listings_once(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first

    published = Listing.objects.filter(status=ListingStatus.PUBLISHED)
    assert published.count() == len(LISTINGS) >= 45
    kinds = set(published.values_list("kind", flat=True))
    assert kinds == {ListingKind.ITEM, ListingKind.BOOKING}
    assert not Listing.objects.filter(photos__isnull=True).exists()
    assert published.values("seller").distinct().count() == 4
    assert published.values("location_name").distinct().count() >= 6
    # every booking has a weekly plan; every listing's attributes passed the category schema on publish
    assert not published.filter(kind=ListingKind.BOOKING, availability_rules__isnull=True).exists()

    lessons = Category.objects.get(slug="lessons")
    assert {d["name"] for d in lessons.effective_schema()} >= {"skill_level", "session_minutes"}
    assert lessons.tips and lessons.description_templates[0].keys() == {"title", "body"}

    found = selectors.listings_search(selectors.search_params_parse({"q": "pottery"}))
    assert found.count >= 2
    assert all("pottery" in (x.title + x.description).lower() for x in found.results)
    bikes = selectors.listings_search(selectors.search_params_parse({"q": "bike repair", "category": "services"}))
    assert {x.title for x in bikes.results} == {
        "Bicycle service and tune-up",
        "Mobile bike repair around central Madrid",
    }
    near_york = selectors.listings_search(
        selectors.search_params_parse({"lat": "53.96", "lng": "-1.08", "radius_km": "10", "page_size": "100"})
    )
    assert near_york.count >= 5
    assert all("York" in x.location_name or x.location_name.endswith(", York") for x in near_york.results)


def test_demo_photos_are_small_distinct_jpegs():
    first = photo_bytes("Hand-thrown stoneware mugs", "ceramics", 0)
    assert first[:3] == b"\xff\xd8\xff"
    assert len(first) < 200_000
    assert photo_bytes("Hand-thrown stoneware mugs", "ceramics", 0) == first
    assert photo_bytes("Hand-thrown stoneware mugs", "ceramics", 1) != first
