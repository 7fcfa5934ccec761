"""Listings in the REST API: the category tree, search, listing detail, and a seller's listings, photos and status.

Reads go through `listings.selectors`, writes through `listings.services`; errors use the format of `hub.api`
(400 `{"errors": {"price": [...], "attributes.condition": [...], "location.lat": [...]}}`, 404 `{"detail": ...}`).
Prices are integers in minor units. Public coordinates are rounded (`Listing.approximate_location`); only the
seller sees their own listing's exact ones.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView
from wagtail.images import get_image_model
from wagtail.images.models import Filter, SourceImageIOError

from community.models import VerificationKind
from listings import selectors, services
from listings.models import AvailabilityRule, CancellationPolicy, Category, Listing, ListingKind, PriceUnit
from listings.models.listings import MAX_PRICE

CARD_RENDITION = "fill-400x300"
PHOTO_RENDITION = "max-1200x900"
VERIFIED_KINDS = {VerificationKind.GOVERNMENT_ID, VerificationKind.BUSINESS}
# Model and service field names → the API's names, for errors raised below the serializers.
SERVICE_FIELD_NAMES = {"price_amount": "price", "currency": "price"}
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


class ListingWriteThrottle(UserRateThrottle):
    """Creating and changing listings, per member, on top of the global anon/user throttles."""

    scope = "listing_write"
    rate = "60/min"


class ListingWriteThrottleMixin:
    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method in WRITE_METHODS:
            throttles = [*throttles, ListingWriteThrottle()]
        return throttles


# ---------------------------------------------------------------------------------------------------------------
# Renditions, locations and other helpers
# ---------------------------------------------------------------------------------------------------------------


def _renditions_prefetch(images: list, specs: tuple[str, ...]) -> None:
    """One query loads the renditions `specs` of every image, so a page of any size costs the same."""
    images = [image for image in images if image is not None]
    if not images:
        return
    rendition_model = get_image_model().get_rendition_model()
    prefetch_related_objects(
        images,
        Prefetch(
            "renditions",
            queryset=rendition_model.objects.filter(filter_spec__in=specs),
            to_attr="prefetched_renditions",
        ),
    )


def _rendition_url(request, image, spec: str) -> str | None:
    try:
        rendition = image.find_existing_rendition(Filter(spec=spec))
    except image.get_rendition_model().DoesNotExist:
        # Made once at upload; an image that predates that gets its rendition now.
        try:
            rendition = image.get_rendition(spec)
        except (SourceImageIOError, OSError):
            return None
    return request.build_absolute_uri(rendition.url)


def _first_photo(listing: Listing):
    photos = list(listing.photos.all())
    return photos[0] if photos else None


def _service_errors(error: DjangoValidationError) -> DjangoValidationError:
    """A service's error with model field names turned into the API's (`price_amount` → `price`)."""
    if not hasattr(error, "error_dict"):
        return error
    renamed: dict[str, list] = {}
    for field, messages in error.message_dict.items():
        renamed.setdefault(SERVICE_FIELD_NAMES.get(field, field), []).extend(messages)
    return DjangoValidationError(renamed)


def _owned_or_404(request, pk: int) -> None:
    """Someone else's listing answers exactly like a missing one, before its input is even looked at."""
    if not Listing.objects.filter(pk=pk, seller_id=request.user.pk).exists():
        raise Http404


def _listing_detail_get(request, pk: int) -> Listing:
    """Published listings for anyone; any status for the seller; 404 for everyone else."""
    listing = (
        selectors.listing_card_queryset()
        .prefetch_related("availability_rules", "availability_exceptions", "tags")
        .filter(pk=pk)
        .first()
    )
    if listing is None or not services.listing_visible_to(listing, request.user):
        raise Http404
    _renditions_prefetch([photo.image for photo in listing.photos.all()], (CARD_RENDITION, PHOTO_RENDITION))
    return listing


