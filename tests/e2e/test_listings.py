"""Listings journeys: a seller lists a booking on a phone, buyers find it and hear about new matches, strangers
cannot touch a draft, and the learning panel helps write the description."""

from __future__ import annotations

import json
import re
import time as clock
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect

from tests.factories import PASSWORD, MemberFactory
from tests.listings import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
BRISTOL = (Decimal("51.454500"), Decimal("-2.587900"))
LONDON = (Decimal("51.507200"), Decimal("-0.127600"))
TUESDAY, SATURDAY = 1, 5
LESSON_TIPS = "Say how long a session lasts and what people take home.\nMention what to wear: clay splashes."
LESSON_TEMPLATE = {
    "title": "Taster session",
    "body": "In [length] you will learn [skill]. Everything is provided: [materials]. Wear [clothes].",
}
LESSON_DESCRIPTION = (
    "A two-hour wheel-throwing taster in my Bristol studio. You centre clay, pull walls and throw two pots; "
    "I glaze and fire them and you collect them three weeks later."
)


def label(text: str) -> re.Pattern[str]:
    """A form label exactly, with or without the colon Django adds ("Price:" but not "Priced:")."""
    return re.compile(rf"^{re.escape(text)}:?$")


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways on {page.url}: {widths}"


def photo_file(folder: Path, name: str, colour: tuple[int, int, int], size: tuple[int, int] = (1200, 900)) -> Path:
    """A JPEG that looks like something (a glazed pot on a table), so screenshots show real thumbnails."""
    image = Image.new("RGB", size, (236, 228, 214))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((0, height * 2 // 3, width, height), fill=(120, 84, 52))
    draw.ellipse((width // 3, height // 4, width * 2 // 3, height * 3 // 4), fill=colour)
    path = folder / name
    image.save(path, format="JPEG", quality=85)
    return path


def json_ld(page: Page) -> dict:
    scripts = page.locator('script[type="application/ld+json"]')
    expect(scripts).to_have_count(1)
    return json.loads(scripts.text_content())


def lessons_category():
    category = f.category("Lessons", schema=f.SERVICE_SCHEMA)
    category.tips = LESSON_TIPS
    category.description_templates = [LESSON_TEMPLATE]
    category.save()
    return category


def next_weekday(weekday: int, *, after_days: int = 2) -> date:
    """The first `weekday` (0 = Monday) at least `after_days` from today, beyond any booking notice."""
    day = timezone.localdate() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def weekly(listing, seller, weekdays: list[int], start: int = 10, end: int = 16) -> None:
    from listings import services

    services.listing_availability_set(
        listing_id=listing.pk,
        seller=seller,
        rules=[{"weekday": day, "start_time": time(start), "end_time": time(end)} for day in weekdays],
    )


def result_titles(page: Page) -> Locator:
    return page.locator(".cards .listing-card h3")


# --- a seller lists a booking on a phone ------------------------------------------------------------------------


def test_a_seller_lists_a_booking_on_a_phone(page: Page, shot, log_in, tmp_path):
    lessons_category()
    seller = MemberFactory(display_name="Mira Clay")
    page.set_viewport_size(PHONE)
    log_in(seller.email, PASSWORD)

    # From the menu to an empty "My listings", then to the form.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sell").click()
    expect(page.get_by_role("heading", name="My listings", level=1)).to_be_visible()
    expect(page.get_by_text("You have no listings yet.")).to_be_visible()
    page.get_by_role("link", name="Create your first listing").click()
    expect(page.get_by_role("heading", name="Sell something new", level=1)).to_be_visible()

    # The details: a booking, priced per hour, with the category's own fields.
    expect(page.get_by_label("Buyers can book straight away")).to_be_hidden()  # an item is bought, not booked
    page.get_by_role("radio", name=re.compile(r"^Service or rental")).check()
    expect(page.get_by_label(label("Priced"))).to_be_visible()
    expect(page.get_by_label("Buyers can book straight away")).to_be_checked()
    expect(page.get_by_label(label("Quantity in stock"))).to_be_hidden()
    page.get_by_label(label("Title")).fill("Wheel-throwing taster lesson")
    page.get_by_label(label("Category")).select_option(label="Lessons")
    expect(page.get_by_label(label("Skill level"))).to_be_visible()  # swapped in by htmx
    page.get_by_label(label("Skill level")).select_option("beginner")
    page.get_by_label(label("Session length (minutes)")).fill("120")
    page.get_by_label(label("Description")).fill(LESSON_DESCRIPTION)
    page.get_by_label(label("Price")).fill("30")
    page.get_by_label(label("Priced")).select_option(label="per hour")
    page.get_by_label(label("People per booking")).fill("4")
    page.get_by_label("Buyers can book straight away").uncheck()  # requests, accepted within 24 hours
    page.get_by_role("radio", name=re.compile(r"^Flexible: full refund")).check()
    page.get_by_label(label("Town or area")).fill("Bristol")
    page.get_by_text("Exact position (optional").click()
    page.get_by_label(label("Latitude")).fill("51.4545")
    page.get_by_label(label("Longitude")).fill("-2.5879")
    page.get_by_label(label("Tags")).fill("pottery, wheel, beginners")
    assert_no_horizontal_scroll(page)
    shot("01-details-filled")
    page.get_by_role("button", name="Save draft and add photos").click()

    # Two photos, each with its description.
    expect(page.get_by_text("Your draft is saved. Now add some photos.")).to_be_visible()
    expect(page.get_by_role("heading", name="Photos", level=1)).to_be_visible()
    photos = [
        (photo_file(tmp_path, "wheel.jpg", (11, 93, 75)), "A teal bowl drying beside the wheel"),
        (photo_file(tmp_path, "shelf.jpg", (179, 70, 27)), "Finished pots on the studio shelf"),
    ]
    for number, (path, alt) in enumerate(photos, start=1):
        page.get_by_label(label("Photo")).set_input_files(path)
        page.get_by_label(label("Describe the photo")).fill(alt)
        page.get_by_role("button", name="Add photo").click()
        expect(page.get_by_text("The photo is added.")).to_be_visible()
        expect(page.get_by_text(f"{number} photo{'s' if number > 1 else ''} of 10.")).to_be_visible()
    grid = page.locator(".photo-grid")
    expect(grid.get_by_role("img", name=photos[0][1])).to_be_visible()
    expect(grid.get_by_role("img", name=photos[1][1])).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("02-two-photos")

    # A weekly plan: Tuesdays and Saturdays, ten to four.
    page.get_by_role("link", name="Next: when it can be booked").click()
    expect(page.get_by_role("heading", name="When can it be booked?", level=1)).to_be_visible()
    for weekday in (TUESDAY, SATURDAY):
        row = page.locator(f"#rule-{weekday}")
        expect(row.get_by_label(label("Day"))).to_have_value(str(weekday))
        row.get_by_label(label("From")).fill("10:00")
        row.get_by_label(label("Until")).fill("16:00")
    assert_no_horizontal_scroll(page)
    shot("03-availability-filled")
    page.get_by_role("button", name="Save availability").click()
    expect(page.get_by_text("Your availability is saved.")).to_be_visible()
    expect(page.locator("#rule-1").get_by_label(label("From"))).to_have_value("10:00")

    # Publish: the seller lands on the page buyers see.
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Your listing is published. This is how buyers see it.")).to_be_visible()
    expect(page.get_by_role("heading", name="Wheel-throwing taster lesson", level=1)).to_be_visible()
    expect(page.locator("header .price")).to_have_text("£30.00 per hour")
    gallery = page.locator(".gallery")
    expect(gallery.get_by_role("img")).to_have_count(2)
    expect(gallery.get_by_role("img", name=photos[0][1])).to_be_visible()
    facts = page.locator(".listing-facts")
    expect(facts).to_contain_text("Skill level")
    expect(facts).to_contain_text("beginner")
    expect(facts).to_contain_text("Up to 4 people at a time")
    open_days = page.locator(".calendar td.state-open")
    expect(open_days.first).to_be_visible()
    weekdays_open = {
        date.fromisoformat(d).weekday() for d in open_days.evaluate_all("(c) => c.map(x => x.dataset.date)")
    }
    assert weekdays_open == {TUESDAY, SATURDAY}
    expect(page.get_by_text("only you can see it")).to_have_count(0)
    assert_no_horizontal_scroll(page)
    shot("04-published-page")

    from listings.models import Listing, ListingStatus

    listing = Listing.objects.get()
    assert (listing.status, listing.kind, listing.price_amount, listing.price_unit) == (
        ListingStatus.PUBLISHED,
        "booking",
        3000,
        "hour",
    )
    assert listing.attributes == {"skill_level": "beginner", "session_minutes": 120}
    assert (listing.instant_book, listing.cancellation_policy) == (False, "flexible")
    assert [photo.alt for photo in listing.photos.all()] == [alt for _path, alt in photos]
    assert sorted(listing.availability_rules.values_list("weekday", flat=True)) == [TUESDAY, SATURDAY]


# --- a buyer finds it -------------------------------------------------------------------------------------------


def test_a_buyer_finds_a_booking_by_keyword_price_place_and_date(page: Page, shot):
    lessons = lessons_category()
    mira, others = MemberFactory(display_name="Mira Clay"), MemberFactory(display_name="Tom Kiln")
    lesson = f.published(
        mira,
        lessons,
        **f.booking_overrides(
            title="Wheel-throwing taster lesson",
            description=LESSON_DESCRIPTION,
            price_amount=3000,
            latitude=BRISTOL[0],
            longitude=BRISTOL[1],
            attributes={"skill_level": "beginner"},
        ),
    )
    weekly(lesson, mira, [TUESDAY, SATURDAY])
    # Each filter leaves out one look-alike: too dear, too far, not open on the day, not about wheels at all.
    dear = f.published(
        others,
        lessons,
        **f.booking_overrides(title="Wheel-throwing masterclass", price_amount=9000),
    )
    far = f.published(
        others,
        lessons,
        **f.booking_overrides(
            title="Wheel-throwing evening class",
            description="Evening wheel-throwing in a shared London studio: six weeks, one evening a week, all clay.",
            price_amount=2800,
            latitude=LONDON[0],
            longitude=LONDON[1],
        ),
    )
    closed = f.published(
        others,
        lessons,
        **f.booking_overrides(
            title="Wheel-throwing weekday morning",
            description="Mornings at the wheel near the harbour: small groups, patient teaching, tea and biscuits.",
            price_amount=2500,
        ),
    )
    weekly(closed, others, [0, 2, 4])  # Monday, Wednesday, Friday
    f.published(others, f.category("Ceramics", schema=f.GOODS_SCHEMA), title="Stoneware mug", price_amount=2400)
    tuesday = next_weekday(TUESDAY)

    page.set_viewport_size(PHONE)
    page.goto("/listings/")
    expect(page.get_by_role("heading", name="Search listings", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="5 listings")).to_be_visible()

    # By keyword.
    page.get_by_label("Search for").fill("wheel")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="4 listings")).to_be_visible()
    expect(result_titles(page).filter(has_text="Stoneware mug")).to_have_count(0)
    shot("01-keyword")

    # By a price range, in pounds.
    page.get_by_text("More filters").click()
    page.get_by_label("Lowest price").fill("20")
    page.get_by_label("Highest price").fill("40")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="3 listings")).to_be_visible()
    expect(result_titles(page).filter(has_text=dear.title)).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("From 20"))).to_be_visible()  # the filter's chip

    # By distance from a place (its coordinates).
    filters = page.locator(".filters-more")
    expect(filters).to_have_attribute("open", "")
    page.get_by_label("Latitude").fill("51.45")
    page.get_by_label("Longitude").fill("-2.59")
    page.get_by_label("Within (km)").fill("10")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="2 listings")).to_be_visible()
    expect(result_titles(page).filter(has_text=far.title)).to_have_count(0)
    expect(page.locator(".listing-card").filter(has_text=lesson.title)).to_contain_text("km away")

    # By a day it can be booked.
    page.get_by_label("Available from").fill(tuesday.isoformat())
    page.get_by_label("Available until").fill(tuesday.isoformat())
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="1 listing", exact=True)).to_be_visible()
    expect(result_titles(page)).to_have_text([lesson.title])
    # Every filter the buyer set is in the address, so the search can be shared or bookmarked.
    query = {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}
    expected = {
        "q": "wheel",
        "min_price": "20",
        "max_price": "40",
        "lat": "51.45",
        "lng": "-2.59",
        "radius_km": "10",
        "available_from": tuesday.isoformat(),
        "available_to": tuesday.isoformat(),
    }
    assert {key: query.get(key) for key in expected} == expected
    assert_no_horizontal_scroll(page)
    shot("02-all-filters")

    # The listing page, with its schema.org Product and Offer for search engines.
    page.get_by_role("link", name=lesson.title).click()
    expect(page.get_by_role("heading", name=lesson.title, level=1)).to_be_visible()
    expect(page.locator(f'.calendar td[data-date="{tuesday.isoformat()}"]')).to_have_class(re.compile("state-open"))
    data = json_ld(page)
    assert data["@type"] == "Product"
    assert data["name"] == lesson.title
    assert data["offers"]["@type"] == "Offer"
    assert data["offers"]["price"] == "30.00"
    assert data["offers"]["priceCurrency"] == "GBP"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["offers"]["priceSpecification"]["unitText"] == "hour"
    assert_no_horizontal_scroll(page)
    shot("03-listing-page")
    page.set_viewport_size(DESKTOP)
    assert_no_horizontal_scroll(page)
    shot("04-listing-page-desktop")


