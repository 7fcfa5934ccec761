"""Writes for listings: drafts, edits, photos, availability, the status machine, favourites, saved searches."""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterable
from datetime import date, time
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.models import Collection

from community.models import Member
from community.services import rating_check
from community.validators import safe_upload_name, validate_image_upload
from listings.attributes import attributes_validate
from listings.models import (
    AvailabilityException,
    AvailabilityRule,
    Category,
    Favourite,
    Listing,
    ListingKind,
    ListingPhoto,
    ListingSlug,
    ListingStatus,
    PriceUnit,
    SavedSearch,
    SearchTerm,
)
from listings.models.listings import MAX_PHOTOS

MIN_DESCRIPTION_LENGTH = 80
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
NEAR_DUPLICATE_RATIO = 0.9

# The status machine: which transitions a seller may make.
TRANSITIONS: dict[str, set[str]] = {
    ListingStatus.DRAFT: {ListingStatus.PUBLISHED, ListingStatus.ARCHIVED},
    ListingStatus.PUBLISHED: {ListingStatus.PAUSED, ListingStatus.ARCHIVED},
    ListingStatus.PAUSED: {ListingStatus.PUBLISHED, ListingStatus.ARCHIVED},
    ListingStatus.ARCHIVED: set(),
}
EDITABLE_FIELDS = {
    "title",
    "description",
    "category",
    "kind",
    "price_amount",
    "currency",
    "price_unit",
    "quantity",
    "ships",
    "pickup",
    "capacity",
    "lead_time_hours",
    "max_advance_days",
    "instant_book",
    "cancellation_policy",
    "location_name",
    "latitude",
    "longitude",
    "attributes",
}
CURRENCIES = {"GBP", "EUR", "USD"}


def _owned(listing_id: int, seller: Member, *, lock: bool = True) -> Listing:
    """The seller's own listing; anyone else is told it does not exist."""
    queryset = Listing.objects.select_for_update() if lock else Listing.objects
    try:
        return queryset.get(pk=listing_id, seller=seller)
    except Listing.DoesNotExist:
        from django.http import Http404

        raise Http404 from None


def _search_vector_refresh(listing_id: int) -> None:
    if connection.vendor == "postgresql":
        Listing.objects.filter(pk=listing_id).update(
            search_vector=SearchVector("title", weight="A", config="english")
            + SearchVector("description", weight="B", config="english")
        )


WORD_RE = re.compile(r"[^\W\d_]{3,40}")
VOCABULARY_SQL = (
    "INSERT INTO listings_searchterm (word, documents) SELECT word, ndoc FROM ts_stat("
    "'SELECT search_vector FROM listings_listing WHERE status = ''published''') "
    "WHERE length(word) BETWEEN 3 AND 60"
)


def _plain_words(text: str) -> set[str]:
    """The words SQLite search matches on (no stemming there): lower-cased, letters only, 3 to 40 long."""
    return {word.lower() for word in WORD_RE.findall(text or "")}