def _detail_response(request, listing: Listing, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(ListingDetailSerializer(listing, context={"request": request}).data, status=status_code)


# ---------------------------------------------------------------------------------------------------------------
# Read serializers
# ---------------------------------------------------------------------------------------------------------------


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True, help_text="The parent category's id; null for a root.")
    depth = serializers.IntegerField()
    attribute_schema = serializers.ListField(
        child=serializers.DictField(),
        help_text="The effective schema: the category's attribute definitions after those of its ancestors.",
    )
    tips = serializers.CharField()


class ListingPriceSerializer(serializers.Serializer):
    amount = serializers.IntegerField(source="price_amount", help_text="Minor units (pence, cents).")
    currency = serializers.CharField()


class ListingLocationSerializer(serializers.Serializer):
    name = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)


class SellerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    verified = serializers.SerializerMethodField(help_text="An approved government ID or business verification.")
    rating = serializers.SerializerMethodField(
        help_text="Average review rating from 1 to 5; null while the seller has no reviews."
    )

    def get_verified(self, seller) -> bool:
        approved = getattr(seller, "approved_verifications", None)
        if approved is None:
            approved = seller.verifications.filter(status="approved")
        return any(verification.kind in VERIFIED_KINDS for verification in approved)

    def get_rating(self, seller) -> float | None:
        profile = getattr(seller, "profile", None)
        average = getattr(profile, "rating_average", None)
        return None if average is None else float(average)


class ListingCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    url = serializers.SerializerMethodField(help_text="The listing's page.")
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=ListingKind.choices)
    price = ListingPriceSerializer(source="*")
    price_unit = serializers.ChoiceField(choices=PriceUnit.choices)
    location = serializers.SerializerMethodField()
    photo = serializers.SerializerMethodField(help_text=f"The first photo's {CARD_RENDITION} thumbnail.")
    seller = SellerSerializer()

    def get_url(self, listing: Listing) -> str:
        return self.context["request"].build_absolute_uri(listing.get_absolute_url())

    def _exact_location(self, listing: Listing) -> bool:
        return False

    @extend_schema_field(ListingLocationSerializer)
    def get_location(self, listing: Listing) -> dict[str, Any]:
        if self._exact_location(listing) and listing.latitude is not None:
            lat, lng = float(listing.latitude), float(listing.longitude)
        else:
            lat, lng = listing.approximate_location or (None, None)
        return {"name": listing.location_name, "lat": lat, "lng": lng}

    def get_photo(self, listing: Listing) -> str | None:
        photo = _first_photo(listing)
        return _rendition_url(self.context["request"], photo.image, CARD_RENDITION) if photo else None


class ListingPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text=f"The {PHOTO_RENDITION} rendition.")
    thumbnail = serializers.SerializerMethodField(help_text=f"The {CARD_RENDITION} rendition.")
    alt = serializers.CharField()

    def get_url(self, photo) -> str | None:
        return _rendition_url(self.context["request"], photo.image, PHOTO_RENDITION)

    def get_thumbnail(self, photo) -> str | None:
        return _rendition_url(self.context["request"], photo.image, CARD_RENDITION)


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()


class AvailabilityRuleSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 is Monday, 6 is Sunday.")
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()

    def validate(self, attrs):
        if attrs["end_time"] <= attrs["start_time"]:
            raise serializers.ValidationError({"end_time": "The end must be after the start."})
        return attrs


class AvailabilityExceptionSerializer(serializers.Serializer):
    date = serializers.DateField()
    blocked = serializers.BooleanField()
    start_time = serializers.TimeField(allow_null=True)
    end_time = serializers.TimeField(allow_null=True)


