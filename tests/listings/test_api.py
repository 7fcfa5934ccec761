"""The listings API: categories, search, listing detail, and a seller's drafts, photos and status changes."""

from __future__ import annotations

import io
import random
from datetime import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.models import Member, Verification, VerificationKind, VerificationStatus
from listings import api as listings_api
from listings import services
from listings.models import AvailabilityRule, Listing, ListingPhoto, ListingStatus
from listings.models.listings import MAX_PHOTOS
from tests.factories import MemberFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/categories"
LISTINGS = "/api/v1/listings"


def detail_url(listing: Listing | int) -> str:
    return f"{LISTINGS}/{getattr(listing, 'pk', listing)}"


def bearer(member: Member) -> dict:
    token, _created = Token.objects.get_or_create(user=member)
    return {"HTTP_AUTHORIZATION": f"Bearer {token.key}"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def seller():
    return MemberFactory(display_name="Potter Pat")


@pytest.fixture
def stranger():
    return MemberFactory(display_name="Someone Else")


@pytest.fixture
def goods():
    return f.category("Ceramics", schema=f.GOODS_SCHEMA)


@pytest.fixture
def lessons():
    return f.category("Lessons", schema=f.SERVICE_SCHEMA)


def item_payload(cat, **overrides) -> dict:
    payload = {
        "title": "Hand-thrown stoneware jug",
        "description": (
            "A sturdy hand-thrown stoneware jug glazed in deep teal. It holds a litre, pours cleanly and is safe "
            "in the dishwasher."
        ),
        "category": cat.slug,
        "kind": "item",
        "price": {"amount": 3500, "currency": "GBP"},
        "quantity": 2,
        "location": {"name": "Bristol", "lat": 51.454513, "lng": -2.587910},
        "attributes": {"condition": "new", "size": "M"},
        "tags": ["Stoneware", "kitchen"],
    }
    payload.update(overrides)
    return payload


def booking_payload(cat, **overrides) -> dict:
    payload = {
        "title": "Wheel-throwing lesson",
        "description": "Two hours at the wheel in my Bristol studio: clay, glazes and firing are all included.",
        "category": cat.pk,
        "kind": "booking",
        "price": {"amount": 4500, "currency": "GBP"},
        "price_unit": "hour",
        "capacity": 4,
        "location": {"name": "Bristol", "lat": 51.45, "lng": -2.58},
        "attributes": {"skill_level": "beginner", "session_minutes": 120},
        "availability": [
            {"weekday": 0, "start_time": "09:00", "end_time": "12:00"},
            {"weekday": 2, "start_time": "13:30", "end_time": "17:00"},
        ],
        "blocked_dates": ["2099-12-25"],
    }
    payload.update(overrides)
    return payload


def image_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return f.png_upload(name)


WORDS = ["ash", "birch", "cedar", "damson", "elder", "fir", "gorse", "hazel", "iris", "juniper", "kale", "larch"]


def distinct_description(n: int) -> str:
    """A description long enough to publish that the near-duplicate check does not confuse with others."""
    pick = random.Random(n)
    return f"Listing {n}: " + " ".join(pick.choice(WORDS) for _ in range(16)) + "."


# --- categories ------------------------------------------------------------------------------------------------


def test_categories_are_public_with_parents_depth_and_effective_schemas(api, goods):
    # given a child category that adds an attribute to its parent's schema
    mugs = f.category("Mugs", parent=goods, schema=[{"name": "capacity_ml", "label": "Capacity", "type": "integer"}])
    goods.tips = "Photograph it in daylight."
    goods.save()
    # when anyone asks for the tree
    response = api.get(CATEGORIES)
    # then each node carries its parent, depth and the schema it inherits plus its own
    assert response.status_code == 200
    by_slug = {row["slug"]: row for row in response.json()}
    assert by_slug[goods.slug] == {
        "id": goods.pk,
        "slug": goods.slug,
        "name": "Ceramics",
        "parent": None,
        "depth": 1,
        "attribute_schema": f.GOODS_SCHEMA,
        "tips": "Photograph it in daylight.",
    }
    child = by_slug[mugs.slug]
    assert child["parent"] == goods.pk
    assert child["depth"] == 2
    mugs.refresh_from_db()
    assert child["attribute_schema"] == mugs.effective_schema()
    assert [d["name"] for d in child["attribute_schema"]] == ["condition", "size", "capacity_ml"]


def test_categories_cost_the_same_queries_however_deep_the_tree(api, goods):
    parent = goods
    for level in range(4):
        parent = f.category(f"Level {level}", parent=parent, schema=[{"name": f"a{level}", "type": "text"}])
    with CaptureQueriesContext(connection) as queries:
        response = api.get(CATEGORIES)
    assert response.status_code == 200
    assert len(response.json()) == 5
    assert len(queries) == 1


# --- search ----------------------------------------------------------------------------------------------------


def test_search_returns_cards_with_rounded_location_photo_and_seller(api, seller, goods):
    Verification.objects.create(member=seller, kind=VerificationKind.GOVERNMENT_ID, status=VerificationStatus.APPROVED)
    listing = f.published(seller, goods, tags=["teal"])
    f.draft(seller, goods)  # drafts never appear in search
    response = api.get(LISTINGS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results", "facets"}
    assert body["count"] == 1
    assert body["next"] is None and body["previous"] is None
    [card] = body["results"]
    assert card["id"] == listing.pk
    assert card["slug"] == listing.slug
    assert card["url"] == f"http://testserver/listings/{listing.slug}/"
    assert card["title"] == listing.title
    assert card["kind"] == "item"
    assert card["price"] == {"amount": 2400, "currency": "GBP"}
    assert card["price_unit"] == "each"
    # the factory places it at 51.454500, -2.587900: the public sees two decimals only
    assert card["location"] == {"name": "Bristol", "lat": 51.45, "lng": -2.59}
    assert card["photo"].startswith("http://testserver/")
    assert "fill-400x300" in card["photo"]
    assert card["seller"] == {"id": seller.pk, "display_name": "Potter Pat", "verified": True, "rating": None}


def test_a_seller_with_only_email_and_phone_is_not_verified(api, seller, goods):
    for kind in (VerificationKind.EMAIL, VerificationKind.PHONE):
        Verification.objects.create(member=seller, kind=kind, status=VerificationStatus.APPROVED)
    Verification.objects.create(member=seller, kind=VerificationKind.BUSINESS, status=VerificationStatus.PENDING)
    f.published(seller, goods)
    [card] = api.get(LISTINGS).json()["results"]
    assert card["seller"]["verified"] is False
    assert api.get(LISTINGS, {"verified": "true"}).json()["count"] == 0


def test_search_filters_by_keyword_category_price_and_radius_with_facets(api, seller, goods, lessons):
    mugs = f.category("Mugs", parent=goods, schema=[])
    mug = f.published(seller, mugs, price_amount=1500, attributes={"condition": "used"})
    jug = f.published(
        seller,
        goods,
        title="Enamel milk jug",
        description="A white enamel milk jug with a blue rim, a few chips on the handle, from a farmhouse kitchen.",
        price_amount=8000,
        location_name="Leeds",
        latitude=Decimal("53.800800"),
        longitude=Decimal("-1.549100"),
    )
    lesson = f.published(seller, lessons, **f.booking_overrides(price_amount=4500))

    def ids(**params) -> set[int]:
        response = api.get(LISTINGS, params)
        assert response.status_code == 200, response.json()
        return {card["id"] for card in response.json()["results"]}

    assert ids() == {mug.pk, jug.pk, lesson.pk}
    assert ids(q="enamel") == {jug.pk}
    assert ids(category=goods.slug) == {mug.pk, jug.pk}  # with its descendants
    assert ids(category=mugs.slug) == {mug.pk}
    assert ids(min_price=2000, max_price=5000) == {lesson.pk}
    assert ids(kind="booking") == {lesson.pk}
    # within 20 km of central Bristol: not the Leeds jug
    assert ids(lat=51.4545, lng=-2.5879, radius_km=20) == {mug.pk, lesson.pk}
    assert ids(category=goods.slug, **{"attr.condition": "used"}) == {mug.pk}
    # facets count the filtered results
    facets = api.get(LISTINGS, {"category": goods.slug}).json()["facets"]
    assert facets["categories"] == [{"slug": mugs.slug, "name": "Mugs", "count": 1}]
    assert facets["kind"] == {"item": 2}
    assert {band["min"]: band["count"] for band in facets["price"]} == {0: 0, 1000: 1, 5000: 1, 20000: 0}
    assert facets["attributes"]["condition"] == [
        {"value": "new", "count": 1},
        {"value": "like new", "count": 0},
        {"value": "used", "count": 1},
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_price": "cheap"}, "min_price"),
        ({"lat": "51.4", "lng": "-2.5"}, "radius_km"),
        ({"sort": "random"}, "sort"),
        ({"category": "no-such-category"}, "category"),
    ],
    ids=["price-not-a-number", "lat-without-radius", "unknown-sort", "unknown-category"],
)
def test_bad_search_parameters_are_a_400_naming_the_parameter(api, params, field):
    response = api.get(LISTINGS, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_search_pages_link_to_each_other_keeping_the_filters(api, seller, goods):
    for n in range(5):
        f.published(seller, goods, description=distinct_description(n))
    first = api.get(LISTINGS, {"category": goods.slug, "page_size": 2}).json()
    assert first["count"] == 5
    assert first["previous"] is None
    next_url = urlsplit(first["next"])
    assert next_url.scheme == "http" and next_url.netloc == "testserver" and next_url.path == LISTINGS
    assert parse_qs(next_url.query) == {"category": [goods.slug], "page_size": ["2"], "page": ["2"]}
    second = api.get(first["next"]).json()
    assert parse_qs(urlsplit(second["previous"]).query) == {"category": [goods.slug], "page_size": ["2"]}
    third = api.get(second["next"]).json()
    assert third["next"] is None
    assert parse_qs(urlsplit(third["previous"]).query)["page"] == ["2"]
    seen = [card["id"] for page in (first, second, third) for card in page["results"]]
    assert len(seen) == len(set(seen)) == 5


def test_search_query_count_does_not_grow_with_the_page_size(api, goods, lessons):
    # given over a hundred listings in two top-level categories from several sellers, some verified, two photos each
    sellers = [MemberFactory() for _ in range(3)]
    Verification.objects.create(
        member=sellers[0], kind=VerificationKind.GOVERNMENT_ID, status=VerificationStatus.APPROVED
    )
    template = f.published(sellers[0], goods, photos=2)
    mugs = f.category("Mugs", parent=goods)
    for n in range(104):
        listing = services.listing_create(
            seller=sellers[n % 3],
            data=f.listing_data(mugs if n % 2 else goods, price_amount=1000 + n, tags=["mug", f"n{n}"]),
        )
        ListingPhoto.objects.bulk_create(
            [ListingPhoto(listing=listing, image=photo.image, alt=photo.alt) for photo in template.photos.all()]
        )
    f.published(sellers[1], lessons, **f.booking_overrides())
    Listing.objects.update(status=ListingStatus.PUBLISHED, published_at=template.published_at)

    def queries_for(**params) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(LISTINGS, params)
        assert response.status_code == 200, response.json()
        results = response.json()["results"]
        assert len(results) == params["page_size"]
        assert all(card["photo"] for card in results)
        assert {card["seller"]["verified"] for card in results} == {True, False}
        return len(queries)

    sizes = (10, 50, 100)
    queries_for(page_size=10)  # the category tree is read once, then cached until a category changes
    plain = {n: queries_for(page_size=n) for n in sizes}
    filtered = {
        n: queries_for(page_size=n, category=goods.slug, q="stoneware", sort="price_asc", **{"attr.condition": "new"})
        for n in sizes
    }
    geo = {n: queries_for(page_size=n, lat=51.45, lng=-2.58, radius_km=10, min_price=1000) for n in sizes}
    assert len(set(plain.values())) == 1, plain
    assert len(set(filtered.values())) == 1, filtered
    assert len(set(geo.values())) == 1, geo


# --- listing detail --------------------------------------------------------------------------------------------


def test_a_published_listing_is_public_with_its_full_detail(api, seller, lessons):
    listing = f.published(seller, lessons, **f.booking_overrides(tags=["pottery", "Clay"]))
    response = api.get(detail_url(listing))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == listing.pk
    assert body["status"] == "published"
    assert body["kind"] == "booking"
    assert body["price_unit"] == "hour"
    assert body["description"] == listing.description
    assert body["description_html"].startswith("<p>")
    assert body["category"] == {"id": lessons.pk, "slug": lessons.slug, "name": "Lessons"}
    assert body["tags"] == ["clay", "pottery"]
    assert body["attributes"] == {}
    [photo] = body["photos"]
    assert photo["alt"] == "Photo 1"
    assert photo["url"].startswith("http://testserver/") and "max-1200x900" in photo["url"]
    assert body["photo"] == photo["thumbnail"]
    assert [rule["weekday"] for rule in body["availability"]] == [0, 1, 2, 3, 4]
    assert body["availability"][0] == {"weekday": 0, "start_time": "09:00:00", "end_time": "17:00:00"}
    assert body["capacity"] == 1 and body["lead_time_hours"] == 24 and body["max_advance_days"] == 90
    assert body["quantity"] is None
    assert body["location"] == {"name": "Bristol", "lat": 51.45, "lng": -2.59}


def test_a_draft_is_404_to_anonymous_and_other_members_and_visible_to_its_owner(api, seller, stranger, goods):
    draft = f.draft(seller, goods)
    anonymous = api.get(detail_url(draft))
    assert anonymous.status_code == 404
    assert list(anonymous.json()) == ["detail"]
    other = api.get(detail_url(draft), **bearer(stranger))
    assert other.status_code == 404
    assert other.json() == anonymous.json() == api.get(detail_url(999_999)).json()
    own = api.get(detail_url(draft), **bearer(seller))
    assert own.status_code == 200
    assert own.json()["status"] == "draft"
    # the owner sees the exact coordinates they gave
    assert own.json()["location"] == {"name": "Bristol", "lat": 51.4545, "lng": -2.5879}
    assert own.json()["quantity"] == 3


@pytest.mark.parametrize("transition", ["pause", "archive"])
def test_paused_and_archived_listings_are_404_to_everyone_but_the_owner(api, seller, stranger, goods, transition):
    listing = f.published(seller, goods)
    getattr(services, f"listing_{transition}")(listing_id=listing.pk, seller=seller)
    assert api.get(detail_url(listing)).status_code == 404
    assert api.get(detail_url(listing), **bearer(stranger)).status_code == 404
    assert api.get(detail_url(listing), **bearer(seller)).status_code == 200


def test_listing_detail_query_count_does_not_grow_with_photos(api, seller, goods):
    one = f.published(seller, goods, photos=1)
    many = f.published(
        seller,
        goods,
        photos=4,
        description="Four photos of a speckled porcelain bowl, glazed inside in pale celadon and unglazed outside.",
    )
    counts = []
    for listing in (one, many):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(detail_url(listing)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


# --- creating --------------------------------------------------------------------------------------------------


def test_a_member_creates_an_item_draft(api, seller, goods):
    response = api.post(LISTINGS, item_payload(goods), format="json", **bearer(seller))
    assert response.status_code == 201, response.json()
    body = response.json()
    listing = Listing.objects.get(pk=body["id"])
    assert listing.seller == seller
    assert listing.status == ListingStatus.DRAFT
    assert listing.category == goods
    assert listing.price_amount == 3500 and listing.currency == "GBP"
    assert listing.latitude == Decimal("51.454513") and listing.longitude == Decimal("-2.587910")
    assert listing.attributes == {"condition": "new", "size": "M"}
    assert sorted(listing.tags.names()) == ["kitchen", "stoneware"]
    assert body["status"] == "draft"
    assert body["price"] == {"amount": 3500, "currency": "GBP"}
    assert body["quantity"] == 2
    assert body["tags"] == ["kitchen", "stoneware"]
    assert body["photos"] == [] and body["photo"] is None
    assert body["slug"] == listing.slug == f"hand-thrown-stoneware-jug-{listing.pk}"


def test_a_member_creates_a_booking_draft_with_weekly_availability(api, seller, lessons):
    response = api.post(LISTINGS, booking_payload(lessons), format="json", **bearer(seller))
    assert response.status_code == 201, response.json()
    body = response.json()
    listing = Listing.objects.get(pk=body["id"])
    assert listing.kind == "booking" and listing.price_unit == "hour" and listing.capacity == 4
    assert listing.attributes == {"skill_level": "beginner", "session_minutes": 120}
    rules = [(r.weekday, r.start_time, r.end_time) for r in listing.availability_rules.all()]
    assert rules == [(0, time(9), time(12)), (2, time(13, 30), time(17))]
    assert [str(d.date) for d in listing.availability_exceptions.all()] == ["2099-12-25"]
    assert body["availability"] == [
        {"weekday": 0, "start_time": "09:00:00", "end_time": "12:00:00"},
        {"weekday": 2, "start_time": "13:30:00", "end_time": "17:00:00"},
    ]
    assert body["availability_exceptions"][0]["date"] == "2099-12-25"
    assert body["quantity"] is None


def test_creating_needs_a_signed_in_member(api, goods):
    response = api.post(LISTINGS, item_payload(goods), format="json")
    assert response.status_code == 401
    assert list(response.json()) == ["detail"]
    assert not Listing.objects.exists()


def test_markup_in_the_title_is_stored_and_returned_as_given(api, seller, goods):
    title = '<script>alert("x")</script> Jug <b>bold</b>'
    description = "Nice jug. <script>alert(1)</script> <img src=x onerror=alert(1)> " + "x" * 80
    response = api.post(
        LISTINGS, item_payload(goods, title=title, description=description), format="json", **bearer(seller)
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    # JSON carries the text as given: escaping is the client's job
    assert body["title"] == title
    assert body["description"] == description
    assert Listing.objects.get(pk=body["id"]).title == title
    # the rendered description shows the markup as inert text
    html = body["description_html"]
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_markup_sent_through_the_api_is_inert_on_the_listing_page(api, client, seller, goods):
    title = '<script>alert("x")</script> Jug'
    response = api.post(LISTINGS, item_payload(goods, title=title), format="json", **bearer(seller))
    assert response.status_code == 201, response.json()
    listing = Listing.objects.get(pk=response.json()["id"])
    client.force_login(seller)
    page = client.get(listing.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert '<script>alert("x")' not in html
    assert "&lt;script&gt;" in html


BAD_INPUT = [
    ({"price": {"amount": -100, "currency": "GBP"}}, "price"),
    ({"price": {"amount": 0, "currency": "GBP"}}, "price"),
    ({"price": {"amount": 10**12, "currency": "GBP"}}, "price"),
    ({"price": {"amount": "12.50", "currency": "GBP"}}, "price"),
    ({"price": {"amount": "1250", "currency": "GBP"}}, "price"),
    ({"price": {"amount": 12.5, "currency": "GBP"}}, "price"),
    ({"price": {"amount": 1250, "currency": "XXX"}}, "price"),
    ({"price": 1250}, "price"),
    ({"category": None}, "category"),
    ({"category": "no-such-category"}, "category"),
    ({"category": 999_999}, "category"),
    ({"attributes": {"condition": "broken"}}, "attributes.condition"),
    ({"attributes": {"size": "M"}}, "attributes.condition"),
    ({"attributes": {"condition": "new", "colour": "teal"}}, "attributes.colour"),
    ({"attributes": ["new"]}, "attributes"),
    ({"location": {"name": "Nowhere", "lat": 200, "lng": 0}}, "location.lat"),
    ({"location": {"name": "Nowhere", "lat": 10}}, "location.lng"),
    ({"title": ""}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"kind": "auction"}, "kind"),
    ({"tags": [f"tag{n}" for n in range(13)]}, "tags"),
]


@pytest.mark.parametrize(
    ("overrides", "field"),
    BAD_INPUT,
    ids=[
        "negative-price",
        "zero-price",
        "price-10-to-the-12",
        "price-as-decimal-string",
        "price-as-integer-string",
        "price-as-float",
        "unknown-currency",
        "price-not-an-object",
        "no-category",
        "unknown-category-slug",
        "unknown-category-id",
        "attribute-value-outside-schema",
        "required-attribute-missing",
        "attribute-not-in-schema",
        "attributes-not-an-object",
        "latitude-200",
        "lat-without-lng",
        "empty-title",
        "long-title",
        "unknown-kind",
        "thirteen-tags",
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(api, seller, goods, overrides, field):
    response = api.post(LISTINGS, item_payload(goods, **overrides), format="json", **bearer(seller))
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["errors"]
    assert field in body["errors"], body
    assert all(isinstance(message, str) and message for message in body["errors"][field])
    assert not Listing.objects.exists()


def test_a_missing_category_or_price_is_named(api, seller, goods):
    payload = item_payload(goods)
    del payload["category"], payload["price"]
    response = api.post(LISTINGS, payload, format="json", **bearer(seller))
    assert response.status_code == 400
    assert {"category", "price"} <= set(response.json()["errors"])
    assert not Listing.objects.exists()


@pytest.mark.parametrize(
    ("availability", "field"),
    [
        ([{"weekday": 1, "start_time": "17:00", "end_time": "09:00"}], "availability.0.end_time"),
        (
            [
                {"weekday": 1, "start_time": "09:00", "end_time": "10:00"},
                {"weekday": 2, "start_time": "10:00", "end_time": "10:00"},
            ],
            "availability.1.end_time",
        ),
        ([{"weekday": 7, "start_time": "09:00", "end_time": "10:00"}], "availability.0.weekday"),
        ([{"weekday": 1, "start_time": "9 o'clock", "end_time": "10:00"}], "availability.0.start_time"),
    ],
    ids=["ends-before-it-starts", "second-window-empty", "weekday-7", "time-not-a-time"],
)
def test_bad_availability_is_a_400_and_creates_nothing(api, seller, lessons, availability, field):
    response = api.post(LISTINGS, booking_payload(lessons, availability=availability), format="json", **bearer(seller))
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Listing.objects.exists()
    assert not AvailabilityRule.objects.exists()


def test_creation_is_atomic_when_the_availability_step_fails(api, seller, goods):
    # given an item (which cannot have availability) sent with a weekly plan: the draft itself is valid
    payload = item_payload(goods, availability=[{"weekday": 0, "start_time": "09:00", "end_time": "10:00"}])
    response = api.post(LISTINGS, payload, format="json", **bearer(seller))
    # then the availability error comes back and the draft created before it is rolled back
    assert response.status_code == 400
    assert "availability" in response.json()["errors"]
    assert not Listing.objects.exists()


def test_a_booking_must_be_priced_per_time_unit(api, seller, lessons):
    response = api.post(LISTINGS, booking_payload(lessons, price_unit="each"), format="json", **bearer(seller))
    assert response.status_code == 400
    assert "price_unit" in response.json()["errors"]
    assert not Listing.objects.exists()


# --- editing ---------------------------------------------------------------------------------------------------


def test_the_owner_patches_their_listing(api, seller, goods, lessons):
    listing = f.draft(seller, goods, tags=["old"])
    old_slug = listing.slug
    response = api.patch(
        detail_url(listing),
        {"title": "Renamed jug", "price": {"amount": 999}, "attributes": {"condition": "used"}, "tags": ["new"]},
        format="json",
        **bearer(seller),
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["title"] == "Renamed jug"
    assert body["price"] == {"amount": 999, "currency": "GBP"}
    assert body["tags"] == ["new"]
    listing.refresh_from_db()
    assert listing.title == "Renamed jug" and listing.price_amount == 999 and listing.currency == "GBP"
    assert listing.attributes == {"condition": "used"}
    assert listing.slug != old_slug and listing.old_slugs.filter(slug=old_slug).exists()
    # untouched fields stay as they were
    assert listing.location_name == "Bristol" and listing.quantity == 3


def test_patching_only_blocked_dates_keeps_the_weekly_plan(api, seller, lessons):
    listing = f.draft(seller, lessons, **f.booking_overrides())
    response = api.patch(detail_url(listing), {"blocked_dates": ["2099-01-01"]}, format="json", **bearer(seller))
    assert response.status_code == 200, response.json()
    assert len(response.json()["availability"]) == 5
    assert [str(d.date) for d in listing.availability_exceptions.all()] == ["2099-01-01"]


def test_a_bad_patch_is_a_400_and_changes_nothing(api, seller, lessons):
    listing = f.draft(seller, lessons, **f.booking_overrides())
    response = api.patch(
        detail_url(listing),
        {"title": "Changed", "availability": [{"weekday": 1, "start_time": "12:00", "end_time": "11:00"}]},
        format="json",
        **bearer(seller),
    )
    assert response.status_code == 400
    assert "availability.0.end_time" in response.json()["errors"]
    listing.refresh_from_db()
    assert listing.title.startswith("Pottery lesson")
    assert listing.availability_rules.count() == 5
    response = api.patch(detail_url(listing), {"price": {"amount": -1}}, format="json", **bearer(seller))
    assert response.status_code == 400 and "price" in response.json()["errors"]


def test_another_member_cannot_patch_a_listing(api, seller, stranger, goods):
    for listing in (f.draft(seller, goods), f.published(seller, goods, description="x" * 100)):
        response = api.patch(detail_url(listing), {"title": "Mine now"}, format="json", **bearer(stranger))
        assert response.status_code == 404
        assert list(response.json()) == ["detail"]
        # even invalid input gets the 404, not a validation error that would confirm the listing exists
        response = api.patch(detail_url(listing), {"price": {"amount": -1}}, format="json", **bearer(stranger))
        assert response.status_code == 404
        listing.refresh_from_db()
        assert listing.title != "Mine now"
    assert api.patch(detail_url(listing), {"title": "Anon"}, format="json").status_code == 401


# --- photos ----------------------------------------------------------------------------------------------------


def test_the_owner_uploads_a_photo(api, seller, goods):
    listing = f.draft(seller, goods, photos=0)
    response = api.post(
        f"{detail_url(listing)}/photos",
        {"image": image_upload(), "alt": "The jug from the front"},
        format="multipart",
        **bearer(seller),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    photo = ListingPhoto.objects.get(listing=listing)
    assert body["id"] == photo.pk
    assert body["alt"] == "The jug from the front"
    assert body["url"].startswith("http://testserver/") and "max-1200x900" in body["url"]
    assert "fill-400x300" in body["thumbnail"]


def test_another_member_cannot_upload_photos(api, seller, stranger, goods):
    listing = f.draft(seller, goods, photos=0)
    response = api.post(
        f"{detail_url(listing)}/photos",
        {"image": image_upload(), "alt": "Mine"},
        format="multipart",
        **bearer(stranger),
    )
    assert response.status_code == 404
    assert not ListingPhoto.objects.exists()


def test_an_eleventh_photo_is_refused(api, seller, goods):
    listing = f.draft(seller, goods, photos=MAX_PHOTOS)
    response = api.post(
        f"{detail_url(listing)}/photos",
        {"image": image_upload(), "alt": "One too many"},
        format="multipart",
        **bearer(seller),
    )
    assert response.status_code == 400
    assert "image" in response.json()["errors"]
    assert listing.photos.count() == MAX_PHOTOS


@pytest.mark.parametrize(
    ("files", "field"),
    [
        (
            {"image": SimpleUploadedFile("photo.png", b"#!/bin/sh\necho not an image\n", "image/png"), "alt": "x"},
            "image",
        ),
        ({"alt": "No file"}, "image"),
        ({"image": "image-as-text", "alt": "x"}, "image"),
        ({"image": "placeholder"}, "alt"),
    ],
    ids=["not-an-image", "no-file", "text-not-file", "no-alt"],
)
def test_a_bad_upload_is_a_400_and_stores_nothing(api, seller, goods, files, field):
    listing = f.draft(seller, goods, photos=0)
    if files.get("image") == "placeholder":
        files["image"] = image_upload()
    response = api.post(f"{detail_url(listing)}/photos", files, format="multipart", **bearer(seller))
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not ListingPhoto.objects.exists()


def test_an_oversized_file_is_refused(api, seller, goods):
    listing = f.draft(seller, goods, photos=0)
    big = SimpleUploadedFile("big.png", b"\0" * (services.PHOTO_MAX_BYTES + 1), content_type="image/png")
    response = api.post(
        f"{detail_url(listing)}/photos", {"image": big, "alt": "Huge"}, format="multipart", **bearer(seller)
    )
    assert response.status_code == 400
    assert "too large" in response.json()["errors"]["image"][0]
    assert not ListingPhoto.objects.exists()


def test_a_decompression_bomb_is_refused(api, seller, goods):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, format="PNG")  # 64 megapixels in a few kilobytes
    listing = f.draft(seller, goods, photos=0)
    bomb = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
    response = api.post(
        f"{detail_url(listing)}/photos", {"image": bomb, "alt": "Bomb"}, format="multipart", **bearer(seller)
    )
    assert response.status_code == 400
    assert "image" in response.json()["errors"]
    assert not ListingPhoto.objects.exists()


# --- status ----------------------------------------------------------------------------------------------------


def test_the_owner_publishes_pauses_and_archives(api, seller, goods):
    listing = f.draft(seller, goods)
    response = api.post(f"{detail_url(listing)}/publish", **bearer(seller))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"
    assert api.get(detail_url(listing)).status_code == 200
    assert api.get(LISTINGS).json()["count"] == 1
    response = api.post(f"{detail_url(listing)}/pause", **bearer(seller))
    assert response.status_code == 200 and response.json()["status"] == "paused"
    assert api.get(LISTINGS).json()["count"] == 0
    response = api.post(f"{detail_url(listing)}/archive", **bearer(seller))
    assert response.status_code == 200 and response.json()["status"] == "archived"
    # an archived listing goes nowhere else
    response = api.post(f"{detail_url(listing)}/publish", **bearer(seller))
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_publishing_without_a_photo_names_the_problems(api, seller, goods):
    listing = f.draft(seller, goods, photos=0, description="Too short.", location_name="")
    response = api.post(f"{detail_url(listing)}/publish", **bearer(seller))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"photos", "description", "location.name"} <= set(errors), errors
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT


def test_another_member_cannot_publish_pause_or_archive(api, seller, stranger, goods):
    draft = f.draft(seller, goods)
    live = f.published(seller, goods, description="y" * 100)
    for listing, transition in ((draft, "publish"), (live, "pause"), (live, "archive"), (draft, "archive")):
        response = api.post(f"{detail_url(listing)}/{transition}", **bearer(stranger))
        assert response.status_code == 404, transition
    assert api.post(f"{detail_url(draft)}/publish").status_code == 401
    draft.refresh_from_db()
    live.refresh_from_db()
    assert draft.status == ListingStatus.DRAFT and live.status == ListingStatus.PUBLISHED


# --- throttling and schema -------------------------------------------------------------------------------------


def test_listing_writes_are_throttled_per_member(api, seller, goods, monkeypatch):
    monkeypatch.setattr(listings_api.ListingWriteThrottle, "rate", "2/min")
    listing = f.draft(seller, goods)
    for _ in range(2):
        response = api.patch(detail_url(listing), {"quantity": 4}, format="json", **bearer(seller))
        assert response.status_code == 200
    response = api.post(LISTINGS, item_payload(goods), format="json", **bearer(seller))
    assert response.status_code == 429
    assert list(response.json()) == ["detail"]
    assert Listing.objects.count() == 1
    # reads are not counted against it
    assert api.get(detail_url(listing), **bearer(seller)).status_code == 200


def test_the_schema_documents_the_listing_endpoints(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/categories",
        "/api/v1/listings",
        "/api/v1/listings/{id}",
        "/api/v1/listings/{id}/photos",
        "/api/v1/listings/{id}/publish",
        "/api/v1/listings/{id}/pause",
        "/api/v1/listings/{id}/archive",
    } <= set(paths)
    assert {"get", "post"} <= set(paths["/api/v1/listings"])
    assert {"get", "patch"} <= set(paths["/api/v1/listings/{id}"])


def test_the_owner_sets_request_to_book_and_a_cancellation_policy(api, seller, lessons):
    payload = {**booking_payload(lessons), "instant_book": False, "cancellation_policy": "strict"}
    created = api.post(LISTINGS, payload, format="json", **bearer(seller))
    assert created.status_code == 201, created.json()
    assert (created.json()["instant_book"], created.json()["cancellation_policy"]) == (False, "strict")
    url = f"{LISTINGS}/{created.json()['id']}"
    bad = api.patch(url, {"cancellation_policy": "lenient"}, format="json", **bearer(seller))
    assert bad.status_code == 400
    assert "cancellation_policy" in bad.json()["errors"]
    assert api.get(url, **bearer(seller)).json()["cancellation_policy"] == "strict"