def search_terms_add(*, listing_id: int) -> None:
    """Adds a published listing's words to the typo-correcting vocabulary (selectors.search_corrections)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO listings_searchterm (word, documents) "
                "SELECT lexeme, 1 FROM listings_listing, unnest(tsvector_to_array(search_vector)) AS lexeme "
                "WHERE id = %s AND status = 'published' AND length(lexeme) BETWEEN 3 AND 60 "
                "ON CONFLICT (word) DO NOTHING",
                [listing_id],
            )
        return
    listing = Listing.objects.filter(pk=listing_id, status=ListingStatus.PUBLISHED).first()
    if listing is not None:
        words = _plain_words(f"{listing.title} {listing.description}")
        SearchTerm.objects.bulk_create([SearchTerm(word=w, documents=1) for w in words], ignore_conflicts=True)


@transaction.atomic
def search_terms_rebuild() -> int:
    """Recomputes the vocabulary from every published listing, with document counts (Celery beat, nightly).
    Words found only in listings since archived drop out here."""
    SearchTerm.objects.all().delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(VOCABULARY_SQL)
            return cursor.rowcount
    counts: dict[str, int] = {}
    published = Listing.objects.filter(status=ListingStatus.PUBLISHED).values_list("title", "description")
    for title, description in published.iterator():
        for word in _plain_words(f"{title} {description}"):
            counts[word] = counts.get(word, 0) + 1
    SearchTerm.objects.bulk_create([SearchTerm(word=w, documents=n) for w, n in counts.items()], batch_size=1000)
    return len(counts)


def _slug_for(title: str, pk: int) -> str:
    base = slugify(title)[:100].strip("-") or "listing"
    return f"{base}-{pk}"


def _apply(listing: Listing, data: dict[str, Any]) -> None:
    unknown = set(data) - EDITABLE_FIELDS - {"tags"}
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    data = dict(data)
    if "category" in data and not isinstance(data["category"], Category):
        data["category"] = _category_resolve(data["category"])
    for field, value in data.items():
        if field in {"tags", "attributes"}:
            continue
        setattr(listing, field, value)
    if listing.currency not in CURRENCIES:
        raise ValidationError({"currency": [_("Choose GBP, EUR or USD.")]})
    if listing.kind == ListingKind.ITEM:
        listing.price_unit = PriceUnit.EACH
    elif listing.price_unit == PriceUnit.EACH:
        raise ValidationError({"price_unit": [_("A booking is priced per hour, day or night.")]})
    if (listing.latitude is None) != (listing.longitude is None):
        raise ValidationError({"longitude": [_("Give both latitude and longitude, or neither.")]})
    if "attributes" in data or "category" in data:
        listing.attributes = attributes_validate(
            listing.category.effective_schema(), data.get("attributes", listing.attributes)
        )
    listing.full_clean(exclude=["seller", "slug", "search_vector"])


def _category_resolve(value: Any) -> Category:
    """A category given by id or slug (forms and the API send either)."""
    lookup = {"pk": int(value)} if str(value).isdigit() else {"slug": str(value)}
    category = Category.objects.filter(**lookup).first()
    if category is None:
        raise ValidationError({"category": [_("Choose a category.")]})
    return category


def _tags_set(listing: Listing, tags: Any) -> None:
    if tags is None:
        return
    if isinstance(tags, str):
        tags = [tag for tag in re.split(r"[,\n]", tags)]
    cleaned = sorted({slugify(str(tag))[:40] for tag in tags if slugify(str(tag))})
    if len(cleaned) > 12:
        raise ValidationError({"tags": [_("Use at most 12 tags.")]})
    listing.tags.set(cleaned, clear=True)


@transaction.atomic
def listing_create(*, seller: Member, data: dict[str, Any]) -> Listing:
    """Creates a draft; nothing is public until it passes the checks in `listing_publish`."""
    listing = Listing(seller=seller, slug=f"draft-{uuid.uuid4().hex}")
    if "category" not in data or data.get("category") in (None, ""):
        raise ValidationError({"category": [_("Choose a category.")]})
    _apply(listing, {"attributes": {}, **data})
    listing.save()
    listing.slug = _slug_for(listing.title, listing.pk)
    listing.save(update_fields=["slug"])
    _tags_set(listing, data.get("tags"))
    _search_vector_refresh(listing.pk)
    if listing.status == ListingStatus.PUBLISHED:
        search_terms_add(listing_id=listing.pk)
    return listing


@transaction.atomic
def listing_update(*, listing_id: int, seller: Member, data: dict[str, Any]) -> Listing:
    listing = _owned(listing_id, seller)
    if listing.status == ListingStatus.ARCHIVED:
        raise ValidationError(_("An archived listing cannot be edited."))
    old_slug = listing.slug
    _apply(listing, data)
    new_slug = _slug_for(listing.title, listing.pk)
    if new_slug != old_slug:
        ListingSlug.objects.get_or_create(slug=old_slug, defaults={"listing": listing})
        ListingSlug.objects.filter(slug=new_slug).delete()
        listing.slug = new_slug
    listing.save()
    _tags_set(listing, data.get("tags"))
    if listing.status in {ListingStatus.PUBLISHED, ListingStatus.PAUSED}:
        # A live listing stays above the publishing bar: an edit that would fail the checks is refused whole.
        problems = listing_quality_problems(listing)
        if problems:
            raise ValidationError(problems)
    _search_vector_refresh(listing.pk)
    return listing


def listing_quality_problems(listing: Listing) -> dict[str, list[str]]:
    """What stops a listing from being published, as field → messages a seller can act on."""
    problems: dict[str, list[str]] = {}
    if not listing.title.strip():
        problems["title"] = [_("Give the listing a title.")]
    if len(listing.description.strip()) < MIN_DESCRIPTION_LENGTH:
        problems["description"] = [
            _("Describe it in at least %(n)s characters: buyers decide on the description.")
            % {"n": MIN_DESCRIPTION_LENGTH}
        ]
    if not listing.photos.exists():
        problems["photos"] = [_("Add at least one photo.")]
    if not listing.location_name:
        problems["location_name"] = [_("Say where it is (a town or area).")]
    if listing.kind == ListingKind.BOOKING and not listing.availability_rules.exists():
        problems["availability"] = [_("Add at least one weekly time when it can be booked.")]
    try:
        attributes_validate(listing.category.effective_schema(), listing.attributes)
    except ValidationError as error:
        problems.update(error.message_dict)
    duplicate = listing_near_duplicate(listing)
    if duplicate is not None:
        problems.setdefault("description", []).append(
            _("This description is nearly the same as “%(title)s”. Describe what makes this one different.")
            % {"title": duplicate.title}
        )
    return problems


def _normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def listing_near_duplicate(listing: Listing) -> Listing | None:
    """Another live listing with (nearly) the same description: the seller's own are compared closely
    (difflib ratio over 0.9); everyone else's by identical normalised text."""
    text = _normalised(listing.description)
    if len(text) < MIN_DESCRIPTION_LENGTH // 2:
        return None
    live = Listing.objects.exclude(pk=listing.pk).exclude(status=ListingStatus.ARCHIVED)
    for other in live.filter(seller=listing.seller).only("id", "title", "description")[:200]:
        if difflib.SequenceMatcher(None, text, _normalised(other.description)).ratio() >= NEAR_DUPLICATE_RATIO:
            return other
    probe = listing.description.strip()[:200]
    for other in (
        live.exclude(seller=listing.seller)
        .filter(description__startswith=probe)
        .only("id", "title", "description")[:20]
    ):
        if _normalised(other.description) == text:
            return other
    return None