class ListingDetailSerializer(ListingCardSerializer):
    status = serializers.CharField()
    category = CategoryRefSerializer()
    description = serializers.CharField(help_text="Markdown source.")
    description_html = serializers.CharField(help_text="Sanitised HTML rendered from the Markdown.")
    attributes = serializers.DictField()
    tags = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    # items (null for bookings)
    quantity = serializers.SerializerMethodField()
    ships = serializers.SerializerMethodField()
    pickup = serializers.SerializerMethodField()
    # bookings (null, or empty lists, for items)
    capacity = serializers.SerializerMethodField()
    lead_time_hours = serializers.SerializerMethodField()
    max_advance_days = serializers.SerializerMethodField()
    instant_book = serializers.SerializerMethodField(help_text="Bookings: false when the seller accepts requests.")
    cancellation_policy = serializers.ChoiceField(choices=CancellationPolicy.choices)
    availability = serializers.SerializerMethodField(help_text="The weekly plan of a booking.")
    availability_exceptions = serializers.SerializerMethodField(help_text="Dates from today that depart from it.")
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()

    def _exact_location(self, listing: Listing) -> bool:
        user = self.context["request"].user
        return bool(user.is_authenticated and listing.seller_id == user.pk)

    def _is_item(self, listing: Listing) -> bool:
        return listing.kind == ListingKind.ITEM

    def get_tags(self, listing: Listing) -> list[str]:
        return sorted(tag.name for tag in listing.tags.all())

    @extend_schema_field(ListingPhotoSerializer(many=True))
    def get_photos(self, listing: Listing) -> list[dict[str, Any]]:
        return ListingPhotoSerializer(listing.photos.all(), many=True, context=self.context).data

    def get_quantity(self, listing: Listing) -> int | None:
        return listing.quantity if self._is_item(listing) else None

    def get_ships(self, listing: Listing) -> bool | None:
        return listing.ships if self._is_item(listing) else None

    def get_pickup(self, listing: Listing) -> bool | None:
        return listing.pickup if self._is_item(listing) else None

    def get_capacity(self, listing: Listing) -> int | None:
        return None if self._is_item(listing) else listing.capacity

    def get_lead_time_hours(self, listing: Listing) -> int | None:
        return None if self._is_item(listing) else listing.lead_time_hours

    def get_max_advance_days(self, listing: Listing) -> int | None:
        return None if self._is_item(listing) else listing.max_advance_days

    def get_instant_book(self, listing: Listing) -> bool | None:
        return None if self._is_item(listing) else listing.instant_book

    @extend_schema_field(AvailabilityRuleSerializer(many=True))
    def get_availability(self, listing: Listing) -> list[dict[str, Any]]:
        if self._is_item(listing):
            return []
        return AvailabilityRuleSerializer(listing.availability_rules.all(), many=True).data

    @extend_schema_field(AvailabilityExceptionSerializer(many=True))
    def get_availability_exceptions(self, listing: Listing) -> list[dict[str, Any]]:
        if self._is_item(listing):
            return []
        today = timezone.localdate()
        upcoming = [day for day in listing.availability_exceptions.all() if day.date >= today]
        return AvailabilityExceptionSerializer(upcoming, many=True).data


class FacetsSerializer(serializers.Serializer):
    categories = inline_serializer(
        "CategoryFacet",
        {"slug": serializers.SlugField(), "name": serializers.CharField(), "count": serializers.IntegerField()},
        many=True,
        help_text="Categories one level below the chosen one (or the roots), with their number of matches.",
    )
    kind = serializers.DictField(child=serializers.IntegerField(), help_text="Matches per kind.")
    price = inline_serializer(
        "PriceFacet",
        {
            "min": serializers.IntegerField(),
            "max": serializers.IntegerField(allow_null=True),
            "count": serializers.IntegerField(),
        },
        many=True,
        help_text="Matches per price band (minor units; min inclusive, max exclusive).",
    )
    attributes = serializers.DictField(
        child=inline_serializer(
            "AttributeFacet", {"value": serializers.CharField(), "count": serializers.IntegerField()}, many=True
        ),
        help_text="For the chosen category's choice attributes: matches per choice.",
    )


class ListingSearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Matching listings, counted up to 1,000: a search matching more answers 1000, and its facets and "
        "pages cover the first 1,000 in the order asked for (relevance ranks the 1,000 newest matches)."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ListingCardSerializer(many=True)
    facets = FacetsSerializer()


# ---------------------------------------------------------------------------------------------------------------
# Write serializers
# ---------------------------------------------------------------------------------------------------------------


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer, nothing else: "12.50", "1250", 12.5 and true are refused rather than coerced."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class PriceInputSerializer(serializers.Serializer):
    """The listed price. Its errors are reported under `price` itself, with messages that name the part."""

    amount = StrictIntegerField(
        min_value=1,
        max_value=MAX_PRICE,
        help_text=f"The listed price in minor units (pence, cents): 1 to {MAX_PRICE}.",
        error_messages={
            "invalid": "Give the amount as a whole number of minor units, e.g. 1250 for 12.50.",
            "min_value": "The amount must be at least 1 (in minor units).",
            "max_value": f"The amount must be at most {MAX_PRICE} (in minor units).",
            "required": "Give the amount.",
            "null": "Give the amount.",
        },
    )
    currency = serializers.ChoiceField(
        choices=sorted(services.CURRENCIES),
        required=False,
        help_text="GBP when left out on creation.",
        error_messages={"invalid_choice": "Choose GBP, EUR or USD."},
    )

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            messages = [str(message) for detail in error.detail.values() for message in detail]
            raise serializers.ValidationError(messages) from error


class LocationInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, allow_blank=True, required=False, help_text="A town or area.")
    lat = serializers.FloatField(min_value=-90, max_value=90, allow_null=True, required=False)
    lng = serializers.FloatField(min_value=-180, max_value=180, allow_null=True, required=False)

    def validate(self, attrs):
        if ("lat" in attrs) != ("lng" in attrs) or (attrs.get("lat") is None) != (attrs.get("lng") is None):
            raise serializers.ValidationError({"lng": "Give both lat and lng, or neither."})
        return attrs


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "A category id or slug."})
class CategoryInputField(serializers.Field):
    default_error_messages = {
        "invalid": "Give a category id or slug.",
        "unknown": "Unknown category.",
    }

    def to_internal_value(self, data) -> Category:
        if isinstance(data, bool) or not isinstance(data, (int, str)) or data in ("",):
            self.fail("invalid")
        categories = Category.objects.all()
        if isinstance(data, int):
            category = categories.filter(pk=data).first()
        else:
            data = data.strip()[:80]
            category = categories.filter(slug=data).first()
            if category is None and data.isdigit():
                category = categories.filter(pk=int(data)).first()
        if category is None:
            self.fail("unknown")
        return category

    def to_representation(self, value):
        return value.pk


class ListingWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(
        max_length=10_000, allow_blank=True, required=False, trim_whitespace=False, help_text="Markdown."
    )
    category = CategoryInputField()
    kind = serializers.ChoiceField(choices=ListingKind.choices, required=False)
    price = PriceInputSerializer()
    price_unit = serializers.ChoiceField(
        choices=PriceUnit.choices, required=False, help_text="Items are priced each; bookings per hour, day or night."
    )
    quantity = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    ships = serializers.BooleanField(required=False)
    pickup = serializers.BooleanField(required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    lead_time_hours = serializers.IntegerField(min_value=0, max_value=24 * 60, required=False)
    max_advance_days = serializers.IntegerField(min_value=1, max_value=730, required=False)
    instant_book = serializers.BooleanField(
        required=False, help_text="Bookings: false makes buyers send a request you accept within 24 hours."
    )
    cancellation_policy = serializers.ChoiceField(choices=CancellationPolicy.choices, required=False)
    location = LocationInputSerializer(required=False)
    attributes = serializers.DictField(required=False, help_text="Values for the category's attribute schema.")
    tags = serializers.ListField(child=serializers.CharField(max_length=100), max_length=50, required=False)
    availability = serializers.ListField(
        child=AvailabilityRuleSerializer(),
        max_length=50,
        required=False,
        help_text="Bookings: the weekly plan; replaces the current one.",
    )
    blocked_dates = serializers.ListField(
        child=serializers.DateField(),
        max_length=366,
        required=False,
        help_text="Bookings: dates that cannot be booked; replaces the current ones.",
    )

    def service_data(self) -> dict[str, Any]:
        """The validated fields in the services' terms (without availability, which has its own service)."""
        validated = dict(self.validated_data)
        validated.pop("availability", None)
        validated.pop("blocked_dates", None)
        data: dict[str, Any] = {}
        price = validated.pop("price", None)
        if price:
            if "amount" in price:
                data["price_amount"] = price["amount"]
            if "currency" in price:
                data["currency"] = price["currency"]
        location = validated.pop("location", None)
        if location:
            if "name" in location:
                data["location_name"] = location["name"]
            if "lat" in location:
                data["latitude"] = None if location["lat"] is None else Decimal(f"{location['lat']:.6f}")
                data["longitude"] = None if location["lng"] is None else Decimal(f"{location['lng']:.6f}")
        data.update(validated)
        return data

    def availability_given(self) -> bool:
        return "availability" in self.validated_data or "blocked_dates" in self.validated_data


class PhotoUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG, WebP or GIF; at most 10 MB and 40 megapixels.")
    alt = serializers.CharField(max_length=200, help_text="What the photo shows, for people who cannot see it.")


def _availability_save(request, listing_id: int, serializer: ListingWriteSerializer) -> None:
    validated = serializer.validated_data
    if "availability" in validated:
        rules = validated["availability"]
    else:  # only the blocked dates change: the weekly plan stays as it is
        rules = list(AvailabilityRule.objects.filter(listing_id=listing_id).values("weekday", "start_time", "end_time"))
    services.listing_availability_set(
        listing_id=listing_id, seller=request.user, rules=rules, blocked_dates=validated.get("blocked_dates")
    )


# ---------------------------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------------------------


def _effective_schemas(tree: list[Category]) -> dict[int, tuple[int | None, list[dict]]]:
    """Each category's parent id and effective schema, from the tree already in memory (no query per node).

    Same result as `Category.effective_schema()`: ancestors first, a descendant's definition wins by name."""
    by_path = {node.path: node for node in tree}
    out: dict[int, tuple[int | None, list[dict]]] = {}
    for node in tree:
        lineage = [by_path.get(node.path[: Category.steplen * level]) for level in range(1, node.depth + 1)]
        schema: dict[str, dict] = {}
        for ancestor in lineage:
            for definition in (ancestor.attribute_schema if ancestor else None) or []:
                schema[definition["name"]] = definition
        parent = lineage[-2] if len(lineage) > 1 else None
        out[node.pk] = (parent.pk if parent else None, list(schema.values()))
    return out


class CategoryListView(APIView):
    """The category tree in depth-first order, each with its effective attribute schema."""

    permission_classes = [AllowAny]

    @extend_schema(responses=CategorySerializer(many=True))
    def get(self, request):
        tree = selectors.categories_tree()
        computed = _effective_schemas(tree)
        rows = [
            {
                "id": node.pk,
                "slug": node.slug,
                "name": node.name,
                "parent": computed[node.pk][0],
                "depth": node.depth,
                "attribute_schema": computed[node.pk][1],
                "tips": node.tips,
            }
            for node in tree
        ]
        return Response(CategorySerializer(rows, many=True).data)


SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, description="Keywords, ranked by relevance; tolerant of small typos."),
    OpenApiParameter("category", str, description="A category slug; its descendants are included."),
    OpenApiParameter("kind", str, enum=["item", "booking"]),
    OpenApiParameter("min_price", int, description="Minor units."),
    OpenApiParameter("max_price", int, description="Minor units."),
    OpenApiParameter("lat", float, description="With lng and radius_km."),
    OpenApiParameter("lng", float),
    OpenApiParameter("radius_km", float, description="0.1 to 500."),
    OpenApiParameter("available_from", OpenApiTypes.DATE, description="Bookings with a window in the range."),
    OpenApiParameter("available_to", OpenApiTypes.DATE, description="At most 31 days after available_from."),
    OpenApiParameter(
        "attr.<name>",
        str,
        description="A category attribute, e.g. attr.condition=new (needs category).",
    ),
    OpenApiParameter("verified", bool, description="Only sellers with an approved ID or business verification."),
    OpenApiParameter("sort", str, enum=list(selectors.SORTS)),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description=f"1 to {selectors.MAX_PAGE_SIZE}."),
]


