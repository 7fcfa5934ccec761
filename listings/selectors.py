"""Reads for listings: search with filters, facets and sorting; listing pages; a seller's own listings.

Search runs on PostgreSQL full-text search (GIN-indexed `search_vector`, websearch syntax, ranked) with a trigram
fallback on titles for small typos; on SQLite (the embedded default) it matches every word in title or description.
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Field,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Power, Sqrt
from django.db.models.lookups import GreaterThan
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.images import get_image_model

from community.models import Verification, VerificationKind, VerificationStatus
from listings.models import (
    AvailabilityException,
    Category,
    Favourite,
    Listing,
    ListingKind,
    ListingPhoto,
    ListingSlug,
    ListingStatus,
    SavedSearch,
    SearchTerm,
)
from listings.models.catalogue import CATEGORY_TREE_CACHE_KEY

CARD_RENDITIONS = ["fill-400x300", "max-1200x900"]
SORTS = ("relevance", "newest", "price_asc", "price_desc", "distance", "rating")
MAX_PAGE_SIZE = 100
MAX_AVAILABILITY_DAYS = 31
RESULT_CAP = 1000  # results counted, faceted and paged per search (listings_search)
KM_PER_DEGREE = 111.2
PRICE_BUCKETS = [(0, 1000), (1000, 5000), (5000, 20000), (20000, None)]


@dataclass
class SearchParams:
    q: str = ""
    category: str = ""
    kind: str = ""
    min_price: int | None = None
    max_price: int | None = None
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    available_from: date | None = None
    available_to: date | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    verified: bool = False
    min_rating: float | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20

    def as_query(self) -> dict[str, Any]:
        """The filters as JSON, for saved searches."""
        data: dict[str, Any] = {}
        for name in ("q", "category", "kind", "min_price", "max_price", "lat", "lng", "radius_km", "min_rating"):
            value = getattr(self, name)
            if value not in (None, ""):
                data[name] = value
        for name in ("available_from", "available_to"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value.isoformat()
        if self.verified:
            data["verified"] = True
        for name, value in self.attrs.items():
            data[f"attr.{name}"] = value
        return data


@dataclass
class SearchResult:
    params: SearchParams
    results: list[Listing]
    count: int
    page: int
    num_pages: int
    facets: dict[str, Any]
    category: Category | None = None
    capped: bool = False
    keywords: Keywords | None = None

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _number(data, name: str, errors: dict, *, integer: bool = False, low=None, high=None):
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw) if integer else float(raw)
        if not math.isfinite(value):
            raise ValueError
    except (TypeError, ValueError):
        errors[name] = [_("Enter a number.")]
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        errors[name] = [_("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high}]
        return None
    return value


def _date(data, name: str, errors: dict) -> date | None:
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def search_params_parse(data) -> SearchParams:
    """Parses query-string parameters (HTML search and API alike); bad values raise field errors."""
    errors: dict[str, list[str]] = {}
    params = SearchParams(
        q=str(data.get("q", "")).strip()[:200],
        category=str(data.get("category", "")).strip()[:80],
        kind=str(data.get("kind", "")).strip(),
        min_price=_number(data, "min_price", errors, integer=True, low=0, high=10**12),
        max_price=_number(data, "max_price", errors, integer=True, low=0, high=10**12),
        lat=_number(data, "lat", errors, low=-90, high=90),
        lng=_number(data, "lng", errors, low=-180, high=180),
        radius_km=_number(data, "radius_km", errors, low=0.1, high=500),
        available_from=_date(data, "available_from", errors),
        available_to=_date(data, "available_to", errors),
        verified=str(data.get("verified", "")).lower() in {"1", "true", "yes", "on"},
        min_rating=_number(data, "min_rating", errors, low=0, high=5),
        sort=str(data.get("sort", "") or "relevance"),
        page=_number(data, "page", errors, integer=True, low=1, high=10_000) or 1,
        page_size=_number(data, "page_size", errors, integer=True, low=1, high=MAX_PAGE_SIZE) or 20,
    )
    params.attrs = {
        key[len("attr.") :]: str(value)[:100]
        for key, value in data.items()
        if key.startswith("attr.") and value not in (None, "")
    }
    if params.kind and params.kind not in {"item", "booking"}:
        errors["kind"] = [_("Choose item or booking.")]
    if params.sort not in SORTS:
        errors["sort"] = [_("Sort by one of: %(sorts)s.") % {"sorts": ", ".join(SORTS)}]
    if params.min_price is not None and params.max_price is not None and params.min_price > params.max_price:
        errors["max_price"] = [_("The maximum price is below the minimum.")]
    geo = (params.lat, params.lng, params.radius_km)
    if any(v is not None for v in geo) and not all(v is not None for v in geo):
        errors["radius_km"] = [_("Give lat, lng and radius_km together.")]
    if params.sort == "distance" and params.lat is None:
        errors["sort"] = [_("Sorting by distance needs lat, lng and radius_km.")]
    if (params.available_from is None) != (params.available_to is None):
        errors["available_to"] = [_("Give both dates.")]
    elif params.available_from and params.available_to:
        if params.available_to < params.available_from:
            errors["available_to"] = [_("The end date is before the start date.")]
        elif (params.available_to - params.available_from).days >= MAX_AVAILABILITY_DAYS:
            errors["available_to"] = [_("Search at most %(n)s days at once.") % {"n": MAX_AVAILABILITY_DAYS}]
    if errors:
        raise ValidationError(errors)
    return params


def card_prefetches() -> list[Prefetch]:
    """What a listing card needs beyond its row (photos in order with their thumbnails, the seller's approved
    verifications for badges): a fixed number of queries for any number of cards."""
    return [
        Prefetch(
            "photos",
            queryset=ListingPhoto.objects.select_related("image")
            .prefetch_related(
                Prefetch(
                    "image__renditions",
                    queryset=get_image_model().get_rendition_model().objects.filter(filter_spec__in=CARD_RENDITIONS),
                    to_attr="prefetched_renditions",
                )
            )
            .order_by("position", "id"),
        ),
        Prefetch(
            "seller__verifications",
            queryset=Verification.objects.filter(status=VerificationStatus.APPROVED).only("id", "member_id", "kind"),
            to_attr="approved_verifications",
        ),
    ]


def listing_card_queryset() -> QuerySet[Listing]:
    """What a listing card needs (seller with badges, category, first photo) in a fixed number of queries."""
    return Listing.objects.select_related("seller__profile", "category").prefetch_related(*card_prefetches())


def _verified_seller() -> Exists:
    return Exists(
        Verification.objects.filter(
            member=OuterRef("seller"),
            status=VerificationStatus.APPROVED,
            kind__in=[VerificationKind.GOVERNMENT_ID, VerificationKind.BUSINESS],
        )
    )


def _weekday_bits(start: date, end: date) -> dict[int, list[date]]:
    days: dict[int, list[date]] = {}
    day = start
    while day <= end:
        days.setdefault(day.weekday(), []).append(day)
        day += timedelta(days=1)
    return days


def _available_between(start: date, end: date) -> Q:
    """Booking listings open on at least one day of the range.

    A day is open when the listing's weekly plan has that weekday (`available_weekdays`, a bitmask kept by the
    availability service) and the day is not blocked, or when the day has an exception with its own hours.
    Blocked days are few, so this reads the listing row plus two small hashed subqueries over the exceptions in
    the range, not a join per day; listings whose every open weekday in the range is blocked are dropped by
    comparing counts. The booking window counts too: the range must reach past the lead time and start within
    the days the listing can be booked ahead.
    """
    today = timezone.localdate()
    by_weekday = _weekday_bits(start, end)
    range_mask = sum(1 << weekday for weekday in by_weekday)
    in_range = AvailabilityException.objects.filter(date__gte=start, date__lte=end)
    blocked_in_range = in_range.filter(blocked=True)
    # Per listing with blocked days in the range: how many of the range's days its plan opens, and how many of
    # those are blocked. Open days left over keep it.
    open_days = sum(
        (
            Case(
                When(GreaterThan(F("listing__available_weekdays").bitand(1 << weekday), 0), then=Value(len(days))),
                default=Value(0),
            )
            for weekday, days in by_weekday.items()
        ),
        Value(0),
    )
    blocked_on_open_day = Q()
    for weekday, days in by_weekday.items():
        blocked_on_open_day |= Q(date__in=days) & GreaterThan(F("listing__available_weekdays").bitand(1 << weekday), 0)
    still_open = (
        blocked_in_range.filter(blocked_on_open_day)
        .values("listing_id")
        .annotate(blocked_days=Count("id"), open_days=open_days)
        .filter(blocked_days__lt=F("open_days"))
        .values("listing_id")
    )
    weekly = GreaterThan(F("available_weekdays").bitand(range_mask), 0)
    condition = (
        (Q(weekly) & ~Q(pk__in=blocked_in_range.values("listing_id")))
        | Q(pk__in=still_open)
        | Q(pk__in=in_range.filter(blocked=False).values("listing_id"))
    )
    reachable = Q(max_advance_days__gte=(start - today).days)
    if end < today:
        reachable = Q(pk__in=[])
    return Q(kind="booking") & reachable & condition


@dataclass(frozen=True)
class Keywords:
    """A keyword query as searched: its words as full-text lexemes (PostgreSQL) and any misspelt word with the
    vocabulary word that stands in for it."""

    q: str
    lexemes: tuple[str, ...] = ()
    corrections: dict[str, str] = field(default_factory=dict)

    @property
    def corrected(self) -> str:
        return " ".join(self.corrections.values())


def search_corrections(q: str) -> Keywords:
    """Looks up each query word in the vocabulary of published listings (listings.SearchTerm); a word that is not
    there is replaced by its nearest vocabulary word when one is close enough (trigram similarity through the
    word index on PostgreSQL, difflib on SQLite). One query on PostgreSQL: the vocabulary is small beside the
    listings."""
    if not q:
        return Keywords(q)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT w.lexeme, CASE WHEN k.id IS NULL AND length(w.lexeme) >= 3 THEN "
                "(SELECT t.word FROM listings_searchterm t WHERE t.word %% w.lexeme "
                "ORDER BY similarity(t.word, w.lexeme) DESC, t.documents DESC, t.word LIMIT 1) END "
                "FROM unnest(tsvector_to_array(to_tsvector('english', %s))) AS w(lexeme) "
                "LEFT JOIN listings_searchterm k ON k.word = w.lexeme LIMIT 16",
                [q],
            )
            rows = cursor.fetchall()
        return Keywords(q, tuple(lexeme for lexeme, _best in rows), {lexeme: best for lexeme, best in rows if best})
    words = [word.lower() for word in q.split()[:8]]
    known = set(SearchTerm.objects.filter(word__in=words).values_list("word", flat=True))
    corrections: dict[str, str] = {}
    unknown = [word for word in words if word not in known and len(word) >= 3]
    if unknown:
        vocabulary = list(SearchTerm.objects.values_list("word", flat=True)[:50_000])
        for word in unknown:
            close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.75)
            if close:
                corrections[word] = close[0]
    return Keywords(q, tuple(words), corrections)


def _tsquery(keywords: Keywords) -> SearchQuery:
    query = SearchQuery(keywords.q, search_type="websearch", config="english")
    if keywords.corrections:
        # Also the query with each misspelt lexeme replaced by its correction: every word still has to match.
        words = [keywords.corrections.get(lexeme, lexeme) for lexeme in keywords.lexemes]
        raw = " & ".join("'" + word.replace("'", "''") + "'" for word in words)
        query = query | SearchQuery(raw, search_type="raw", config="simple")
    return query


def _keyword(queryset: QuerySet[Listing], keywords: Keywords) -> QuerySet[Listing]:
    """Every word must match (websearch syntax on PostgreSQL: quotes, or, -word), through the GIN index."""
    if connection.vendor == "postgresql":
        return queryset.filter(search_vector=_tsquery(keywords))
    for word in keywords.q.split()[:8]:
        match = Q(title__icontains=word) | Q(description__icontains=word)
        correction = keywords.corrections.get(word.lower())
        if correction:
            match |= Q(title__icontains=correction) | Q(description__icontains=correction)
        queryset = queryset.filter(match)
    return queryset


class _Earth(Func):
    """A position on the earth (earthdistance's ll_to_earth, a cube): what the GiST index of migration 0005 holds."""

    function = "ll_to_earth"
    output_field = Field()


class _EarthBox(Func):
    function = "earth_box"
    output_field = Field()


class _EarthDistance(Func):
    """Great-circle distance in metres."""

    function = "earth_distance"
    output_field = FloatField()


class _CubeContains(Func):
    arg_joiner = " @> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class _CubeDistance(Func):
    """The cube distance operator: ordering by it walks the GiST index nearest first (KNN)."""

    arg_joiner = " <-> "
    template = "(%(expressions)s)"
    output_field = FloatField()


def _distance(queryset: QuerySet[Listing], lat: float, lng: float, radius_km: float) -> QuerySet[Listing]:
    """Listings within the radius, annotated with `distance_order` (ascending = nearest).

    PostgreSQL: the GiST index on ll_to_earth (migration 0005) finds the listings inside the circle's bounding cube
    and orders by distance without computing it for every candidate. SQLite: an equirectangular distance within a
    latitude/longitude box (accurate to well under 1% at search radii)."""
    if connection.vendor == "postgresql":
        here = _Earth(Value(float(lat)), Value(float(lng)))
        there = _Earth(Cast("latitude", FloatField()), Cast("longitude", FloatField()))
        metres = radius_km * 1000
        return (
            queryset.filter(_CubeContains(_EarthBox(here, Value(metres)), there))
            .alias(distance_m=_EarthDistance(here, there))
            .filter(distance_m__lte=metres)
            .annotate(distance_order=_CubeDistance(there, here))
        )
    dlat = radius_km / KM_PER_DEGREE
    dlng = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    queryset = queryset.filter(
        latitude__gte=lat - dlat, latitude__lte=lat + dlat, longitude__gte=lng - dlng, longitude__lte=lng + dlng
    )
    cos_lat = math.cos(math.radians(lat))
    dy = Cast("latitude", FloatField()) - Value(lat)
    dx = (Cast("longitude", FloatField()) - Value(lng)) * Value(cos_lat)
    queryset = queryset.annotate(
        distance_order=Sqrt(Power(dx, 2) + Power(dy, 2)) * Value(KM_PER_DEGREE, output_field=FloatField())
    )
    return queryset.filter(distance_order__lte=radius_km)


def distance_km(lat: float, lng: float, listing: Listing) -> float | None:
    """The same distance as `_distance`, for listings already loaded."""
    if listing.latitude is None or listing.longitude is None:
        return None
    dy = float(listing.latitude) - lat
    dx = (float(listing.longitude) - lng) * math.cos(math.radians(lat))
    return math.hypot(dx, dy) * KM_PER_DEGREE


def _category(slug: str, tree: list[Category]) -> Category | None:
    if not slug:
        return None
    category = next((node for node in tree if node.slug == slug), None)
    if category is None:
        raise ValidationError({"category": [_("Unknown category.")]})
    return category


def _attribute_filters(
    queryset: QuerySet[Listing], category: Category | None, attrs: dict[str, str], tree: list[Category]
) -> QuerySet[Listing]:
    if not attrs:
        return queryset
    if category is None:
        raise ValidationError({"category": [_("Choose a category to filter by its attributes.")]})
    schema = {definition["name"]: definition for definition in effective_schema(category, tree)}
    for name, raw in attrs.items():
        definition = schema.get(name)
        if definition is None:
            raise ValidationError({f"attr.{name}": [_("This category has no such attribute.")]})
        if definition["type"] == "integer":
            try:
                value: Any = int(raw)
            except ValueError:
                raise ValidationError({f"attr.{name}": [_("Enter a whole number.")]}) from None
        elif definition["type"] == "boolean":
            value = raw.lower() in {"1", "true", "yes", "on"}
        else:
            value = raw
        if connection.vendor == "postgresql":  # containment (@>): the GIN index of migration 0006 answers it
            queryset = queryset.filter(attributes__contains={name: value})
        else:  # SQLite has no JSON containment
            queryset = queryset.filter(**{f"attributes__{name}": value})
    return queryset


def categories_tree() -> list[Category]:
    """Every category in tree order, cached until a category changes (listings.signals clears it): the search
    page, its facets and the forms all read it."""
    tree = cache.get(CATEGORY_TREE_CACHE_KEY)
    if tree is None:
        tree = list(Category.get_tree())
        cache.set(CATEGORY_TREE_CACHE_KEY, tree, 60 * 60)
    return tree


def effective_schema(category: Category, tree: list[Category]) -> list[dict[str, Any]]:
    """Category.effective_schema from the loaded tree (no query for the ancestors)."""
    schema: dict[str, dict] = {}
    for node in sorted((n for n in tree if category.path.startswith(n.path)), key=lambda n: n.depth):
        for definition in node.attribute_schema or []:
            schema[definition["name"]] = definition
    return list(schema.values())


@dataclass(frozen=True)
class _Candidate:
    pk: int
    category_id: int
    kind: str
    price_amount: int
    published_at: Any
    attributes: dict[str, Any]
    rank: float = 0.0


def _facets(candidates: list[_Candidate], category: Category | None, tree: list[Category]) -> dict[str, Any]:
    """Counts over the results — categories one level down, kinds, price bands and the category's choice
    attributes — from the candidate rows already fetched: no query."""
    depth = category.depth + 1 if category else 1
    children = [node for node in tree if node.depth == depth and (not category or node.path.startswith(category.path))]
    paths = {node.pk: node.path for node in tree}
    schema = [d for d in (effective_schema(category, tree) if category else []) if d["type"] == "choice"]
    steplen = Category.steplen
    by_child: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    bands: Counter[int] = Counter()
    choices: dict[str, Counter[Any]] = {d["name"]: Counter() for d in schema}
    for row in candidates:
        by_child[paths.get(row.category_id, "")[: depth * steplen]] += 1
        kinds[row.kind] += 1
        for index, (low, high) in enumerate(PRICE_BUCKETS):
            if row.price_amount >= low and (high is None or row.price_amount < high):
                bands[index] += 1
        for name, counter in choices.items():
            counter[(row.attributes or {}).get(name)] += 1
    return {
        "categories": [
            {"slug": child.slug, "name": child.name, "count": by_child[child.path]}
            for child in children
            if by_child[child.path]
        ],
        "kind": {kind: kinds[kind] for kind in ("item", "booking") if kinds[kind]},
        "price": [{"min": low, "max": high, "count": bands[index]} for index, (low, high) in enumerate(PRICE_BUCKETS)],
        "attributes": {
            d["name"]: [{"value": choice, "count": choices[d["name"]][choice]} for choice in d["choices"]]
            for d in schema
        },
    }


def listings_matching(
    params: SearchParams, *, keywords: Keywords | None = None, tree: list[Category] | None = None
) -> tuple[QuerySet[Listing], Category | None]:
    """Published listings that pass every filter of `params`, unordered and unpaginated. `keywords` carries typo
    corrections (search_corrections); without it the words are searched as typed."""
    tree = categories_tree() if tree is None else tree
    category = _category(params.category, tree)
    queryset = listing_card_queryset().filter(status=ListingStatus.PUBLISHED)
    if category is not None:
        # The category and its descendants by id, from the cached tree: the (category, status) index applies.
        queryset = queryset.filter(category_id__in=[n.pk for n in tree if n.path.startswith(category.path)])
    if params.kind:
        queryset = queryset.filter(kind=params.kind)
    if params.min_price is not None:
        queryset = queryset.filter(price_amount__gte=params.min_price)
    if params.max_price is not None:
        queryset = queryset.filter(price_amount__lte=params.max_price)
    if params.verified:
        queryset = queryset.filter(_verified_seller())
    if params.available_from and params.available_to:
        queryset = queryset.filter(_available_between(params.available_from, params.available_to))
    queryset = _attribute_filters(queryset, category, params.attrs, tree)
    if params.lat is not None and params.lng is not None and params.radius_km is not None:
        queryset = _distance(queryset, params.lat, params.lng, params.radius_km)
    if params.q:
        queryset = _keyword(queryset, keywords or Keywords(params.q))
    if params.min_rating is not None:  # sellers without reviews have no rating: a minimum leaves them out
        queryset = queryset.filter(seller__profile__rating_average__gte=params.min_rating)
    return queryset, category


def listings_search(params: SearchParams) -> SearchResult:
    """One page of results, the count and the facets, at a cost that does not grow with the number of matches.

    One query picks at most RESULT_CAP candidates in the order asked for, through an index (the newest first for
    a keyword search sorted by relevance, ranked as they are read), with the few columns the facets need; the
    count, the facets and the pages come from those rows, and a second query loads the page's listings. A search
    matching more says "more than 1,000" (result.capped): ranking every listing that contains a common word is
    what makes naive search slow, and nobody pages past the first thousand.
    """
    tree = categories_tree()
    keywords = search_corrections(params.q) if params.q else Keywords("")
    queryset, category = listings_matching(params, keywords=keywords, tree=tree)
    ranked = bool(params.q) and params.sort == "relevance" and connection.vendor == "postgresql"
    ordering = {
        "relevance": ["-published_at", "-id"],
        "newest": ["-published_at", "-id"],
        "price_asc": ["price_amount", "-id"],
        "price_desc": ["-price_amount", "-id"],
        "distance": ["distance_order"],  # exactly the index's KNN order: a tiebreak would sort every match
        "rating": [
            F("seller__profile__rating_average").desc(nulls_last=True),
            "-seller__profile__rating_count",
            "-published_at",
            "-id",
        ],
    }[params.sort]
    with_attributes = bool(category) and any(d["type"] == "choice" for d in effective_schema(category, tree))
    # Near a place, the candidates are the nearest matches (the GiST index's KNN order, cheap however many
    # listings a city holds), then put in the order asked for: "newest within 10 km" means the newest of the
    # RESULT_CAP nearest. Filtering a radius and walking another order is what made geo searches slow.
    geo_first = params.lat is not None and params.sort in {"relevance", "newest", "price_asc", "price_desc"}
    queryset = queryset.order_by(*(["distance_order"] if geo_first else ordering))
    if ranked:
        queryset = queryset.annotate(rank=SearchRank(F("search_vector"), _tsquery(keywords)))
    fields = ["pk", "category_id", "kind", "price_amount", "published_at"]
    if with_attributes:
        fields.append("attributes")
    if ranked:
        fields.append("rank")
    candidates = [
        _Candidate(
            pk=row[0],
            category_id=row[1],
            kind=row[2],
            price_amount=row[3],
            published_at=row[4],
            attributes=row[5] if with_attributes else {},
            rank=row[-1] if ranked else 0.0,
        )
        for row in queryset.values_list(*fields)[: RESULT_CAP + 1]
    ]
    capped = len(candidates) > RESULT_CAP
    candidates = candidates[:RESULT_CAP]
    if geo_first:  # into the order asked for; the nearest first among equals
        if params.sort == "price_asc":
            candidates.sort(key=lambda candidate: candidate.price_amount)
        elif params.sort == "price_desc":
            candidates.sort(key=lambda candidate: -candidate.price_amount)
        elif not ranked:
            candidates.sort(
                key=lambda candidate: (candidate.published_at is not None, candidate.published_at), reverse=True
            )
    if ranked:  # stable: equal ranks stay newest first (nearest first near a place)
        candidates.sort(key=lambda candidate: -candidate.rank)
    num_pages = max(1, math.ceil(len(candidates) / params.page_size))
    page = min(params.page, num_pages)
    offset = (page - 1) * params.page_size
    page_ids = [candidate.pk for candidate in candidates[offset : offset + params.page_size]]
    rows = listing_card_queryset().in_bulk(page_ids) if page_ids else {}
    results = [rows[pk] for pk in page_ids if pk in rows]
    if params.lat is not None and params.lng is not None:
        for listing in results:
            listing.distance_km = distance_km(params.lat, params.lng, listing)
    return SearchResult(
        params=params,
        results=results,
        count=len(candidates),
        page=page,
        num_pages=num_pages,
        facets=_facets(candidates, category, tree),
        category=category,
        capped=capped,
        keywords=keywords,
    )


def listing_public_get(*, slug: str, member: Any) -> Listing:
    """A listing with its photos, badges, tags and availability: published listings for everyone, any status for
    its seller, 404 for anyone else."""
    return listing_page_get(slug=slug, member=member, related=0).listing


@dataclass
class ListingPage:
    listing: Listing
    related: list[Listing]


def listing_page_get(*, slug: str, member: Any, related: int = 4) -> ListingPage:
    """A listing page: the listing and a few related listings, their photos and badges loaded together (the
    same queries for any number of photos), availability only for bookings. 404 as listing_public_get."""
    listing = Listing.objects.select_related("seller__profile", "category").filter(slug=slug).first()
    if listing is None:
        raise Http404
    if listing.status != ListingStatus.PUBLISHED and not (
        getattr(member, "is_authenticated", False) and listing.seller_id == member.pk
    ):
        raise Http404
    others: list[Listing] = []
    if related:
        others = list(
            Listing.objects.select_related("seller__profile", "category")
            .filter(status=ListingStatus.PUBLISHED, category_id=listing.category_id)
            .exclude(pk=listing.pk)
            .order_by("-published_at", "-id")[:related]
        )
    prefetch_related_objects([listing, *others], *card_prefetches())
    lookups = ["tags"]
    if listing.kind == ListingKind.BOOKING:
        lookups += ["availability_rules", "availability_exceptions"]
    prefetch_related_objects([listing], *lookups)
    return ListingPage(listing=listing, related=others)


def listing_slug_redirect(*, slug: str) -> Listing | None:
    """The listing an old slug belonged to, for a permanent redirect."""
    old = ListingSlug.objects.select_related("listing").filter(slug=slug).first()
    return old.listing if old else None


def listings_of_seller(*, seller: Any, status: str = "") -> QuerySet[Listing]:
    queryset = listing_card_queryset().filter(seller=seller).order_by("-updated_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def listing_is_favourite(*, member: Any, listing: Listing) -> bool:
    return (
        bool(getattr(member, "is_authenticated", False))
        and Favourite.objects.filter(member=member, listing=listing).exists()
    )


def favourites_of(*, member: Any) -> QuerySet[Listing]:
    """The member's saved listings that are still published, the most recently saved first."""
    return (
        listing_card_queryset()
        .filter(status=ListingStatus.PUBLISHED, favourited_by__member=member)
        .order_by("-favourited_by__created_at", "-id")
    )


def saved_searches_of(*, member: Any) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(member=member).order_by("-created_at", "-id")