def _transition(listing: Listing, target: str) -> None:
    if target not in TRANSITIONS[listing.status]:
        raise ValidationError(
            _("A %(status)s listing cannot become %(target)s.")
            % {"status": listing.get_status_display().lower(), "target": ListingStatus(target).label.lower()}
        )
    listing.status = target


@transaction.atomic
def listing_publish(*, listing_id: int, seller: Member) -> Listing:
    listing = _owned(listing_id, seller)
    _transition(listing, ListingStatus.PUBLISHED)
    problems = listing_quality_problems(listing)
    if problems:
        raise ValidationError(problems)
    first_time = listing.published_at is None
    listing.published_at = listing.published_at or timezone.now()
    listing.save(update_fields=["status", "published_at", "updated_at"])
    search_terms_add(listing_id=listing.pk)
    if first_time:
        from listings.tasks import saved_searches_notify

        transaction.on_commit(lambda: saved_searches_notify.delay(listing.pk))
    return listing


@transaction.atomic
def listing_pause(*, listing_id: int, seller: Member) -> Listing:
    listing = _owned(listing_id, seller)
    _transition(listing, ListingStatus.PAUSED)
    listing.save(update_fields=["status", "updated_at"])
    return listing


@transaction.atomic
def listing_archive(*, listing_id: int, seller: Member) -> Listing:
    listing = _owned(listing_id, seller)
    _transition(listing, ListingStatus.ARCHIVED)
    listing.save(update_fields=["status", "updated_at"])
    return listing


