from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from listings.markdown import markdown_render

MAX_PRICE = 100_000_000  # one million in major units: above that a price is a typo or an attack
MAX_PHOTOS = 10


class ListingKind(models.TextChoices):
    ITEM = "item", _("Item")
    BOOKING = "booking", _("Service or rental")


class ListingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    PAUSED = "paused", _("Paused")
    ARCHIVED = "archived", _("Archived")


class PriceUnit(models.TextChoices):
    EACH = "each", _("each")
    HOUR = "hour", _("per hour")
    DAY = "day", _("per day")
    NIGHT = "night", _("per night")


class CancellationPolicy(models.TextChoices):
    """How much a buyer gets back on cancelling; the orders app computes the refund (orders.policies)."""

    FLEXIBLE = "flexible", _("Flexible: full refund until 24 hours before")
    MODERATE = "moderate", _("Moderate: full refund until 5 days before, half after")
    STRICT = "strict", _("Strict: half refund until 7 days before, none after")


class Listing(models.Model):
    """Something a seller offers: an item in stock, or a bookable service or rental."""

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="listings")
    category = models.ForeignKey("listings.Category", on_delete=models.PROTECT, related_name="listings")
    kind = models.CharField(_("kind"), max_length=8, choices=ListingKind.choices, default=ListingKind.ITEM)
    status = models.CharField(max_length=10, choices=ListingStatus.choices, default=ListingStatus.DRAFT)
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(_("description"), max_length=10_000, blank=True, help_text=_("Markdown."))
    price_amount = models.PositiveBigIntegerField(
        _("price (minor units)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_PRICE)]
    )
    currency = models.CharField(_("currency"), max_length=3, default="GBP")
    price_unit = models.CharField(_("priced"), max_length=5, choices=PriceUnit.choices, default=PriceUnit.EACH)
    # items
    quantity = models.PositiveIntegerField(_("quantity in stock"), default=1, validators=[MaxValueValidator(100_000)])
    ships = models.BooleanField(_("ships"), default=False)
    pickup = models.BooleanField(_("pickup"), default=True)
    # bookings
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    lead_time_hours = models.PositiveSmallIntegerField(
        _("lead time (hours)"), default=24, validators=[MaxValueValidator(24 * 60)]
    )
    max_advance_days = models.PositiveSmallIntegerField(
        _("bookable up to (days ahead)"), default=90, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    instant_book = models.BooleanField(
        _("instant booking"),
        default=True,
        help_text=_("Off: buyers send a request and you accept or decline it within 24 hours."),
    )
    # Weekdays with a weekly window, bit 0 = Monday; kept by the availability services, read by search.
    available_weekdays = models.PositiveSmallIntegerField(default=0, editable=False)
    cancellation_policy = models.CharField(
        _("cancellation policy"),
        max_length=10,
        choices=CancellationPolicy.choices,
        default=CancellationPolicy.MODERATE,
    )
    location_name = models.CharField(_("location"), max_length=120, blank=True)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    attributes = models.JSONField(default=dict, blank=True)
    tags = TaggableManager(blank=True)
    # PostgreSQL full-text vector, kept up to date by the services (GIN index: migration 0002).
    search_vector = SearchVectorField(null=True, editable=False)
    # Reviews of orders for this listing, kept by listings.services.listing_rating_set (the orders app calls it).
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            models.Index(fields=["seller", "status"]),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["status", "price_amount"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("listings:detail", kwargs={"slug": self.slug})

    @property
    def description_html(self) -> str:
        return markdown_render(self.description)

    @property
    def is_public(self) -> bool:
        return self.status == ListingStatus.PUBLISHED

    @property
    def approximate_location(self) -> tuple[float, float] | None:
        """Coordinates rounded to two decimals (about a kilometre) for public pages."""
        if self.latitude is None or self.longitude is None:
            return None
        return round(float(self.latitude), 2), round(float(self.longitude), 2)


class ListingSlug(models.Model):
    """A slug the listing had before its title changed: old URLs redirect to the current one."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=140, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class ListingPhoto(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    alt = models.CharField(_("description for screen readers"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt
