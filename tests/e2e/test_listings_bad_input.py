"""Bad input on the seller's listing pages, typed or uploaded in the browser: each is answered with a clear message
beside what caused it, nothing is saved, and markup a seller types stays inert text on the listing page."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_listings import LESSON_DESCRIPTION, assert_no_horizontal_scroll, json_ld, label, photo_file
from tests.factories import PASSWORD, MemberFactory
from tests.listings import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
SCRIPT = "<script>alert('listing')</script>"


@pytest.fixture
def seller(page: Page, log_in):
    member = MemberFactory(display_name="Mira Clay")
    page.set_viewport_size(PHONE)
    log_in(member.email, PASSWORD)
    return member


@pytest.fixture
def ceramics():
    return f.category("Ceramics", schema=f.GOODS_SCHEMA)


@pytest.fixture
def lessons():
    return f.category("Lessons", schema=f.SERVICE_SCHEMA)


def fill_item(page: Page, *, title: str = "Teal stoneware mug", price: str = "24.50", description: str = "") -> None:
    """The new-listing form filled in for an item in Ceramics, correct unless told otherwise."""
    page.goto("/sell/new/")
    page.get_by_label(label("Title")).fill(title)
    page.get_by_label(label("Category")).select_option(label="Ceramics")
    expect(page.get_by_label(label("Condition"))).to_be_visible()
    page.get_by_label(label("Condition")).select_option("new")
    page.get_by_label(label("Description")).fill(
        description or "A sturdy hand-thrown stoneware mug in deep teal; it holds 350 ml and is safe in the dishwasher."
    )
    page.get_by_label(label("Price")).fill(price)
    page.get_by_label(label("Town or area")).fill("Bristol")


def listing_count() -> int:
    from listings.models import Listing

    return Listing.objects.count()


def stored_images() -> int:
    from wagtail.images import get_image_model

    return get_image_model().objects.count()


def decompression_bomb(folder: Path) -> Path:
    """A PNG of 74 bytes whose header declares 30000×30000 pixels: decoding it would need gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 30_000, 30_000, 1, 0, 0, 0, 0)
    path = folder / "tiny.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )
    return path


def sixty_megabytes(folder: Path) -> Path:
    path = folder / "holiday.jpg"
    with path.open("wb") as file:
        file.write(b"\xff\xd8\xff\xe0")  # starts like a JPEG
        file.truncate(60 * 1024 * 1024)
    return path


def text_as_jpg(folder: Path) -> Path:
    path = folder / "mug.jpg"
    path.write_text("Not a photo at all, just text wearing a .jpg name.\n", encoding="utf-8")
    return path


# --- prices -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "message"),
    [("-5", "The price must be more than zero."), ("99999999", "The price can be at most 1,000,000.")],
    ids=["negative", "absurd"],
)
def test_a_negative_or_absurd_price_is_refused(page: Page, shot, seller, ceramics, price, message):
    fill_item(page, price=price)
    page.get_by_role("button", name="Save draft and add photos").click()

    # The summary at the top links to the price, which carries the message; what was typed is kept.
    summary = page.get_by_role("alert").filter(has_text="Please check these")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=f"Price: {message}")).to_have_attribute("href", "#id_price")
    price_field = page.locator(".field").filter(has=page.get_by_label(label("Price")))
    expect(price_field).to_have_class(re.compile(r"\bfield-invalid\b"))
    expect(price_field.locator(".errorlist")).to_have_text(message)
    expect(page.get_by_label(label("Price"))).to_have_value(price)
    expect(page.get_by_label(label("Title"))).to_have_value("Teal stoneware mug")
    assert_no_horizontal_scroll(page)
    shot("01-price-error")
    assert listing_count() == 0


# --- photos -----------------------------------------------------------------------------------------------------