# --- a saved search hears about a new listing ---------------------------------------------------------------


@pytest.fixture
def celery_worker():
    """A real Celery worker in a thread, on the broker the settings name (Redis under the harness): the publish
    enqueues the notification after its transaction commits, and this worker runs it."""
    from celery.contrib.testing.worker import start_worker

    from hub.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def wait_for_mail(count: int, timeout: float = 20) -> list:
    deadline = clock.monotonic() + timeout
    while len(mail.outbox) < count and clock.monotonic() < deadline:
        clock.sleep(0.2)
    return list(mail.outbox)


def test_a_saved_search_emails_the_buyer_about_a_new_match(
    page: Page, new_context, shot, log_in, settings, live_server, celery_worker
):
    settings.SITE_URL = live_server.url  # the email's link opens on this server
    lessons = lessons_category()
    buyer = MemberFactory(display_name="Bea Buyer")
    seller = MemberFactory(display_name="Mira Clay")
    lantern = f.draft(
        seller,
        lessons,
        **f.booking_overrides(
            title="Paper lantern workshop",
            description="Fold, glue and light three paper lanterns in an afternoon; all paper and bulbs included.",
            price_amount=2500,
        ),
    )
    too_dear = f.draft(
        seller,
        lessons,
        **f.booking_overrides(
            title="Paper lantern festival day",
            description="A whole day making a giant lantern for the harbour festival parade, with lunch and tea.",
            price_amount=9500,
        ),
    )

    # The buyer searches for lanterns under £40, finds nothing yet, and saves the search.
    log_in(buyer.email, PASSWORD)
    page.goto("/listings/?q=lantern&max_price=40")
    expect(page.get_by_role("heading", name="Nothing matches that search yet")).to_be_visible()
    expect(page.get_by_label("Name this search")).to_have_value("lantern")
    page.get_by_label("Name this search").fill("Lanterns under £40")
    shot("01-save-search")
    page.get_by_role("button", name="Save this search").click()
    expect(page.get_by_text("Search saved. We will email you when a new listing matches it.")).to_be_visible()
    expect(page.get_by_role("heading", name="Lanterns under £40")).to_be_visible()
    shot("02-saved-searches")

    # The seller publishes a lantern listing that costs too much, then one that matches.
    seller_page = new_context().new_page()
    seller_page.goto("/accounts/login/")
    seller_page.get_by_label(label("Email")).fill(seller.email)
    seller_page.get_by_label(label("Password")).fill(PASSWORD)
    seller_page.get_by_role("button", name="Sign In").click()
    seller_page.goto("/sell/")
    for listing in (too_dear, lantern):
        seller_page.get_by_role("button", name=f"Publish {listing.title}").click()
        expect(seller_page.get_by_role("heading", name=listing.title, level=1)).to_be_visible()
        seller_page.goto("/sell/")
    shot("03-seller-published-both", of=seller_page)

    # One email reaches the buyer, about the match only (the worker ran the dearer listing's notification first,
    # and it sent nothing), with a link that opens the listing.
    outbox = wait_for_mail(1)
    assert [message.subject for message in outbox] == ["New on Guildhall: Paper lantern workshop"]
    message = outbox[0]
    assert message.to == [buyer.email]
    assert "Lanterns under £40" in message.body
    link = re.search(r"https?://\S+", message.body).group(0)
    assert link == f"{live_server.url}{lantern.get_absolute_url()}"
    page.goto(link)
    expect(page.get_by_role("heading", name="Paper lantern workshop", level=1)).to_be_visible()
    shot("04-opened-from-email")


