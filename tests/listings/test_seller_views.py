"""The seller's side at /sell/: my listings, the create and edit flow, photos, availability and status changes."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date, time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from listings.forms import parse_major_price
from listings.models import AvailabilityException, Listing, ListingPhoto, ListingStatus
from listings.templatetags.listing_tags import money
from tests.factories import MemberFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db

MINE = "/sell/"
CREATE = "/sell/new/"
LONG_DESCRIPTION = (
    "A sturdy hand-thrown stoneware mug, glazed in deep teal. It holds 350 ml, is safe in the dishwasher and sits "
    "well in the hand."
)
# Published listings of one seller need descriptions that differ (the near-duplicate check).
DISTINCT = [
    "A large oak serving board, oiled with food-safe oil, with a juice groove all round and a hanging loop of leather.",
    "Six small espresso cups in speckled white glaze, each holding 80 ml; they stack neatly and suit any saucer.",
    "A tall cobalt vase, thrown on the wheel and trimmed by hand, watertight and heavy enough for long stems.",
    "A pair of walnut salad servers carved from one offcut, finished with beeswax and sized for a big family bowl.",
]


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def seller(client):
    member = MemberFactory(display_name="Mira")
    client.force_login(member)
    return member


@pytest.fixture
def goods():
    cat = f.category("Ceramics", schema=f.GOODS_SCHEMA)
    cat.tips = "Measure it and say how big it is."
    cat.description_templates = [{"title": "Handmade piece", "body": "Made by hand from [material]."}]
    cat.save()
    return cat


@pytest.fixture
def lessons():
    return f.category("Lessons", schema=f.SERVICE_SCHEMA)


def form_data(cat, **overrides) -> dict:
    data = {
        "kind": "item",
        "title": "Teal stoneware mug",
        "category": str(cat.pk),
        "description": LONG_DESCRIPTION,
        "price": "24.50",
        "currency": "GBP",
        "price_unit": "hour",
        "quantity": "3",
        "pickup": "on",
        "capacity": "1",
        "lead_time_hours": "24",
        "max_advance_days": "90",
        "cancellation_policy": "moderate",
        "location_name": "Bristol",
        "latitude": "51.4545",
        "longitude": "-2.5879",
        "tags": "mug, stoneware, teal",
        "attr_condition": "new",
        "attr_size": "M",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def edit_url(listing) -> str:
    return f"/sell/{listing.pk}/edit/"


def photos_url(listing) -> str:
    return f"/sell/{listing.pk}/photos/"


def availability_url(listing) -> str:
    return f"/sell/{listing.pk}/availability/"


def page(response) -> str:
    return response.content.decode()


def png_bytes(size=(64, 48), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims `width`×`height` pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


# --- creating and editing --------------------------------------------------------------------------------------------


def test_a_seller_creates_a_draft_through_the_form(client, seller, goods):
    # given the empty form, which offers the category tree and the category's tips
    form = client.get(CREATE)
    assert form.status_code == 200
    assert "Ceramics" in page(form)
    # when the seller fills it in, price in pounds and pence
    response = client.post(CREATE, form_data(goods))
    # then a draft is saved with the price in pence, its attributes and tags, and the next step is photos
    listing = Listing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == photos_url(listing)
    assert listing.status == ListingStatus.DRAFT
    assert listing.seller == seller
    assert (listing.title, listing.price_amount, listing.currency, listing.price_unit) == (
        "Teal stoneware mug",
        2450,
        "GBP",
        "each",
    )
    assert listing.attributes == {"condition": "new", "size": "M"}
    assert sorted(listing.tags.names()) == ["mug", "stoneware", "teal"]
    assert (str(listing.latitude), str(listing.longitude)) == ("51.454500", "-2.587900")


def test_a_booking_is_priced_per_hour_with_its_booking_settings(client, seller, lessons):
    # when a seller offers lessons by the hour for up to four people
    client.post(
        CREATE,
        form_data(
            lessons,
            kind="booking",
            title="Wheel-throwing lesson",
            price="30",
            price_unit="hour",
            capacity="4",
            lead_time_hours="48",
            attr_condition=None,
            attr_size=None,
            attr_skill_level="beginner",
            attr_session_minutes="120",
        ),
    )
    # then the booking keeps its unit and settings, and its attributes are typed
    listing = Listing.objects.get()
    assert (listing.kind, listing.price_amount, listing.price_unit) == ("booking", 3000, "hour")
    assert (listing.capacity, listing.lead_time_hours) == (4, 48)
    assert listing.attributes == {"skill_level": "beginner", "session_minutes": 120}


def test_the_form_shows_the_chosen_categorys_attributes_and_learning_prompts(client, seller, goods, lessons):
    # when htmx asks for the fields of another category
    response = client.get(CREATE, {"category": lessons.pk, "partial": "attributes"}, HTTP_HX_REQUEST="true")
    # then only that category's attribute fields come back, with its learning panel swapped in too
    html = page(response)
    assert 'name="attr_skill_level"' in html
    assert 'name="attr_session_minutes"' in html and 'type="number"' in html
    assert "attr_condition" not in html
    assert 'id="learning-prompts"' in html and 'hx-swap-oob="true"' in html
    # and the full form for the goods category has its tips and an insertable template beside the description
    full = page(client.get(CREATE, {"category": goods.pk}))
    assert 'name="attr_condition"' in full
    assert "Measure it and say how big it is." in full
    assert "Made by hand from [material]." in full
    assert "data-insert-template" in full


def test_without_javascript_the_category_button_shows_its_fields_and_keeps_what_was_typed(client, seller, lessons):
    # when a seller without JavaScript picks a category and presses the button to update the fields
    response = client.post(CREATE, {**form_data(lessons, title="My half-typed title"), "refresh": "1"})
    # then the form comes back with that category's fields, what they typed, no errors, and nothing saved
    html = page(response)
    assert response.status_code == 200
    assert 'name="attr_skill_level"' in html
    assert 'value="My half-typed title"' in html
    assert "errorlist" not in html
    assert not Listing.objects.exists()


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-5", "The price must be more than zero."),
        ("0", "The price must be more than zero."),
        ("0.00", "The price must be more than zero."),
        ("twelve", "Enter the price as a number, such as 24.50."),
        ("1e5", "Enter the price as a number, such as 24.50."),
        ("NaN", "Enter the price as a number, such as 24.50."),
        ("24.505", "Use at most two decimal places, such as 24.50."),
        ("1000000.01", "The price can be at most 1,000,000."),
        ("99999999999", "The price can be at most 1,000,000."),
        ("", "This field is required."),
    ],
)
def test_a_bad_price_is_a_clear_error_and_nothing_is_saved(client, seller, goods, price, message):
    # when a seller types a price that is negative, zero, not a number, too precise or absurd
    response = client.post(CREATE, form_data(goods, price=price))
    # then the form says what is wrong, on the price, and no listing exists
    assert response.status_code == 200
    assert response.context["form"].errors["price"] == [message]
    assert message in page(response)
    assert not Listing.objects.exists()


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("24.50", 2450), ("24,50", 2450), ("£1,250", 125000), ("1.250,75", 125075), (" 7 ", 700), ("1000000", 10**8)],
)
def test_prices_are_read_the_way_people_type_them(typed, minor):
    assert parse_major_price(typed) == minor


def test_an_attribute_value_outside_the_schema_is_refused(client, seller, goods):
    # when the posted condition is not one of the category's choices
    response = client.post(CREATE, form_data(goods, attr_condition="broken"))
    # then the condition field says which values are allowed, and nothing is saved
    assert response.context["form"].errors["attr_condition"] == ["Choose one of: new, like new, used."]
    assert not Listing.objects.exists()


@pytest.mark.parametrize(
    ("minutes", "message"),
    [("1000", "Enter 480 or less."), ("5", "Enter 15 or more."), ("two hours", "Enter a whole number.")],
)
def test_a_number_outside_the_attributes_range_is_refused(client, seller, lessons, minutes, message):
    # when a booking's session length is outside the schema's 15 to 480 minutes, or not a number
    response = client.post(
        CREATE,
        form_data(lessons, kind="booking", attr_condition=None, attr_size=None, attr_session_minutes=minutes),
    )
    # then that field says what it accepts, and nothing is saved
    assert response.context["form"].errors["attr_session_minutes"] == [message]
    assert f'href="#id_attr_session_minutes">Session length (minutes): {message}' in page(response)
    assert not Listing.objects.exists()


def test_a_required_attribute_left_empty_is_shown_on_its_field(client, seller, goods):
    response = client.post(CREATE, form_data(goods, attr_condition=""))
    assert response.context["form"].errors["attr_condition"] == ["This field is required."]
    assert 'href="#id_attr_condition"' in page(response)
    assert not Listing.objects.exists()


def test_a_service_error_is_shown_on_its_field_and_nothing_is_saved(client, seller, goods):
    # given more tags than a listing may have (a rule only the service knows)
    tags = ", ".join(f"tag{n}" for n in range(13))
    # when the seller saves
    response = client.post(CREATE, form_data(goods, tags=tags))
    # then the tags field carries the service's message, and the half-made draft is gone too
    assert response.context["form"].errors["tags"] == ["Use at most 12 tags."]
    assert not Listing.objects.exists()


def test_only_one_of_latitude_and_longitude_is_refused(client, seller, goods):
    response = client.post(CREATE, form_data(goods, longitude=""))
    assert response.context["form"].errors["longitude"] == ["Give both latitude and longitude, or neither."]
    assert not Listing.objects.exists()


def test_script_tags_are_stored_as_typed_but_shown_inert(client, seller, goods):
    # when a seller puts markup in the title and description
    script = "<script>alert(1)</script>"
    client.post(CREATE, form_data(goods, title=f"{script} mug", description=f"{script} {LONG_DESCRIPTION}"))
    # then it is stored as text
    listing = Listing.objects.get()
    assert listing.title == f"{script} mug"
    assert listing.description.startswith(script)
    # and every seller page shows it escaped, never as a script element
    for url in (MINE, edit_url(listing), photos_url(listing)):
        html = page(client.get(url))
        assert script not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_editing_saves_the_changes(client, seller, goods):
    # given a draft
    listing = f.draft(seller, goods)
    form = page(client.get(edit_url(listing)))
    assert f'value="{listing.title}"' in form
    assert 'value="24.00"' in form
    # when the seller changes the title and the price
    response = client.post(edit_url(listing), form_data(goods, title="Teal mug, large", price="30"))
    # then they are saved and the page says so
    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.title, listing.price_amount) == ("Teal mug, large", 3000)


def test_an_edit_that_would_take_a_live_listing_below_the_bar_is_refused(client, seller, goods):
    # given a published listing
    listing = f.published(seller, goods)
    # when the seller cuts its description to a few words
    response = client.post(edit_url(listing), form_data(goods, description="A mug."))
    # then the description field says why, and the listing is unchanged
    assert response.status_code == 200
    assert "Describe it in at least 80 characters" in " ".join(response.context["form"].errors["description"])
    listing.refresh_from_db()
    assert listing.description != "A mug."


def test_a_failed_save_and_publish_keeps_the_changes_and_lists_the_problems(client, seller, goods):
    # given a draft without photos
    listing = f.draft(seller, goods, photos=0)
    # when the seller changes the title and asks to save and publish
    response = client.post(edit_url(listing), {**form_data(goods, title="Teal mug, renamed"), "action": "publish"})
    # then the change is saved, the listing stays a draft and the photo problem links to the photos step
    html = page(response)
    assert "Your changes are saved." in html
    assert "Add at least one photo." in html and f'href="{photos_url(listing)}"' in html
    listing.refresh_from_db()
    assert (listing.title, listing.status) == ("Teal mug, renamed", ListingStatus.DRAFT)


# --- instant booking and the cancellation policy ----------------------------------------------------------------


def booking_form_data(cat, **overrides) -> dict:
    return form_data(
        cat,
        kind="booking",
        title="Wheel-throwing lesson",
        price="30",
        capacity="4",
        attr_condition=None,
        attr_size=None,
        attr_skill_level="beginner",
        **overrides,
    )


def fieldset_with(html: str, name: str) -> str:
    """The <fieldset> element around the control named `name`."""
    control = html.index(f'name="{name}"')
    return html[html.rindex("<fieldset", 0, control) : html.index("</fieldset>", control)]


def test_instant_booking_is_offered_for_bookings_on_by_default(client, seller, lessons):
    # when a seller opens the form
    html = page(client.get(CREATE, {"category": lessons.pk}))
    # then instant booking sits with the booking settings, ticked, and says what unticking it means
    bookings = fieldset_with(html, "instant_book")
    assert bookings.startswith('<fieldset data-kind-only="booking">')
    assert '<input type="checkbox" name="instant_book" aria-describedby="id_instant_book_helptext"' in bookings
    assert 'id="id_instant_book" checked>' in bookings
    assert "you accept or decline it within 24 hours." in bookings
    # and the cancellation policy is offered for every kind, moderate unless the seller picks another
    policy = fieldset_with(html, "cancellation_policy")
    assert "data-kind-only" not in policy
    assert "How much buyers get back if they cancel." in policy
    assert 'value="moderate" id="id_cancellation_policy_1" required checked>' in policy
    assert "Strict: half refund until 7 days before, none after" in policy


def test_a_booking_can_take_requests_with_a_strict_policy(client, seller, lessons):
    # when a seller unticks instant booking (an unticked box is not sent) and picks the strict policy
    response = client.post(CREATE, booking_form_data(lessons, cancellation_policy="strict"))
    # then buyers of this booking send requests, and the strict policy applies
    assert response.status_code == 302
    listing = Listing.objects.get()
    assert (listing.kind, listing.instant_book, listing.cancellation_policy) == ("booking", False, "strict")


def test_an_item_keeps_its_cancellation_policy_and_ignores_instant_booking(client, seller, goods):
    # when an item is saved with a policy (and a stray instant-booking value from the hidden booking settings)
    client.post(CREATE, form_data(goods, cancellation_policy="flexible", instant_book=None))
    # then the policy is saved and instant booking keeps its default: it only means something for bookings
    listing = Listing.objects.get()
    assert (listing.kind, listing.cancellation_policy, listing.instant_book) == ("item", "flexible", True)


def test_editing_shows_and_changes_instant_booking_and_the_policy(client, seller, lessons):
    # given a booking that takes requests under the strict policy
    client.post(CREATE, booking_form_data(lessons, cancellation_policy="strict"))
    listing = Listing.objects.get()
    # when the seller opens it, the form shows those choices
    html = page(client.get(edit_url(listing)))
    checkbox = html[html.index('name="instant_book"') :].split(">")[0]
    assert "checked" not in checkbox
    assert "checked" in html[html.index('value="strict"') :].split(">")[0]
    # and when they switch to instant booking and the flexible policy, both are saved
    client.post(edit_url(listing), booking_form_data(lessons, instant_book="on", cancellation_policy="flexible"))
    listing.refresh_from_db()
    assert (listing.instant_book, listing.cancellation_policy) == (True, "flexible")


@pytest.mark.parametrize("policy", ["", "lenient"])
def test_a_missing_or_unknown_cancellation_policy_is_refused(client, seller, goods, policy):
    response = client.post(CREATE, form_data(goods, cancellation_policy=policy))
    assert response.status_code == 200
    expected = "Choose a cancellation policy." if not policy else "Choose flexible, moderate or strict."
    assert response.context["form"].errors["cancellation_policy"] == [expected]
    assert f'href="#id_cancellation_policy">Cancellation policy: {expected}' in page(response)
    assert 'id="id_cancellation_policy"' in page(response)  # the link's target: the policy's fieldset
    assert not Listing.objects.exists()


# --- photos -------------------------------------------------------------------------------------------------------


def test_a_photo_with_its_description_is_added_and_can_be_removed(client, seller, goods):
    # given a draft without photos; the form lets a phone's camera take one
    listing = f.draft(seller, goods, photos=0)
    form = page(client.get(photos_url(listing)))
    assert 'capture="environment"' in form and 'accept="image/*"' in form
    # when the seller uploads a photo with its description
    response = client.post(photos_url(listing), {"image": f.png_upload(), "alt": "The mug from the side"})
    # then it is on the listing, with its thumbnail shown
    assert response.status_code == 302
    photo = ListingPhoto.objects.get(listing=listing)
    assert photo.alt == "The mug from the side"
    assert 'alt="The mug from the side"' in page(client.get(photos_url(listing)))
    # when they remove it
    client.post(photos_url(listing), {"remove": str(photo.pk)})
    # then it is gone
    assert not ListingPhoto.objects.filter(listing=listing).exists()


def test_a_photo_needs_a_description(client, seller, goods):
    listing = f.draft(seller, goods, photos=0)
    response = client.post(photos_url(listing), {"image": f.png_upload(), "alt": "  "})
    assert response.context["form"].errors["alt"] == ["Describe the photo for people who cannot see it."]
    assert not ListingPhoto.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("mug.png", b"<html>not an image</html>", "image/png"), "Upload a valid image"),
        (lambda: SimpleUploadedFile("bomb.png", png_bytes((10_000, 10_000), "1"), "image/png"), "too many pixels"),
        (lambda: SimpleUploadedFile("huge.png", b"\0" * (11 * 1024 * 1024), "image/png"), "The image is too large"),
        (
            lambda: SimpleUploadedFile("holiday.jpg", b"\xff\xd8" + b"\0" * (60 * 1024 * 1024), "image/jpeg"),
            "The image is too large (60.0 MB); the limit is 10 MB.",
        ),
        (
            lambda: SimpleUploadedFile("tiny.png", png_declaring(30_000, 30_000), "image/png"),
            "The image has too many pixels; the limit is 40 million.",
        ),
    ],
    ids=["not-an-image", "decompression-bomb", "over-10-mb", "60-mb", "declares-30000x30000"],
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bad_photo_is_refused_with_a_clear_message(client, seller, goods, media_root, upload, message):
    # given a draft
    listing = f.draft(seller, goods, photos=0)
    # when the seller uploads something that is not a usable image
    response = client.post(photos_url(listing), {"image": upload(), "alt": "A mug"})
    # then the photo field says why, and nothing is stored
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors["image"])
    assert message in page(response)
    assert not ListingPhoto.objects.exists()
    assert not any(path.is_file() for path in media_root.rglob("*")) if media_root.exists() else True


def test_an_eleventh_photo_is_refused(client, seller, goods):
    # given a draft with ten photos
    listing = f.draft(seller, goods, photos=10)
    html = page(client.get(photos_url(listing)))
    assert "the most a listing can have" in html
    # when the seller posts another one anyway
    response = client.post(photos_url(listing), {"image": f.png_upload(), "alt": "One more"})
    # then they are told the limit, beside the note that replaced the form, and the listing keeps ten
    assert response.context["form"].errors["image"] == ["A listing has at most 10 photos."]
    assert "<li>A listing has at most 10 photos.</li>" in page(response)
    assert listing.photos.count() == 10


# --- availability -------------------------------------------------------------------------------------------------


def availability_data(rows: list[tuple], blocked: str = "") -> dict:
    data = {"rules-TOTAL_FORMS": str(len(rows)), "rules-INITIAL_FORMS": str(len(rows)), "blocked_dates": blocked}
    for index, (weekday, start, end) in enumerate(rows):
        data[f"rules-{index}-weekday"] = "" if weekday is None else str(weekday)
        data[f"rules-{index}-start_time"] = start
        data[f"rules-{index}-end_time"] = end
    return data


def test_a_booking_gets_a_weekly_plan_and_blocked_dates(client, seller, lessons):
    # given a booking draft (the factory gives it weekday mornings to evenings)
    listing = f.draft(seller, lessons, **f.booking_overrides())
    form = page(client.get(availability_url(listing)))
    assert 'type="time"' in form and 'value="09:00"' in form
    # when the seller offers Saturdays and two windows on Monday, and blocks Christmas
    rows = [(0, "09:00", "12:00"), (0, "14:00", "17:00"), (5, "10:00", "16:00"), (2, "", ""), (None, "", "")]
    response = client.post(availability_url(listing), availability_data(rows, "2030-12-25\n2030-12-24"))
    # then exactly those windows and dates are saved
    assert response.status_code == 302
    saved = [(r.weekday, r.start_time, r.end_time) for r in listing.availability_rules.all()]
    assert saved == [(0, time(9), time(12)), (0, time(14), time(17)), (5, time(10), time(16))]
    blocked = sorted(AvailabilityException.objects.filter(listing=listing, blocked=True).values_list("date", flat=True))
    assert blocked == [date(2030, 12, 24), date(2030, 12, 25)]


def test_availability_that_ends_before_it_starts_is_refused(client, seller, lessons):
    # given a booking with its weekday plan
    listing = f.draft(seller, lessons, **f.booking_overrides())
    before = list(listing.availability_rules.values_list("weekday", "start_time", "end_time"))
    # when one window ends before it starts
    response = client.post(availability_url(listing), availability_data([(0, "09:00", "12:00"), (1, "17:00", "09:00")]))
    # then that row says so, and the plan is unchanged
    assert response.status_code == 200
    assert "The end must be after the start." in page(response)
    assert list(listing.availability_rules.values_list("weekday", "start_time", "end_time")) == before


def test_a_blocked_date_that_is_not_a_date_is_refused(client, seller, lessons):
    listing = f.draft(seller, lessons, **f.booking_overrides())
    response = client.post(availability_url(listing), availability_data([(0, "09:00", "12:00")], "2030-02-30\nsoon"))
    assert "These are not dates written as YYYY-MM-DD: “2030-02-30”, “soon”." in page(response)
    assert listing.availability_rules.count() == 5


def test_an_item_has_no_availability_step(client, seller, goods):
    listing = f.draft(seller, goods)
    response = client.get(availability_url(listing))
    assert response.status_code == 302
    assert response["Location"] == edit_url(listing)


# --- publishing and status changes ----------------------------------------------------------------------------------


def test_publishing_with_problems_lists_each_one(client, seller, goods):
    # given a draft with a short description, no photo and no place
    listing = f.draft(seller, goods, photos=0, description="A mug.", location_name="")
    # when the seller tries to publish it
    response = client.post(f"/sell/{listing.pk}/publish/")
    # then the edit page lists every problem, each linking to where it is fixed, and it stays a draft
    html = page(response)
    assert response.status_code == 200
    assert "Before you can publish" in html
    assert "Describe it in at least 80 characters" in html
    assert "Add at least one photo." in html and f'href="{photos_url(listing)}"' in html
    assert "Say where it is (a town or area)." in html and 'href="#id_location_name"' in html
    assert response.context["form"].errors["description"]
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT


def test_a_near_duplicate_description_is_flagged(client, seller, goods):
    # given a published listing and a copy of it
    original = f.published(seller, goods)
    client.post(f"/sell/{original.pk}/duplicate/")
    copy = Listing.objects.exclude(pk=original.pk).get()
    # when the seller publishes the copy without changing the description
    response = client.post(f"/sell/{copy.pk}/publish/")
    # then they are told it is nearly the same as the original
    assert f"This description is nearly the same as “{original.title}”" in page(response)
    copy.refresh_from_db()
    assert copy.status == ListingStatus.DRAFT


def test_publishing_a_complete_listing_shows_it_to_buyers(client, seller, goods):
    # given a complete draft
    listing = f.draft(seller, goods)
    # when the seller publishes it
    response = client.post(f"/sell/{listing.pk}/publish/")
    # then it is live and they land on its public page
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
    assert response.status_code == 302
    assert response["Location"] == listing.get_absolute_url()


def test_save_and_publish_from_the_edit_page(client, seller, goods):
    listing = f.draft(seller, goods)
    response = client.post(edit_url(listing), {**form_data(goods, title="Teal mug, final"), "action": "publish"})
    listing.refresh_from_db()
    assert (listing.title, listing.status) == ("Teal mug, final", ListingStatus.PUBLISHED)
    assert response["Location"] == listing.get_absolute_url()


@pytest.mark.parametrize("action", ["publish", "pause", "archive", "duplicate"])
def test_status_changes_are_post_only(client, seller, goods, action):
    listing = f.published(seller, goods)
    assert client.get(f"/sell/{listing.pk}/{action}/").status_code == 405
    assert client.get("/sell/pause/").status_code == 405


def test_pause_and_archive_one_listing(client, seller, goods):
    listing = f.published(seller, goods)
    client.post(f"/sell/{listing.pk}/pause/", {"next": "/sell/?status=published"})
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PAUSED
    response = client.post(f"/sell/{listing.pk}/archive/", {"next": "https://evil.example/"})
    listing.refresh_from_db()
    assert listing.status == ListingStatus.ARCHIVED
    assert response["Location"] == MINE
    # and an archived listing's page says it cannot be changed, offering a copy instead
    html = page(client.get(edit_url(listing)))
    assert "This listing is archived, so it cannot be changed." in html
    assert f'action="/sell/{listing.pk}/duplicate/"' in html


def test_a_change_the_status_machine_refuses_is_explained(client, seller, goods):
    listing = f.draft(seller, goods)
    response = client.post(f"/sell/{listing.pk}/pause/", follow=True)
    assert "A draft listing cannot become paused." in page(response)


def test_duplicate_makes_a_draft_copy(client, seller, goods):
    # given a published listing with two photos
    listing = f.published(seller, goods, photos=2)
    # when the seller duplicates it
    response = client.post(f"/sell/{listing.pk}/duplicate/")
    # then a draft copy with its photos opens for editing, and the original is untouched
    copy = Listing.objects.exclude(pk=listing.pk).get()
    assert response["Location"] == edit_url(copy)
    assert copy.status == ListingStatus.DRAFT
    assert copy.title == f"Copy of {listing.title}"
    assert copy.photos.count() == 2
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED


def test_bulk_pause_pauses_only_the_members_own_published_listings(client, seller, goods):
    # given two published listings and a draft of the seller's, and someone else's published one
    ticked = f.published(seller, goods, description=DISTINCT[0])
    unticked = f.published(seller, goods, description=DISTINCT[1])
    own_draft = f.draft(seller, goods)
    other = f.published(MemberFactory(), goods)
    # when the seller ticks one of theirs, their draft and the other seller's listing
    response = client.post(
        "/sell/pause/", {"listing": [ticked.pk, own_draft.pk, other.pk, "nonsense"], "next": "/sell/?status=published"}
    )
    # then only their ticked published listing is paused
    assert response["Location"] == "/sell/?status=published"
    statuses = {x.pk: x.status for x in Listing.objects.all()}
    assert statuses == {
        ticked.pk: ListingStatus.PAUSED,
        unticked.pk: ListingStatus.PUBLISHED,
        own_draft.pk: ListingStatus.DRAFT,
        other.pk: ListingStatus.PUBLISHED,
    }
    assert "1 listing is paused." in page(client.get(MINE))


# --- who may do what -------------------------------------------------------------------------------------------


def test_another_seller_gets_404_for_someone_elses_draft(client, goods):
    # given a draft of one seller's, and another seller signed in
    owner = MemberFactory()
    listing = f.draft(owner, goods, **{"title": "Owner's mug"})
    client.force_login(MemberFactory())
    # when the other seller tries to see, edit, photograph, publish or change it
    attempts = [
        client.get(edit_url(listing)),
        client.post(edit_url(listing), form_data(goods, title="Hijacked")),
        client.get(photos_url(listing)),
        client.post(photos_url(listing), {"image": f.png_upload(), "alt": "Mine now"}),
        client.get(availability_url(listing)),
        client.post(f"/sell/{listing.pk}/publish/"),
        client.post(f"/sell/{listing.pk}/pause/"),
        client.post(f"/sell/{listing.pk}/archive/"),
        client.post(f"/sell/{listing.pk}/duplicate/"),
        client.get(listing.get_absolute_url()),
    ]
    # then every answer is "not found", and the draft is unchanged
    assert [response.status_code for response in attempts] == [404] * len(attempts)
    listing.refresh_from_db()
    assert (listing.title, listing.status, listing.photos.count()) == ("Owner's mug", ListingStatus.DRAFT, 1)
    assert Listing.objects.count() == 1


def test_selling_needs_an_account(client):
    for url in (MINE, CREATE):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# --- my listings --------------------------------------------------------------------------------------------------


def test_my_listings_filters_by_status_with_counts(client, seller, goods):
    # given one draft, two published listings and someone else's listing
    draft = f.draft(seller, goods, title="Draft mug")
    f.published(seller, goods, title="Live mug one", description=DISTINCT[0])
    f.published(seller, goods, title="Live mug two", description=DISTINCT[1])
    f.published(MemberFactory(), goods, title="Not mine")
    # when the seller looks at their listings, then at the drafts only
    everything = page(client.get(MINE))
    drafts = client.get(MINE, {"status": "draft"})
    # then the tabs count each status, and the filter shows only the drafts, priced in pounds
    assert "Not mine" not in everything
    assert "Live mug one" in everything and "Draft mug" in everything
    assert 'All <span class="tab-count">(3)</span>' in everything
    assert 'Published <span class="tab-count">(2)</span>' in everything
    assert [listing.pk for listing in drafts.context["listings"]] == [draft.pk]
    assert "£24.00" in page(drafts)
    assert 'aria-current="page"' in page(drafts)


def test_my_listings_makes_the_same_number_of_queries_for_3_or_12_listings(client, seller, goods):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(MINE)
        assert response.status_code == 200
        return len(captured.captured_queries)

    # given three listings with photos
    for description in DISTINCT[:3]:
        f.published(seller, goods, description=description)
    queries()  # the site's settings are created on the first page view of all
    few = queries()
    # when there are twelve
    for _ in range(9):
        f.draft(seller, goods)
    many = queries()
    # then the page costs the same number of queries
    assert many == few
    assert many <= 12


def test_the_last_photo_of_a_live_listing_cannot_be_removed(client):
    # given a published listing with one photo
    from tests.factories import MemberFactory as _Member
    from tests.listings import factories as _f

    seller = _Member()
    listing = _f.published(seller, _f.category(schema=_f.GOODS_SCHEMA))
    photo = listing.photos.get()
    client.force_login(seller)
    # when the seller removes it
    response = client.post(f"/sell/{listing.pk}/photos/", {"remove": str(photo.pk)}, follow=True)
    # then it stays, and they are told why
    assert listing.photos.count() == 1
    assert "keeps at least one photo" in response.content.decode()


# --- prices and styles on the seller's pages ------------------------------------------------------------------


def test_my_listings_shows_a_bookings_price_with_its_unit(client, seller, lessons):
    f.draft(seller, lessons, **f.booking_overrides(price_amount=3050))
    assert "£30.50 per hour" in page(client.get(MINE))


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [(2400, "GBP", "£24.00"), (125000, "EUR", "€1,250.00"), (5, "USD", "$0.05"), (None, "GBP", ""), ("", "GBP", "")],
)
def test_the_money_filter_shows_minor_units_as_a_price(amount, currency, shown):
    assert money(amount, currency) == shown


def test_seller_pages_use_the_site_stylesheet_not_inline_styles(client, seller, lessons):
    listing = f.draft(seller, lessons, **f.booking_overrides())
    for url in (MINE, CREATE, edit_url(listing), photos_url(listing), availability_url(listing)):
        html = page(client.get(url))
        assert "<style" not in html, url
        assert "/static/css/guildhall.css" in html, url
