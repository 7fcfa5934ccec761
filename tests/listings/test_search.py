"""selectors.listings_search on PostgreSQL: keywords, typos, every filter, sorts, facets, pages and bad input."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from community.models import Verification, VerificationKind, VerificationStatus
from listings import selectors, services
from tests.factories import MemberFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db

BRISTOL = (Decimal("51.454500"), Decimal("-2.587900"))
KM = 1 / 111.2  # degrees of latitude in a kilometre, as the selector reckons them
_n = count(1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def publish(cat, *, seller=None, description: str | None = None, **overrides):
    """A published listing from its own seller, so the near-duplicate check never compares two of them."""
    n = next(_n)
    overrides["description"] = description or (
        f"Listing number {n} in the test catalogue: a well made thing, described at enough length for the "
        "quality checks, with care and some detail."
    )
    return f.published(seller or MemberFactory(), cat, **overrides)


def search(**query):
    return selectors.listings_search(selectors.search_params_parse({k: str(v) for k, v in query.items()}))


def ids(result) -> list[int]:
    return [listing.pk for listing in result.results]


@pytest.fixture
def goods():
    return f.category("Ceramics", schema=f.GOODS_SCHEMA)


@pytest.fixture
def lessons():
    return f.category("Lessons", schema=f.SERVICE_SCHEMA)


def next_weekday(weekday: int) -> date:
    """The first given weekday (0 is Monday) at least two days ahead."""
    day = timezone.localdate() + timedelta(days=2)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


# --- keywords -------------------------------------------------------------------------------------------------------


def test_a_title_match_ranks_above_a_description_only_match(goods):
    in_description = publish(
        goods,
        title="Turned fruit bowl",
        description="A fruit bowl turned on the lathe from a single piece of walnut, oiled and waxed, about 30 cm "
        "across and 9 cm deep.",
    )
    in_title = publish(
        goods,
        title="Walnut salad bowl",
        description="A wide salad bowl turned on the lathe from one piece of seasoned hardwood, oiled and waxed, "
        "about 28 cm across.",
    )
    publish(
        goods,
        title="Oak spoon",
        description="A carved oak spoon for the kitchen, oiled, long enough to stir a "
        "deep pot and sturdy enough to last years.",
    )
    assert ids(search(q="walnut")) == [in_title.pk, in_description.pk]


def test_a_typo_still_finds_the_word_by_trigram_similarity(goods):
    listing = publish(goods, title="Stoneware mug")
    assert ids(search(q="stonewear")) == [listing.pk]


def test_a_typo_finds_the_word_in_a_longer_title(goods):
    listing = publish(goods, title="Hand-thrown stoneware mug 3")
    assert ids(search(q="stonewear")) == [listing.pk]


# --- filters --------------------------------------------------------------------------------------------------------


def test_a_category_includes_its_descendants(goods):
    mugs = f.category("Mugs", parent=goods)
    espresso = f.category("Espresso cups", parent=mugs)
    other = f.category("Textiles")
    in_grandchild = publish(espresso)
    in_child = publish(mugs)
    in_root = publish(goods)
    publish(other)
    assert set(ids(search(category=goods.slug))) == {in_grandchild.pk, in_child.pk, in_root.pk}
    assert set(ids(search(category=mugs.slug))) == {in_grandchild.pk, in_child.pk}


def test_price_range_in_minor_units_includes_both_ends(goods):
    cheap = publish(goods, price_amount=1000)
    middle = publish(goods, price_amount=2400)
    dear = publish(goods, price_amount=5000)
    assert ids(search(min_price=2000, max_price=3000)) == [middle.pk]
    assert set(ids(search(min_price=1000, max_price=2400))) == {cheap.pk, middle.pk}
    assert set(ids(search(min_price=2401))) == {dear.pk}


def test_radius_keeps_a_listing_5_km_away_and_drops_one_50_km_away(goods):
    lat, lng = BRISTOL
    near = publish(goods, latitude=(lat + Decimal(5 * KM)).quantize(Decimal("0.000001")), longitude=lng)
    publish(goods, latitude=(lat + Decimal(50 * KM)).quantize(Decimal("0.000001")), longitude=lng)
    publish(goods, latitude=None, longitude=None)
    result = search(lat=lat, lng=lng, radius_km=10)
    assert ids(result) == [near.pk]
    assert result.results[0].distance_km == pytest.approx(5, abs=0.05)


def test_availability_over_a_date_range_skips_blocked_dates(lessons, goods):
    seller = MemberFactory()
    lesson = publish(lessons, seller=seller, **f.booking_overrides())  # Monday to Friday, 9 to 5
    publish(goods)  # an item is never "available" on dates
    monday, tuesday, saturday = next_weekday(0), next_weekday(0) + timedelta(days=1), next_weekday(5)
    assert ids(search(available_from=monday, available_to=monday)) == [lesson.pk]
    assert ids(search(available_from=saturday, available_to=saturday + timedelta(days=1))) == []

    services.listing_availability_set(
        listing_id=lesson.pk,
        seller=seller,
        rules=[
            {"weekday": r.weekday, "start_time": r.start_time, "end_time": r.end_time}
            for r in lesson.availability_rules.all()
        ],
        blocked_dates=[monday],
    )
    assert ids(search(available_from=monday, available_to=monday)) == []
    assert ids(search(available_from=monday, available_to=tuesday)) == [lesson.pk]


def test_attribute_filter_of_the_category(goods):
    new = publish(goods, attributes={"condition": "new", "size": "M"})
    used = publish(goods, attributes={"condition": "used", "size": "M"})
    assert ids(search(category=goods.slug, **{"attr.condition": "used"})) == [used.pk]
    assert ids(search(category=goods.slug, **{"attr.condition": "new", "attr.size": "M"})) == [new.pk]
    with pytest.raises(ValidationError) as error:
        search(category=goods.slug, **{"attr.colour": "red"})
    assert "attr.colour" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        search(**{"attr.condition": "new"})
    assert "category" in error.value.message_dict


def test_verified_sellers_only(goods):
    checked = MemberFactory()
    Verification.objects.create(member=checked, kind=VerificationKind.GOVERNMENT_ID, status=VerificationStatus.APPROVED)
    pending = MemberFactory()
    Verification.objects.create(member=pending, kind=VerificationKind.GOVERNMENT_ID, status=VerificationStatus.PENDING)
    verified = publish(goods, seller=checked)
    publish(goods, seller=pending)
    publish(goods)
    assert ids(search(verified="1")) == [verified.pk]
    assert len(ids(search())) == 3


# --- sorting --------------------------------------------------------------------------------------------------------


def test_sort_by_price_newest_and_distance(goods):
    lat, lng = BRISTOL
    first = publish(goods, price_amount=3000, latitude=(lat + Decimal(8 * KM)).quantize(Decimal("0.000001")))
    second = publish(goods, price_amount=1000, latitude=(lat + Decimal(2 * KM)).quantize(Decimal("0.000001")))
    third = publish(goods, price_amount=2000, latitude=(lat + Decimal(5 * KM)).quantize(Decimal("0.000001")))
    assert ids(search(sort="price_asc")) == [second.pk, third.pk, first.pk]
    assert ids(search(sort="price_desc")) == [first.pk, third.pk, second.pk]
    assert ids(search(sort="newest")) == [third.pk, second.pk, first.pk]
    assert ids(search(sort="distance", lat=lat, lng=lng, radius_km=20)) == [second.pk, third.pk, first.pk]


# --- facets and pages -----------------------------------------------------------------------------------------------


def test_facet_counts(goods, lessons):
    mugs = f.category("Mugs", parent=goods)
    publish(mugs, price_amount=500, attributes={"condition": "new"})
    publish(goods, price_amount=2400, attributes={"condition": "used"})
    publish(goods, price_amount=2500, attributes={"condition": "used", "size": "L"})
    publish(lessons, **f.booking_overrides(price_amount=30000))

    everything = search().facets
    assert everything["categories"] == [
        {"slug": goods.slug, "name": "Ceramics", "count": 3},
        {"slug": lessons.slug, "name": "Lessons", "count": 1},
    ]
    assert everything["kind"] == {"item": 3, "booking": 1}
    assert [band["count"] for band in everything["price"]] == [1, 2, 0, 1]
    assert everything["attributes"] == {}

    ceramics = search(category=goods.slug).facets
    assert ceramics["categories"] == [{"slug": mugs.slug, "name": "Mugs", "count": 1}]
    assert ceramics["attributes"]["condition"] == [
        {"value": "new", "count": 1},
        {"value": "like new", "count": 0},
        {"value": "used", "count": 2},
    ]
    assert ceramics["attributes"]["size"] == [
        {"value": "S", "count": 0},
        {"value": "M", "count": 0},
        {"value": "L", "count": 1},
    ]


def test_pagination(goods):
    made = [publish(goods) for _ in range(5)]
    newest_first = [listing.pk for listing in reversed(made)]
    pages = [search(page_size=2, page=page) for page in (1, 2, 3)]
    assert [ids(page) for page in pages] == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    assert (pages[0].count, pages[0].num_pages) == (5, 3)
    assert (pages[0].has_previous, pages[0].has_next, pages[2].has_next) == (False, True, False)
    assert ids(search(page_size=2, page=99)) == newest_first[4:]  # past the end: the last page


def test_drafts_paused_and_archived_listings_never_appear(goods):
    seller = MemberFactory()
    live = publish(goods, seller=seller, title="Live stoneware jug")
    f.draft(
        seller,
        goods,
        title="Draft stoneware jug",
        description="A draft that nobody else may see yet, with "
        "enough words to pass the checks if it were published one day.",
    )
    paused = publish(goods, title="Paused stoneware jug")
    services.listing_pause(listing_id=paused.pk, seller=paused.seller)
    archived = publish(goods, title="Archived stoneware jug")
    services.listing_archive(listing_id=archived.pk, seller=archived.seller)
    assert ids(search()) == [live.pk]
    assert ids(search(q="stoneware jug")) == [live.pk]
    assert search().facets["categories"] == [{"slug": goods.slug, "name": "Ceramics", "count": 1}]


# --- bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"min_price": "5000", "max_price": "1000"}, "max_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "lots"}, "min_price"),
        ({"lat": "51.45"}, "radius_km"),
        ({"lat": "51.45", "lng": "-2.58", "radius_km": "9000"}, "radius_km"),
        ({"sort": "cheapest"}, "sort"),
        ({"sort": "distance"}, "sort"),
        ({"available_from": "2030-01-01", "available_to": "2030-02-09"}, "available_to"),
        ({"available_from": "2030-01-10", "available_to": "2030-01-01"}, "available_to"),
        ({"available_from": "2030-01-10"}, "available_to"),
        ({"available_from": "tomorrow", "available_to": "2030-01-01"}, "available_from"),
        ({"kind": "service"}, "kind"),
        ({"page_size": "1000"}, "page_size"),
    ],
)
def test_bad_parameters_are_field_errors(query, field):
    with pytest.raises(ValidationError) as error:
        selectors.search_params_parse(query)
    assert field in error.value.message_dict


def test_an_unknown_category_is_a_field_error():
    with pytest.raises(ValidationError) as error:
        search(category="no-such-category")
    assert "category" in error.value.message_dict


# --- bounded candidates, typo corrections, availability details -----------------------------------------------------


def test_a_typo_is_corrected_from_the_vocabulary_and_the_correction_is_reported(goods):
    listing = publish(goods, title="Rattan garden chair")
    result = search(q="rattn chair")
    assert ids(result) == [listing.pk]
    assert result.keywords.corrections == {"rattn": "rattan"}
    assert search(q="rattan chair").keywords.corrections == {}


def test_the_vocabulary_rebuild_forgets_words_of_archived_listings(goods):
    seller = MemberFactory()
    listing = publish(goods, seller=seller, title="Zebrawood jewellery box")
    assert search(q="zebrawod").keywords.corrections  # known while the listing is live
    services.listing_archive(listing_id=listing.pk, seller=seller)
    services.search_terms_rebuild()
    assert search(q="zebrawod").keywords.corrections == {}


def test_a_search_matching_more_than_the_cap_counts_facets_and_pages_the_first_ones(goods, lessons, monkeypatch):
    monkeypatch.setattr(selectors, "RESULT_CAP", 3)
    listings = [publish(goods, title=f"Blue jug {n}") for n in range(4)]
    booking = publish(lessons, **f.booking_overrides(title="Blue jug painting lesson"))
    result = search(q="blue jug", page_size=2)
    assert result.capped is True
    assert result.count == 3
    assert result.num_pages == 2
    assert sum(band["count"] for band in result.facets["price"]) == 3
    seen = ids(result) + ids(search(q="blue jug", page_size=2, page=2))
    assert len(seen) == len(set(seen)) == 3
    # The candidates are the newest matches: the oldest listing is beyond the cap.
    assert set(seen) == {booking.pk, listings[3].pk, listings[2].pk}
    assert search(q="blue jug", category=lessons.slug).capped is False


def test_a_day_with_its_own_opening_hours_is_available_outside_the_weekly_plan(lessons):
    from listings.models import AvailabilityException

    lesson = publish(lessons, **f.booking_overrides())  # Monday to Friday
    saturday = next_weekday(5)
    assert ids(search(available_from=saturday, available_to=saturday)) == []
    AvailabilityException.objects.create(
        listing=lesson, date=saturday, blocked=False, start_time="10:00", end_time="12:00"
    )
    assert ids(search(available_from=saturday, available_to=saturday)) == [lesson.pk]


def test_availability_respects_how_far_ahead_a_listing_can_be_booked(lessons):
    lesson = publish(lessons, **f.booking_overrides(max_advance_days=14))
    soon, later = next_weekday(0), next_weekday(0) + timedelta(days=28)
    assert ids(search(available_from=soon, available_to=soon)) == [lesson.pk]
    assert ids(search(available_from=later, available_to=later)) == []


def test_a_week_whose_open_days_are_all_blocked_drops_the_listing(lessons):
    seller = MemberFactory()
    lesson = publish(lessons, seller=seller, **f.booking_overrides())
    monday = next_weekday(0)
    week = [monday + timedelta(days=n) for n in range(7)]
    rules = [
        {"weekday": r.weekday, "start_time": r.start_time, "end_time": r.end_time}
        for r in lesson.availability_rules.all()
    ]
    services.listing_availability_set(listing_id=lesson.pk, seller=seller, rules=rules, blocked_dates=week[:4])
    assert ids(search(available_from=week[0], available_to=week[6])) == [lesson.pk]  # Friday is still open
    services.listing_availability_set(listing_id=lesson.pk, seller=seller, rules=rules, blocked_dates=week[:5])
    assert ids(search(available_from=week[0], available_to=week[6])) == []


def test_minimum_seller_rating_and_the_rating_sort(goods):
    from decimal import Decimal

    from community.services import profile_rating_set

    excellent, good, unrated = MemberFactory(), MemberFactory(), MemberFactory()
    profile_rating_set(member=excellent, average=Decimal("4.8"), count=12)
    profile_rating_set(member=good, average=Decimal("4.1"), count=3)
    by_excellent = publish(goods, seller=excellent)
    by_good = publish(goods, seller=good)
    by_unrated = publish(goods, seller=unrated)
    assert ids(search(min_rating="4.5")) == [by_excellent.pk]
    assert set(ids(search(min_rating=4))) == {by_excellent.pk, by_good.pk}
    assert ids(search(sort="rating")) == [by_excellent.pk, by_good.pk, by_unrated.pk]
    with pytest.raises(ValidationError):
        profile_rating_set(member=unrated, average=Decimal("5.5"), count=1)
    with pytest.raises(ValidationError):
        profile_rating_set(member=unrated, average=None, count=2)


def test_the_nightly_task_rebuilds_the_vocabulary_with_document_counts(goods, settings):
    from listings.models import SearchTerm
    from listings.tasks import search_terms_rebuild

    assert settings.CELERY_BEAT_SCHEDULE["listings-search-vocabulary"]["task"] == search_terms_rebuild.name
    publish(goods, title="Walnut chopping board")
    publish(goods, title="Walnut serving board")
    SearchTerm.objects.all().delete()
    assert search_terms_rebuild.apply().get() > 0
    assert SearchTerm.objects.get(word="walnut").documents == 2


def test_the_cached_category_tree_follows_new_renamed_and_moved_categories(goods):
    assert search(category=goods.slug).category == goods
    textiles = f.category("Textiles")
    assert search(category=textiles.slug).category == textiles  # created after the tree was cached
    textiles.name = "Textiles and yarn"
    textiles.save()
    assert any(node.name == "Textiles and yarn" for node in selectors.categories_tree())
    textiles.refresh_from_db()
    textiles.move(goods, pos="sorted-child")
    moved = next(node for node in selectors.categories_tree() if node.pk == textiles.pk)
    assert moved.depth == 2