# --- strangers cannot touch a draft -----------------------------------------------------------------------------


def test_another_seller_cannot_see_edit_or_publish_a_draft(page: Page, shot, log_in):
    lessons = lessons_category()
    owner = MemberFactory(display_name="Mira Clay")
    draft = f.draft(owner, lessons, **f.booking_overrides(title="Secret glaze recipes class"))
    stranger = MemberFactory(display_name="Sly Seller")
    page.set_viewport_size(PHONE)
    log_in(stranger.email, PASSWORD)

    # The listing page and the edit form of the draft: "not found", as if it did not exist.
    for url in (draft.get_absolute_url(), f"/sell/{draft.pk}/edit/", f"/sell/{draft.pk}/photos/"):
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
        expect(page.get_by_text("Secret glaze recipes class")).to_have_count(0)
    shot("01-draft-not-found")

    # A publish request forged with the stranger's own valid CSRF token: also "not found".
    page.goto("/sell/")
    token = page.locator('input[name="csrfmiddlewaretoken"]').first.input_value()
    with page.expect_response(re.compile(rf"/sell/{draft.pk}/publish/$")) as answer:
        page.evaluate(
            """([action, token]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                const input = Object.assign(document.createElement("input"), {type: "hidden", value: token});
                input.name = "csrfmiddlewaretoken";
                form.append(input);
                document.body.append(form);
                form.submit();
            }""",
            [f"/sell/{draft.pk}/publish/", token],
        )
    assert answer.value.status == 404
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    shot("02-publish-not-found")

    # Nor does the draft show in the stranger's listings or in search.
    page.goto("/sell/")
    expect(page.get_by_text("Secret glaze recipes class")).to_have_count(0)
    page.goto("/listings/?q=glaze")
    expect(page.get_by_role("link", name="Secret glaze recipes class")).to_have_count(0)

    draft.refresh_from_db()
    assert draft.status == "draft"
    assert draft.title == "Secret glaze recipes class"