class ListingListView(ListingWriteThrottleMixin, APIView):
    """Search published listings (anyone); create a draft (a signed-in member)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="listings_search", parameters=SEARCH_PARAMETERS, responses=ListingSearchResponseSerializer
    )
    def get(self, request):
        result = selectors.listings_search(selectors.search_params_parse(request.query_params))
        _renditions_prefetch(
            [photo.image for listing in result.results if (photo := _first_photo(listing))], (CARD_RENDITION,)
        )
        url = request.build_absolute_uri()
        previous = None
        if result.has_previous:
            previous = (
                remove_query_param(url, "page")
                if result.page == 2
                else replace_query_param(url, "page", result.page - 1)
            )
        return Response(
            {
                "count": result.count,
                "next": replace_query_param(url, "page", result.page + 1) if result.has_next else None,
                "previous": previous,
                "results": ListingCardSerializer(result.results, many=True, context={"request": request}).data,
                "facets": result.facets,
            }
        )

    @extend_schema(request=ListingWriteSerializer, responses={201: ListingDetailSerializer})
    def post(self, request):
        serializer = ListingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                listing = services.listing_create(seller=request.user, data=serializer.service_data())
                if serializer.availability_given():
                    _availability_save(request, listing.pk, serializer)
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        return _detail_response(request, _listing_detail_get(request, listing.pk), status_code=201)


class ListingDetailView(ListingWriteThrottleMixin, APIView):
    """A listing: published ones for anyone, the seller's own in any status; the seller edits it."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(responses=ListingDetailSerializer)
    def get(self, request, pk: int):
        return _detail_response(request, _listing_detail_get(request, pk))

    @extend_schema(request=ListingWriteSerializer(partial=True), responses=ListingDetailSerializer)
    def patch(self, request, pk: int):
        _owned_or_404(request, pk)
        serializer = ListingWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                services.listing_update(listing_id=pk, seller=request.user, data=serializer.service_data())
                if serializer.availability_given():
                    _availability_save(request, pk, serializer)
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        return _detail_response(request, _listing_detail_get(request, pk))


class ListingPhotoView(ListingWriteThrottleMixin, APIView):
    """Adds a photo (multipart `image` and `alt`) to the seller's listing; at most ten."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=PhotoUploadSerializer, responses={201: ListingPhotoSerializer})
    def post(self, request, pk: int):
        _owned_or_404(request, pk)
        serializer = PhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = services.listing_photo_add(
            listing_id=pk,
            seller=request.user,
            image_file=serializer.validated_data["image"],
            alt=serializer.validated_data["alt"],
        )
        return Response(
            ListingPhotoSerializer(photo, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class ListingStatusView(ListingWriteThrottleMixin, APIView):
    """Publishes, pauses or archives the seller's listing. Publishing runs the quality checks: each problem
    comes back as a field error (`photos`, `description`, `location.name`, `availability`, `attributes.<name>`)."""

    permission_classes = [IsAuthenticated]
    transition = "publish"
    SERVICES = {
        "publish": services.listing_publish,
        "pause": services.listing_pause,
        "archive": services.listing_archive,
    }

    @extend_schema(request=None, responses=ListingDetailSerializer)
    def post(self, request, pk: int):
        _owned_or_404(request, pk)
        self.SERVICES[self.transition](listing_id=pk, seller=request.user)
        return _detail_response(request, _listing_detail_get(request, pk))
