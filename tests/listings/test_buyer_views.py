"""The buyer's pages: search, the listing page and its structured data, favourites, saved searches, sitemap."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from itertools import count

import pytest
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.models import Verification, VerificationKind, VerificationStatus
from hub.celery import app as celery_app
from listings import services
from listings.models import Favourite, Listing, ListingPhoto, ListingStatus, SavedSearch
from listings.tasks import saved_searches_notify
from tests.factories import MemberFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db

SEARCH = "/listings/"
QUERY_BUDGET = 12
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
_n = count(1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def publish(cat, *, seller=None, description: str | None = None, **overrides) -> Listing:
    n = next(_n)
    overrides["description"] = description or (
        f"Listing number {n} in the test catalogue: a well made thing, described at enough length for the "
        "quality checks, with care and some detail."
    )
    return f.published(seller or MemberFactory(), cat, **overrides)


@pytest.fixture
def goods():
    return f.category("Ceramics", schema=f.GOODS_SCHEMA)


@pytest.fixture
def mugs(goods):
    return f.category("Mugs", parent=goods)


@pytest.fixture
def lessons():
    return f.category("Lessons", schema=f.SERVICE_SCHEMA)


@pytest.fixture
def seller():
    return MemberFactory(display_name="Mira Maker")


@pytest.fixture
def mug(seller, mugs) -> Listing:
    return publish(
        mugs,
        seller=seller,
        title="Teal stoneware mug",
        description="A sturdy **hand-thrown** stoneware mug glazed in deep teal. It holds 350 ml, is safe in the "
        "dishwasher, and each one is a little different from the next.",
    )


def json_ld(html: str) -> dict:
    scripts = JSON_LD.findall(html)
    assert len(scripts) == 1
    return json.loads(scripts[0])


# --- search page ----------------------------------------------------------------------------------------------------


def test_search_page_shows_result_cards_and_facets(client, mug, goods):
    response = client.get(SEARCH, {"q": "stoneware"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{mug.get_absolute_url()}">Teal stoneware mug</a>' in html
    assert "£24.00" in html
    assert 'alt="Photo 1"' in html and ".fill-400x300." in html
    assert "Mira Maker" in html
    assert "Bristol" in html
    assert "1 listing" in html
    # facets are links that add their filter to the current search
    assert f'href="?q=stoneware&amp;category={goods.slug}"' in html
    assert 'href="?q=stoneware&amp;kind=item"' in html
    assert 'href="?q=stoneware&amp;min_price=10&amp;max_price=49.99"' in html


def test_prices_in_the_form_are_major_units(client, mug):
    assert mug.get_absolute_url() in client.get(SEARCH, {"min_price": "20", "max_price": "24"}).content.decode()
    html = client.get(SEARCH, {"min_price": "24.01"}).content.decode()
    assert "0 listings" in html and "Nothing matches that search yet" in html


def test_a_category_shows_its_choice_attributes_as_filters(client, mug, goods):
    html = client.get(SEARCH, {"category": goods.slug, "attr.condition": "new"}).content.decode()
    assert 'name="attr.condition"' in html and 'name="attr.size"' in html
    assert '<option value="new" selected>new</option>' in html
    assert mug.get_absolute_url() in html
    assert f'href="?category={goods.slug}&amp;attr.condition=new" aria-current="true">new' in html  # its facet
    html = client.get(SEARCH, {"category": goods.slug, "attr.condition": "used"}).content.decode()
    assert "0 listings" in html


def test_an_empty_result_helps(client, mug):
    response = client.get(SEARCH, {"q": "zeppelin", "kind": "item"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing matches that search yet" in html
    assert 'href="/listings/">Clear all filters</a>' in html
    assert 'href="?kind=item">“zeppelin”' in html  # remove just the keyword
    assert "Newest listings" in html and mug.get_absolute_url() in html


def test_bad_filters_are_shown_on_their_fields_without_results(client, mug):
    response = client.get(SEARCH, {"min_price": "50", "max_price": "10", "lat": "51.4", "sort": "cheapest"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The maximum price is below the minimum." in html or "Select a valid choice" in html
    assert 'id="id_sort_error"' in html
    assert mug.get_absolute_url() not in html
    response = client.get(SEARCH, {"min_price": "50", "max_price": "10"})
    assert 'id="id_max_price_error"><li>The maximum price is below the minimum.' in response.content.decode()
    response = client.get(SEARCH, {"lat": "51.4"})
    assert "Give lat, lng and radius_km together." in response.content.decode()


def test_pagination_keeps_the_other_parameters(client, goods):
    for _ in range(3):
        publish(goods)
    html = client.get(SEARCH, {"kind": "item", "page_size": "2"}).content.decode()
    assert "Page 1 of 2" in html
    assert 'href="?kind=item&amp;page_size=2&amp;page=2"' in html
    html = client.get(SEARCH, {"kind": "item", "page_size": "2", "page": "2"}).content.decode()
    assert 'href="?kind=item&amp;page_size=2&amp;page=1"' in html


# --- listing page ---------------------------------------------------------------------------------------------------


def test_listing_page_carries_json_ld_canonical_and_open_graph(client, mug, goods, mugs):
    response = client.get(mug.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    data = json_ld(html)
    assert data["@type"] == "Product"
    assert data["name"] == "Teal stoneware mug"
    assert data["offers"]["price"] == "24.00"
    assert data["offers"]["priceCurrency"] == "GBP"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["offers"]["seller"]["name"] == "Mira Maker"
    url = "http://localhost:8000" + mug.get_absolute_url()
    assert data["url"] == data["offers"]["url"] == url
    assert data["image"][0].startswith("http://localhost:8000/media/") and ".max-1200x900." in data["image"][0]
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:title" content="Teal stoneware mug">' in html
    assert f'<meta property="og:image" content="{data["image"][0]}">' in html
    assert '<meta name="description" content="A sturdy hand-thrown stoneware mug glazed in deep teal.' in html
    # breadcrumb, gallery, attributes with labels, seller trust signals
    assert f'<a href="/listings/?category={goods.slug}">Ceramics</a>' in html
    assert f'<a href="/listings/?category={mugs.slug}">Mugs</a>' in html
    assert 'alt="Photo 1"' in html
    assert "<dt>Condition</dt><dd>new</dd>" in html
    assert "<strong>hand-thrown</strong>" in html
    assert "Member since" in html and mug.seller.get_absolute_url() in html


def test_listing_page_never_shows_exact_coordinates(client, mug):
    html = client.get(mug.get_absolute_url()).content.decode()
    assert "51.4545" not in html and "2.5879" not in html
    assert "mlat=51.45&amp;mlon=-2.59" in html


def test_a_title_cannot_break_out_of_the_json_ld(client, mugs, seller):
    title = "</script><script>alert(1)</script>"
    listing = publish(mugs, seller=seller, title=title)
    html = client.get(listing.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert json_ld(html)["name"] == title
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown inert in the page


def test_a_booking_shows_its_calendar_without_blocked_dates(client, seller):
    lessons = f.category("Lessons", schema=f.SERVICE_SCHEMA)
    lesson = publish(lessons, seller=seller, **f.booking_overrides(price_amount=1000, currency="EUR"))
    today = timezone.localdate()
    blocked = today + timedelta(days=(7 - today.weekday()) + 7)  # Monday after next
    services.listing_availability_set(
        listing_id=lesson.pk,
        seller=seller,
        rules=[{"weekday": 0, "start_time": "09:00", "end_time": "12:00"}],
        blocked_dates=[blocked],
    )
    html = client.get(lesson.get_absolute_url()).content.decode()
    assert "€10.00 per hour" in html
    assert json_ld(html)["offers"]["priceCurrency"] == "EUR"
    cells = re.findall(r'<td class="state-(\w+)[^"]*" data-date="([\d-]+)"', html)
    states = {day: state for state, day in cells}
    assert len(states) >= 28
    assert states[blocked.isoformat()] == "blocked"
    assert states[(blocked + timedelta(days=7)).isoformat()] == "open"
    assert states[(blocked + timedelta(days=1)).isoformat()] == "closed"
    assert "09:00–12:00" in html


def test_a_draft_is_404_for_others_and_visible_to_its_seller(client, seller, mugs):
    draft = f.draft(
        seller,
        mugs,
        description="A draft that nobody else may see yet, with enough words to pass the checks if it were "
        "published one day.",
    )
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(MemberFactory())
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(seller)
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert '<meta name="robots" content="noindex">' in response.content.decode()
    assert "only you can see it" in response.content.decode()


def test_an_old_slug_redirects_permanently_after_a_title_change(client, mug, seller):
    old_url = mug.get_absolute_url()
    updated = services.listing_update(listing_id=mug.pk, seller=seller, data={"title": "Deep teal stoneware mug"})
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == updated.get_absolute_url() != old_url
    assert client.get(updated.get_absolute_url()).status_code == 200
    # a paused listing's old slug does not reveal where it went
    services.listing_pause(listing_id=mug.pk, seller=seller)
    assert client.get(old_url).status_code == 404


def test_related_listings_are_shown(client, mug, mugs):
    other = publish(mugs, title="Speckled stoneware jug")
    html = client.get(mug.get_absolute_url()).content.decode()
    assert "More in Mugs" in html and other.get_absolute_url() in html


# --- favourites -----------------------------------------------------------------------------------------------------


def test_favourite_toggle_with_htmx_and_without(client, mug):
    member = MemberFactory()
    url = f"{mug.get_absolute_url()}favourite/"
    assert client.post(url).status_code == 302  # signed out: to the login page
    assert not Favourite.objects.exists()

    client.force_login(member)
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == mug.get_absolute_url()
    assert Favourite.objects.filter(member=member, listing=mug).exists()
    assert 'aria-pressed="true"' in client.get(mug.get_absolute_url()).content.decode()

    favourites = client.get("/listings/favourites/").content.decode()
    assert mug.get_absolute_url() in favourites

    response = client.post(url, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.startswith('<form class="favourite-form"') and 'aria-pressed="false"' in fragment
    assert "<html" not in fragment
    assert not Favourite.objects.filter(member=member, listing=mug).exists()
    assert mug.get_absolute_url() not in client.get("/listings/favourites/").content.decode()


def test_a_draft_cannot_be_favourited_by_others(client, seller, mugs):
    draft = f.draft(seller, mugs, description="A draft nobody else may see, long enough for the checks, really.")
    client.force_login(MemberFactory())
    assert client.post(f"{draft.get_absolute_url()}favourite/").status_code == 404


def test_favourites_need_a_sign_in(client):
    assert client.get("/listings/favourites/").status_code == 302


# --- saved searches -------------------------------------------------------------------------------------------------


def test_save_a_search_then_rerun_and_delete_it(client, mug):
    member = MemberFactory()
    client.force_login(member)
    html = client.get(SEARCH, {"q": "stoneware", "max_price": "30", "page": "2"}).content.decode()
    assert "Save this search" in html
    assert 'name="query" value="q=stoneware&amp;max_price=30"' in html

    response = client.post("/listings/saved-searches/", {"name": "Mugs under 30", "query": "q=stoneware&max_price=30"})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(member=member)
    assert (saved.name, saved.query) == ("Mugs under 30", {"q": "stoneware", "max_price": 3000})

    html = client.get("/listings/saved-searches/").content.decode()
    assert 'href="/listings/?q=stoneware&amp;max_price=30"' in html
    assert mug.get_absolute_url() in client.get(SEARCH, {"q": "stoneware", "max_price": "30"}).content.decode()

    other = SavedSearch.objects.create(member=MemberFactory(), name="Theirs", query={"q": "jug"})
    assert client.post(f"/listings/saved-searches/{other.pk}/delete/").status_code == 404
    assert client.post(f"/listings/saved-searches/{saved.pk}/delete/").status_code == 302
    assert list(SavedSearch.objects.all()) == [other]


def test_a_search_with_errors_is_not_saved(client):
    client.force_login(MemberFactory())
    response = client.post("/listings/saved-searches/", {"name": "Bad", "query": "min_price=50&max_price=10"})
    assert response.status_code == 302
    assert not SavedSearch.objects.exists()


def test_saved_searches_need_a_sign_in(client):
    assert client.get("/listings/saved-searches/").status_code == 302
    assert client.post("/listings/saved-searches/", {"query": "q=mug"}).status_code == 302
    assert not SavedSearch.objects.exists()


def test_a_new_matching_listing_is_emailed_to_a_saved_search(
    client, mugs, mailoutbox, settings, django_capture_on_commit_callbacks
):
    member = MemberFactory()
    client.force_login(member)
    client.post("/listings/saved-searches/", {"name": "Jugs", "query": "q=jug&max_price=40"})
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            publish(mugs, title="Speckled stoneware jug", price_amount=3500)
            publish(mugs, title="Speckled stoneware jug, large", price_amount=6000)  # over the maximum
            publish(mugs, title="Porcelain cup", price_amount=1500)  # another word
    finally:
        celery_app.conf.task_always_eager = False
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [member.email]
    assert "Speckled stoneware jug" in message.subject
    assert "Jugs" in message.body
    jug = Listing.objects.get(title="Speckled stoneware jug")
    assert f"http://localhost:8000{jug.get_absolute_url()}" in message.body
    # told once: running the task again sends nothing
    assert saved_searches_notify(jug.pk) == 0


# --- sitemap --------------------------------------------------------------------------------------------------------


def test_sitemap_lists_published_listings_and_categories(client, mug, seller, mugs):
    draft = f.draft(seller, mugs, description="A draft nobody else may see, long enough for the checks, really.")
    xml = client.get("/sitemap.xml").content.decode()
    assert f"<loc>http://testserver{mug.get_absolute_url()}</loc>" in xml
    assert f"<loc>http://testserver/listings/?category={mugs.slug}</loc>" in xml
    assert draft.get_absolute_url() not in xml


# --- queries --------------------------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(goods, mugs):
    """110 published listings from five sellers with badges, made in bulk from one listing and its photo."""
    sellers = [MemberFactory(display_name=f"Seller {i}") for i in range(5)]
    for member in sellers:
        Verification.objects.create(member=member, kind=VerificationKind.PHONE, status=VerificationStatus.APPROVED)
    template = publish(mugs, seller=sellers[0], title="Stoneware mug, the first")
    photo = template.photos.get()
    now = timezone.now()
    fields = {
        name: getattr(template, name)
        for name in (
            "category_id",
            "kind",
            "status",
            "description",
            "currency",
            "price_unit",
            "quantity",
            "location_name",
            "latitude",
            "longitude",
            "attributes",
        )
    }
    copies = Listing.objects.bulk_create(
        [
            Listing(
                **fields,
                seller=sellers[i % 5],
                title=f"Stoneware mug number {i}",
                slug=f"stoneware-mug-number-{i}",
                price_amount=1000 + i * 50,
                published_at=now - timedelta(minutes=i),
            )
            for i in range(109)
        ]
    )
    ListingPhoto.objects.bulk_create(
        [ListingPhoto(listing=c, image_id=photo.image_id, alt=f"Mug {c.pk}") for c in copies]
    )
    Listing.objects.update(
        search_vector=SearchVector("title", weight="A", config="english")
        + SearchVector("description", weight="B", config="english")
    )
    assert Listing.objects.filter(status=ListingStatus.PUBLISHED).count() == 110
    return template


def queries(client, url: str, params: dict | None = None) -> int:
    client.get(url, params)  # warm: site settings row, rendition cache
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context.captured_queries)


SEARCHES = [{}, {"q": "stoneware mug"}, {"category": "{mugs}", "attr.condition": "new", "sort": "price_asc"}]


@pytest.mark.parametrize("query", SEARCHES, ids=["browse", "keyword", "category"])
def test_search_page_queries_do_not_grow_with_the_page_size(client, catalogue, mugs, query):
    query = {key: value.format(mugs=mugs.slug) for key, value in query.items()}
    counts = {size: queries(client, SEARCH, {**query, "page_size": size}) for size in (10, 50, 100)}
    assert len(set(counts.values())) == 1, counts
    html = client.get(SEARCH, {**query, "page_size": 100}).content.decode()
    assert html.count('<article class="listing-card"') == 100


@pytest.mark.parametrize("query", SEARCHES, ids=["browse", "keyword", "category"])
def test_search_page_stays_within_the_query_budget(client, catalogue, mugs, query):
    query = {key: value.format(mugs=mugs.slug) for key, value in query.items()}
    counts = {size: queries(client, SEARCH, {**query, "page_size": size}) for size in (10, 50, 100)}
    assert max(counts.values()) <= QUERY_BUDGET, counts


def test_listing_page_queries_do_not_grow_with_the_catalogue(client, catalogue, mugs):
    few = queries(client, catalogue.get_absolute_url())
    more = publish(mugs, title="Stoneware jug with four photos")
    for i in range(3):
        services.listing_photo_add(
            listing_id=more.pk, seller=more.seller, image_file=f.png_upload(f"x{i}.png"), alt=f"Side {i}"
        )
    assert queries(client, more.get_absolute_url()) == few


def test_listing_page_stays_within_the_query_budget(client, catalogue):
    assert queries(client, catalogue.get_absolute_url()) <= QUERY_BUDGET


def test_seller_badges_and_photos_cost_no_query_per_card(client, catalogue):
    """Five sellers and 100 cards: the same count as one card from one seller."""
    one = queries(client, SEARCH, {"q": "first"})
    hundred = queries(client, SEARCH, {"q": "stoneware", "page_size": 100})
    assert one == hundred


def test_a_booking_page_with_its_calendar_stays_within_the_query_budget(client, lessons, seller):
    lesson = publish(lessons, seller=seller, **f.booking_overrides())
    other = "An evening glazing class for two to four people: bring a fired piece or use one of mine, tea included."
    publish(lessons, **f.booking_overrides(description=other))  # a related listing
    assert queries(client, lesson.get_absolute_url()) <= QUERY_BUDGET


def test_the_search_page_filters_by_seller_rating_and_sorts_by_it(client, goods):
    from decimal import Decimal

    from community.services import profile_rating_set

    rated, unrated = MemberFactory(display_name="Rated Rita"), MemberFactory(display_name="New Ned")
    profile_rating_set(member=rated, average=Decimal("4.6"), count=8)
    top = publish(goods, seller=rated, title="Rated teapot")
    other = publish(goods, seller=unrated, title="Unrated teapot")
    page = client.get(SEARCH, {"min_rating": "4.5"}).content.decode()
    assert top.title in page and other.title not in page
    assert "Rated 4.5+" in page  # the active-filter chip
    page = client.get(SEARCH, {"sort": "rating"}).content.decode()
    assert page.index(top.title) < page.index(other.title)
    assert client.get(SEARCH, {"min_rating": "9"}).status_code == 200  # not a choice: a form error, not a crash


def test_json_ld_carries_the_aggregate_rating_once_the_listing_has_reviews(client, mug):
    from decimal import Decimal

    assert "aggregateRating" not in json_ld(client.get(mug.get_absolute_url()).content.decode())
    services.listing_rating_set(listing_id=mug.pk, average=Decimal("4.67"), count=3)
    data = json_ld(client.get(mug.get_absolute_url()).content.decode())
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": "4.67",
        "reviewCount": 3,
        "bestRating": "5",
        "worstRating": "1",
    }