def test_an_eleventh_photo_is_refused(page: Page, shot, seller, ceramics, tmp_path):
    listing = f.draft(seller, ceramics, photos=9)
    photos_url = f"/sell/{listing.pk}/photos/"
    # The photos page is open in two tabs; the tenth photo goes in from the first.
    other_tab = page.context.new_page()
    other_tab.set_viewport_size(PHONE)
    other_tab.goto(photos_url)
    page.goto(photos_url)
    page.get_by_label(label("Photo")).set_input_files(photo_file(tmp_path, "tenth.jpg", (11, 93, 75)))
    page.get_by_label(label("Describe the photo")).fill("The tenth photo")
    page.get_by_role("button", name="Add photo").click()
    expect(page.get_by_text("The photo is added.")).to_be_visible()
    # Ten is the most: the form gives way to a note.
    expect(page.get_by_text("That is 10 photos, the most a listing can have.")).to_be_visible()
    expect(page.get_by_role("button", name="Add photo")).to_have_count(0)
    shot("01-ten-photos")

    # The second tab still shows the form; an eleventh photo sent from it is refused.
    other_tab.get_by_label(label("Photo")).set_input_files(photo_file(tmp_path, "eleventh.jpg", (179, 70, 27)))
    other_tab.get_by_label(label("Describe the photo")).fill("One too many")
    other_tab.get_by_role("button", name="Add photo").click()
    refusal = other_tab.get_by_role("alert")
    expect(refusal).to_have_text("A listing has at most 10 photos.")
    expect(refusal).to_be_focused()  # so it is read out, and scrolled to below the ten photos
    expect(other_tab.get_by_text("That is 10 photos, the most a listing can have.")).to_be_visible()
    expect(other_tab.get_by_text("The photo is added.")).to_have_count(0)
    shot("02-eleventh-refused", of=other_tab)
    assert listing.photos.count() == 10
    assert not listing.photos.filter(alt="One too many").exists()


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        pytest.param(sixty_megabytes, "The image is too large (60.0 MB); the limit is 10 MB.", id="60-mb"),
        pytest.param(text_as_jpg, "Upload a valid image: JPEG, PNG, WebP or GIF.", id="text-named-jpg"),
        pytest.param(
            decompression_bomb, "The image has too many pixels; the limit is 40 million.", id="decompression-bomb"
        ),
    ],
)
def test_a_bad_photo_file_is_refused(page: Page, shot, seller, ceramics, tmp_path, make_file, message):
    listing = f.draft(seller, ceramics, photos=0)
    page.goto(f"/sell/{listing.pk}/photos/")
    page.get_by_label(label("Photo")).set_input_files(make_file(tmp_path))
    page.get_by_label(label("Describe the photo")).fill("The mug from the side")
    page.get_by_role("button", name="Add photo").click()

    # The refusal is on the photo field; the description typed is kept for the next try.
    photo_field = page.locator(".field").filter(has=page.get_by_label(label("Photo")))
    expect(photo_field).to_have_class(re.compile(r"\bfield-invalid\b"))
    expect(photo_field.locator(".errorlist")).to_have_text(message)
    expect(page.get_by_label(label("Describe the photo"))).to_have_value("The mug from the side")
    expect(page.get_by_text("0 photos of 10.")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("01-photo-refused")
    assert listing.photos.count() == 0
    assert stored_images() == 0


# --- markup in the title and description ------------------------------------------------------------------------


def test_script_tags_in_title_and_description_stay_inert(page: Page, shot, seller, ceramics, tmp_path, no_dialogs):
    title = f"{SCRIPT} Teal mug"
    description = f"{SCRIPT}\n\n<b>Bold?</b> {LESSON_DESCRIPTION}"
    fill_item(page, title=title, description=description)
    page.get_by_role("button", name="Save draft and add photos").click()
    expect(page.get_by_text("Your draft is saved. Now add some photos.")).to_be_visible()
    page.get_by_label(label("Photo")).set_input_files(photo_file(tmp_path, "mug.jpg", (11, 93, 75)))
    page.get_by_label(label("Describe the photo")).fill(f"{SCRIPT} the mug")
    page.get_by_role("button", name="Add photo").click()
    expect(page.get_by_text("The photo is added.")).to_be_visible()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Your listing is published. This is how buyers see it.")).to_be_visible()

    # On the listing page, as its seller and as a visitor, the markup is text that can be read.
    for viewer in ("seller", "visitor"):
        if viewer == "visitor":
            url = page.url
            page.context.clear_cookies()
            page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        description_box = page.locator(".description")
        expect(description_box).to_contain_text(SCRIPT)
        expect(description_box).to_contain_text("<b>Bold?</b>")
        expect(page.get_by_role("img", name=f"{SCRIPT} the mug")).to_be_visible()
        assert title in page.title()
        # No element came from the typed markup, and the structured data still parses to the title as typed.
        expect(page.locator("body script")).to_have_count(0)
        expect(page.locator("main b")).to_have_count(0)
        assert json_ld(page)["name"] == title
        shot(f"01-listing-as-{viewer}")

    # The search results show it as text too.
    page.goto("/listings/?q=teal")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    expect(page.locator("body script")).to_have_count(0)
    shot("02-search-results")
    assert no_dialogs == [], f"a page ran the seller's script: {no_dialogs}"


# --- availability -----------------------------------------------------------------------------------------------


def test_availability_that_ends_before_it_starts_is_refused(page: Page, shot, seller, lessons):
    listing = f.draft(seller, lessons, **f.booking_overrides())  # weekdays nine to five
    page.goto(f"/sell/{listing.pk}/availability/")
    tuesday = page.locator("#rule-1")
    tuesday.get_by_label(label("From")).fill("17:00")
    tuesday.get_by_label(label("Until")).fill("09:00")
    page.get_by_role("button", name="Save availability").click()

    summary = page.get_by_role("alert").filter(has_text="Please check these")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Row 2: The end must be after the start.")).to_have_attribute(
        "href", "#rule-1"
    )
    expect(tuesday.locator(".errorlist")).to_have_text("The end must be after the start.")
    expect(tuesday.get_by_label(label("From"))).to_have_value("17:00")
    expect(page.get_by_text("Your availability is saved.")).to_have_count(0)
    assert_no_horizontal_scroll(page)
    shot("01-availability-error")
    rules = sorted(listing.availability_rules.values_list("weekday", "start_time", "end_time"))
    assert [(weekday, start.hour, end.hour) for weekday, start, end in rules] == [(d, 9, 17) for d in range(5)]