# --- the learning panel -----------------------------------------------------------------------------------------


def test_the_learning_panel_shows_the_categorys_tips_and_inserts_a_template(page: Page, shot, log_in):
    lessons_category()
    seller = MemberFactory(display_name="Mira Clay")
    page.set_viewport_size(PHONE)
    log_in(seller.email, PASSWORD)
    page.goto("/sell/new/")

    # Before a category is chosen, general advice.
    panel = page.get_by_role("complementary", name=re.compile("Writing a description buyers trust"))
    expect(panel).to_be_visible()
    expect(panel.get_by_text("Choose a category to see tips and templates for it.")).to_be_visible()

    # Choosing one swaps in its tips and templates beside the description.
    page.get_by_label(label("Category")).select_option(label="Lessons")
    panel = page.get_by_role("complementary", name="Selling in Lessons")
    expect(panel).to_be_visible()
    expect(panel.get_by_text("Say how long a session lasts and what people take home.")).to_be_visible()
    expect(panel.get_by_text("Mention what to wear: clay splashes.")).to_be_visible()
    panel.locator("summary", has_text="Taster session").click()  # opens the template to read it
    expect(panel.get_by_text("In [length] you will learn [skill].")).to_be_visible()
    shot("01-tips-and-template")

    # "Insert" puts the template after what the seller already typed, and says so to screen readers.
    description = page.get_by_label(label("Description"))
    description.fill("Beginners welcome.")
    panel.get_by_role("button", name="Insert Taster session").click()
    expect(description).to_have_value(f"Beginners welcome.\n\n{LESSON_TEMPLATE['body']}")
    expect(description).to_be_focused()
    expect(panel.locator("[data-insert-status]")).to_have_text("The template is now in the description.")
    assert_no_horizontal_scroll(page)
    shot("02-template-inserted")
    # On a wide screen the panel sits beside the description.
    page.set_viewport_size(DESKTOP)
    description_box, panel_box = description.bounding_box(), panel.bounding_box()
    assert panel_box["x"] > description_box["x"] + description_box["width"], (description_box, panel_box)
    shot("03-desktop")