@transaction.atomic
def listings_pause_bulk(*, seller: Member, listing_ids: list[int]) -> int:
    """Pauses the seller's published listings among `listing_ids`; others' listings are ignored."""
    return Listing.objects.filter(pk__in=listing_ids, seller=seller, status=ListingStatus.PUBLISHED).update(
        status=ListingStatus.PAUSED, updated_at=timezone.now()
    )


@transaction.atomic
def listing_duplicate(*, listing_id: int, seller: Member) -> Listing:
    """A new draft copying the listing, its photos, tags and availability."""
    source = _owned(listing_id, seller, lock=False)
    data = {field: getattr(source, field) for field in EDITABLE_FIELDS if field != "category"}
    data["title"] = _("Copy of %(title)s") % {"title": source.title}
    data["title"] = data["title"][:120]
    data["category"] = source.category
    copy = listing_create(seller=seller, data={**data, "tags": list(source.tags.names())})
    ListingPhoto.objects.bulk_create(
        [ListingPhoto(listing=copy, image=p.image, alt=p.alt, position=p.position) for p in source.photos.all()]
    )
    AvailabilityRule.objects.bulk_create(
        [
            AvailabilityRule(listing=copy, weekday=r.weekday, start_time=r.start_time, end_time=r.end_time)
            for r in source.availability_rules.all()
        ]
    )
    Listing.objects.filter(pk=copy.pk).update(available_weekdays=source.available_weekdays)
    copy.available_weekdays = source.available_weekdays
    return copy


@transaction.atomic
def listing_photo_add(*, listing_id: int, seller: Member, image_file, alt: str) -> ListingPhoto:
    listing = _owned(listing_id, seller)
    if listing.photos.count() >= MAX_PHOTOS:
        raise ValidationError({"image": [_("A listing has at most %(n)s photos.") % {"n": MAX_PHOTOS}]})
    alt = (alt or "").strip()
    if not alt:
        raise ValidationError({"alt": [_("Describe the photo for people who cannot see it.")]})
    if not image_file:
        raise ValidationError({"image": [_("Choose a photo.")]})
    try:
        validate_image_upload(image_file, max_bytes=PHOTO_MAX_BYTES, max_pixels=PHOTO_MAX_PIXELS)
    except ValidationError as error:
        raise ValidationError({"image": error.messages}) from error
    image_file.name = safe_upload_name(image_file, stem="listing")
    image = get_image_model().objects.create(
        title=alt[:255], file=image_file, collection=Collection.get_first_root_node(), uploaded_by_user=seller
    )
    position = (listing.photos.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    photo = ListingPhoto.objects.create(listing=listing, image=image, alt=alt[:200], position=position)
    # Thumbnails are generated once, here, not on the first page view.
    for spec in ("fill-400x300", "max-1200x900"):
        image.get_rendition(spec)
    return photo


@transaction.atomic
def listing_photo_remove(*, listing_id: int, seller: Member, photo_id: int) -> None:
    listing = _owned(listing_id, seller)
    photos = ListingPhoto.objects.filter(listing=listing)
    if listing.status in {ListingStatus.PUBLISHED, ListingStatus.PAUSED} and photos.count() <= 1:
        raise ValidationError({"photos": [_("A live listing keeps at least one photo. Add another first.")]})
    photos.filter(pk=photo_id).delete()


@transaction.atomic
def listing_availability_set(
    *, listing_id: int, seller: Member, rules: list[dict[str, Any]], blocked_dates: list[Any] | None = None
) -> Listing:
    """Replaces the weekly plan (and the blocked dates, when given)."""
    listing = _owned(listing_id, seller)
    if listing.kind != ListingKind.BOOKING:
        raise ValidationError({"availability": [_("Only services and rentals have availability.")]})
    if listing.status == ListingStatus.ARCHIVED:
        raise ValidationError({"availability": [_("An archived listing cannot be edited.")]})
    if len(rules) > 50:
        raise ValidationError({"availability": [_("At most 50 weekly windows.")]})
    cleaned = []
    for index, rule in enumerate(rules):
        try:
            weekday = int(rule.get("weekday"))
        except (TypeError, ValueError):
            weekday = -1
        if not 0 <= weekday <= 6:
            raise ValidationError({f"availability.{index}.weekday": [_("Choose a day of the week.")]})
        start, end = _time(rule.get("start_time")), _time(rule.get("end_time"))
        if start is None or end is None:
            raise ValidationError({f"availability.{index}": [_("Give a start and an end time as HH:MM.")]})
        if end <= start:
            raise ValidationError({f"availability.{index}.end_time": [_("The end must be after the start.")]})
        cleaned.append(AvailabilityRule(listing=listing, weekday=weekday, start_time=start, end_time=end))
    days: list[date] = []
    for raw in blocked_dates or []:
        try:
            days.append(raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip()))
        except ValueError:
            raise ValidationError({"blocked_dates": [_("Enter dates as YYYY-MM-DD.")]}) from None
    if len(set(days)) > 366:
        raise ValidationError({"blocked_dates": [_("At most 366 blocked dates.")]})
    listing.availability_rules.all().delete()
    AvailabilityRule.objects.bulk_create(cleaned)
    listing.available_weekdays = weekday_mask(rule.weekday for rule in cleaned)
    Listing.objects.filter(pk=listing.pk).update(available_weekdays=listing.available_weekdays)
    if blocked_dates is not None:
        # A blocked date replaces whatever exception that day had (one exception per day).
        listing.availability_exceptions.filter(Q(blocked=True) | Q(date__in=days)).delete()
        AvailabilityException.objects.bulk_create(
            [AvailabilityException(listing=listing, date=day, blocked=True) for day in sorted(set(days))]
        )
    return listing