# --- attributes -------------------------------------------------------------------------------------------------


def test_attribute_values_outside_the_category_schema_are_refused(page: Page, shot, seller, lessons, ceramics):
    # A number above the schema's maximum, typed into a booking in Lessons.
    page.goto("/sell/new/")
    page.get_by_role("radio", name=re.compile(r"^Service or rental")).check()
    page.get_by_label(label("Title")).fill("Wheel-throwing taster lesson")
    page.get_by_label(label("Category")).select_option(label="Lessons")
    page.get_by_label(label("Session length (minutes)")).fill("1000")
    page.get_by_label(label("Description")).fill(LESSON_DESCRIPTION)
    page.get_by_label(label("Price")).fill("30")
    page.get_by_role("button", name="Save draft and add photos").click()
    minutes = page.locator(".field").filter(has=page.get_by_label(label("Session length (minutes)")))
    expect(minutes.locator(".errorlist")).to_have_text("Enter 480 or less.")
    expect(page.get_by_role("alert").filter(has_text="Please check these")).to_be_visible()
    shot("01-number-above-maximum")

    # A choice the category does not offer, sent by a page someone altered.
    fill_item(page)
    page.get_by_label(label("Condition")).evaluate(
        "(select) => { select.add(new Option('broken', 'broken')); select.value = 'broken'; }"
    )
    page.get_by_role("button", name="Save draft and add photos").click()
    condition = page.locator(".field").filter(has=page.get_by_label(label("Condition")))
    expect(condition.locator(".errorlist")).to_have_text("Choose one of: new, like new, used.")
    shot("02-choice-outside-schema")
    assert listing_count() == 0