@transaction.atomic
def listing_rating_set(*, listing_id: int, average: Decimal | None, count: int) -> None:
    """Stores the listing's review average and count (search's rating sort, JSON-LD AggregateRating); the orders
    app calls it whenever a review of an order for the listing becomes visible or is hidden."""
    rating_check(average, count)
    rounded = None if average is None else Decimal(average).quantize(Decimal("0.01"))
    Listing.objects.filter(pk=listing_id).update(rating_average=rounded, rating_count=count)


def weekday_mask(weekdays: Iterable[int]) -> int:
    """The weekdays as bits, Monday = bit 0: what search reads instead of joining the weekly rules."""
    mask = 0
    for weekday in weekdays:
        mask |= 1 << weekday
    return mask


def _time(value: Any) -> time | None:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


@transaction.atomic
def favourite_toggle(*, member: Member, listing: Listing) -> bool:
    """Saves or unsaves a listing; returns whether it is now a favourite."""
    deleted, _counts = Favourite.objects.filter(member=member, listing=listing).delete()
    if deleted:
        return False
    Favourite.objects.create(member=member, listing=listing)
    return True


@transaction.atomic
def saved_search_create(*, member: Member, name: str, query: dict[str, Any]) -> SavedSearch:
    name = (name or "").strip()[:120] or _("My search")
    if member.saved_searches.count() >= 25:
        raise ValidationError({"name": [_("You can keep at most 25 saved searches.")]})
    return SavedSearch.objects.create(member=member, name=name, query=query)


@transaction.atomic
def saved_search_delete(*, member: Member, saved_search_id: int) -> SavedSearch:
    """Deletes one of the member's saved searches; someone else's is a 404."""
    saved = SavedSearch.objects.filter(pk=saved_search_id, member=member).first()
    if saved is None:
        from django.http import Http404

        raise Http404
    saved.delete()
    return saved


def listing_visible_to(listing: Listing, member: Any) -> bool:
    """Drafts, paused and archived listings are seen only by their seller."""
    if listing.status == ListingStatus.PUBLISHED:
        return True
    return bool(getattr(member, "is_authenticated", False) and listing.seller_id == member.pk)
