"""The seller's forms: a listing's details (with its category's attributes as fields), a photo, the weekly plan.

The forms parse what people type (prices in major units, dates one per line) into what the services take; the
services keep the rules, and their field errors are shown on these fields (`apply_service_errors`).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from listings.models import CancellationPolicy, Category, Listing, ListingKind, PriceUnit
from listings.models.listings import MAX_PRICE

CURRENCY_CHOICES = [("GBP", "GBP (£)"), ("EUR", "EUR (€)"), ("USD", "USD ($)")]
BOOKING_UNITS = [(unit.value, unit.label) for unit in PriceUnit if unit != PriceUnit.EACH]
ITEM_FIELDS = ("quantity", "ships", "pickup")
BOOKING_FIELDS = ("price_unit", "capacity", "lead_time_hours", "max_advance_days")
ATTRIBUTE_PREFIX = "attr_"
# Service error keys that name a field of the form differently.
SERVICE_FIELD_NAMES = {"price_amount": "price", "attributes": NON_FIELD_ERRORS}
MAX_BLOCKED_DATES = 366
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def parse_major_price(raw: str) -> int:
    """A price as people type it ("24.50", "£1,250", "24,50") in minor units (2450); errors say what to fix."""
    text = re.sub(r"[\s\u00a0£€$]", "", str(raw or ""))
    if text.startswith("-"):
        raise ValidationError(_("The price must be more than zero."), code="not_positive")
    if "," in text and "." in text:
        # The separator that comes last marks the decimals; the other one groups thousands.
        decimal_mark, grouping = (".", ",") if text.rfind(".") > text.rfind(",") else (",", ".")
        text = text.replace(grouping, "").replace(decimal_mark, ".")
    elif "," in text:
        text = text.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", text) else text.replace(",", ".")
    if not re.fullmatch(r"\d{1,12}(\.\d+)?", text):
        raise ValidationError(_("Enter the price as a number, such as 24.50."), code="invalid")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter the price as a number, such as 24.50."), code="invalid") from None
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise ValidationError(_("Use at most two decimal places, such as 24.50."), code="decimal_places")
    if value <= 0:
        raise ValidationError(_("The price must be more than zero."), code="not_positive")
    if value * 100 > MAX_PRICE:
        raise ValidationError(
            _("The price can be at most %(max)s."), code="too_high", params={"max": f"{MAX_PRICE // 100:,}"}
        )
    return int(value * 100)


def price_to_major(amount: int | None) -> str:
    """2450 → "24.50", the way the price field shows it."""
    if amount is None:
        return ""
    return str((Decimal(int(amount)) / 100).quantize(Decimal("0.01")))


class CategoryChoiceField(forms.ModelChoiceField):
    """The category tree as one select, each level indented under its parent."""

    def label_from_instance(self, obj: Category) -> str:
        return f"{'— ' * (obj.depth - 1)}{obj.name}"


class ServiceErrorsMixin:
    """Shows a service's ValidationError on the form: field keys on their fields, anything else above the form."""

    service_field_names: dict[str, str] = {}

    def field_for_error(self, key: str) -> str | None:
        name = self.service_field_names.get(key, key)
        if name == NON_FIELD_ERRORS:
            return None
        return name if name in self.fields else None

    def apply_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for key, messages in error.message_dict.items():
            self.add_error(self.field_for_error(key), messages)


class ListingForm(ServiceErrorsMixin, forms.Form):
    """A listing's details. The attribute fields (`attr_<name>`) come from the chosen category's schema."""

    service_field_names = SERVICE_FIELD_NAMES

    kind = forms.ChoiceField(
        label=_("What are you offering?"),
        choices=ListingKind.choices,
        initial=ListingKind.ITEM,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("What it is, in a few words: “Hand-thrown stoneware mug, teal”."),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("path"),
        empty_label=_("Choose a category"),
        error_messages={"required": _("Choose a category."), "invalid_choice": _("Choose a category from the list.")},
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "At least 80 characters to publish. Markdown works: *italic*, **bold**, lists with a dash at the start."
        ),
    )
    price = forms.CharField(
        label=_("Price"),
        max_length=20,
        help_text=_("In pounds, euros or dollars, such as 24.50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="GBP")
    price_unit = forms.ChoiceField(label=_("Priced"), choices=BOOKING_UNITS, required=False, initial=PriceUnit.HOUR)
    # items
    quantity = forms.IntegerField(label=_("Quantity in stock"), required=False, min_value=0, max_value=100_000)
    ships = forms.BooleanField(label=_("I can post it"), required=False)
    pickup = forms.BooleanField(label=_("Buyers can collect it"), required=False, initial=True)
    # bookings
    capacity = forms.IntegerField(
        label=_("People per booking"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("How many people (or units) one booking can be for."),
    )
    lead_time_hours = forms.IntegerField(
        label=_("Notice needed (hours)"),
        required=False,
        min_value=0,
        max_value=24 * 60,
        help_text=_("How long before the start a booking must be made."),
    )
    max_advance_days = forms.IntegerField(
        label=_("Bookable up to (days ahead)"), required=False, min_value=1, max_value=730
    )
    instant_book = forms.BooleanField(
        label=_("Buyers can book straight away"),
        required=False,
        initial=True,
        help_text=_(
            "Untick it to approve each booking yourself: buyers send a request, and you accept or decline it within "
            "24 hours."
        ),
    )
    # both kinds
    cancellation_policy = forms.ChoiceField(
        label=_("Cancellation policy"),
        choices=CancellationPolicy.choices,
        initial=CancellationPolicy.MODERATE,
        widget=forms.RadioSelect,
        help_text=_("How much buyers get back if they cancel."),
        error_messages={
            "required": _("Choose a cancellation policy."),
            "invalid_choice": _("Choose flexible, moderate or strict."),
        },
    )
    location_name = forms.CharField(
        label=_("Town or area"),
        max_length=120,
        required=False,
        help_text=_("Only this name and an approximate position are shown publicly."),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    latitude = forms.DecimalField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=500,
        required=False,
        help_text=_("Words buyers might search for, separated by commas (at most 12)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selected_category = self._selected_category()
        self.schema = self.selected_category.effective_schema() if self.selected_category else []
        for definition in self.schema:
            self.fields[ATTRIBUTE_PREFIX + definition["name"]] = attribute_field(definition)

    # --- construction --------------------------------------------------------------------------------------------

    @staticmethod
    def initial_for(listing: Listing) -> dict[str, Any]:
        """What the form shows for a saved listing."""
        initial: dict[str, Any] = {
            "kind": listing.kind,
            "title": listing.title,
            "category": listing.category_id,
            "description": listing.description,
            "price": price_to_major(listing.price_amount),
            "currency": listing.currency,
            "price_unit": listing.price_unit if listing.price_unit != PriceUnit.EACH else PriceUnit.HOUR,
            "quantity": listing.quantity,
            "ships": listing.ships,
            "pickup": listing.pickup,
            "capacity": listing.capacity,
            "lead_time_hours": listing.lead_time_hours,
            "max_advance_days": listing.max_advance_days,
            "instant_book": listing.instant_book,
            "cancellation_policy": listing.cancellation_policy,
            "location_name": listing.location_name,
            "latitude": listing.latitude,
            "longitude": listing.longitude,
            "tags": ", ".join(sorted(tag.name for tag in listing.tags.all())),
        }
        for name, value in (listing.attributes or {}).items():
            initial[ATTRIBUTE_PREFIX + name] = value
        return initial

    @staticmethod
    def defaults() -> dict[str, Any]:
        """A new listing's starting values (the model's defaults)."""
        return {
            "kind": ListingKind.ITEM,
            "currency": "GBP",
            "price_unit": PriceUnit.HOUR,
            "quantity": 1,
            "pickup": True,
            "capacity": 1,
            "lead_time_hours": 24,
            "max_advance_days": 90,
            "instant_book": True,
            "cancellation_policy": CancellationPolicy.MODERATE,
        }

    @classmethod
    def initial_from_data(cls, data) -> dict[str, Any]:
        """Values typed so far (a category change without JavaScript, or htmx asking for the attribute fields),
        to show again without judging them yet."""
        initial = {key: data.get(key) for key in data if key not in {"csrfmiddlewaretoken", "refresh", "partial"}}
        if "title" in data:  # a whole form was sent: an unticked box is not there at all
            for name in ("ships", "pickup", "instant_book"):
                initial[name] = name in data
        return initial

    def _selected_category(self) -> Category | None:
        raw = self.data.get("category") if self.is_bound else self.initial.get("category")
        if isinstance(raw, Category):
            return raw
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            return None
        return Category.objects.filter(pk=pk).first()

    # --- fields the template groups ------------------------------------------------------------------------------

    @property
    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[ATTRIBUTE_PREFIX + definition["name"]] for definition in self.schema]

    @property
    def chosen_kind(self) -> str:
        value = self["kind"].value()
        return value if value in ListingKind.values else ListingKind.ITEM

    # --- cleaning ------------------------------------------------------------------------------------------------

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError(_("Give the listing a title."))
        return title

    def clean_price(self) -> int:
        return parse_major_price(self.cleaned_data["price"])

    def _coordinate(self, name: str) -> Decimal | None:
        value = self.cleaned_data.get(name)
        return None if value is None else value.quantize(Decimal("0.000001"))

    def clean_latitude(self) -> Decimal | None:
        return self._coordinate("latitude")

    def clean_longitude(self) -> Decimal | None:
        return self._coordinate("longitude")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        required = {ListingKind.ITEM: ("quantity",), ListingKind.BOOKING: BOOKING_FIELDS}.get(kind, ())
        for name in required:
            if cleaned.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, _("This field is required."))
        if ("latitude" not in self.errors and "longitude" not in self.errors) and (
            (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None)
        ):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return cleaned

    def field_for_error(self, key: str) -> str | None:
        if key.startswith("attributes."):
            name = ATTRIBUTE_PREFIX + key.removeprefix("attributes.")
            return name if name in self.fields else None
        return super().field_for_error(key)

    def service_data(self) -> dict[str, Any]:
        """The cleaned form as `services.listing_create` / `listing_update` take it."""
        cleaned = self.cleaned_data
        data: dict[str, Any] = {
            "title": cleaned["title"],
            "description": cleaned["description"],
            "category": cleaned["category"],
            "kind": cleaned["kind"],
            "price_amount": cleaned["price"],
            "currency": cleaned["currency"],
            "location_name": cleaned["location_name"].strip(),
            "latitude": cleaned["latitude"],
            "longitude": cleaned["longitude"],
            "tags": cleaned["tags"],
            "attributes": {
                definition["name"]: cleaned.get(ATTRIBUTE_PREFIX + definition["name"]) for definition in self.schema
            },
        }
        kind_fields = ITEM_FIELDS if cleaned["kind"] == ListingKind.ITEM else (*BOOKING_FIELDS, "instant_book")
        data.update({name: cleaned[name] for name in kind_fields})
        data["cancellation_policy"] = cleaned["cancellation_policy"]
        return data


def attribute_field(definition: dict[str, Any]) -> forms.Field:
    """The form field for one attribute of a category's schema."""
    label = definition.get("label") or definition["name"].replace("_", " ").capitalize()
    required = bool(definition.get("required"))
    kind = definition["type"]
    if kind == "choice":
        return forms.ChoiceField(
            label=label,
            required=required,
            choices=[("", _("Choose…")), *((choice, choice) for choice in definition["choices"])],
            error_messages={
                "invalid_choice": _("Choose one of: %(choices)s.") % {"choices": ", ".join(definition["choices"])}
            },
        )
    if kind == "integer":
        return forms.IntegerField(
            label=label,
            required=required,
            min_value=definition.get("min"),
            max_value=definition.get("max"),
            error_messages={
                "invalid": _("Enter a whole number."),
                "min_value": _("Enter %(limit_value)s or more."),
                "max_value": _("Enter %(limit_value)s or less."),
            },
        )
    if kind == "boolean":
        return forms.BooleanField(label=label, required=False)
    return forms.CharField(label=label, required=required, max_length=200)


class PhotoForm(ServiceErrorsMixin, forms.Form):
    """One photo and its description. The service checks the file itself (type, size, pixel count)."""

    image = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF, up to 10 MB. On a phone this opens the camera."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    image_library = forms.FileField(
        label=_("Or choose a photo you already have"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    alt = forms.CharField(
        label=_("Describe the photo"),
        max_length=200,
        help_text=_("For people who cannot see it, such as “Teal mug from the side, showing the handle”."),
        error_messages={"required": _("Describe the photo for people who cannot see it.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned["image"] = cleaned.get("image") or cleaned.get("image_library")
        if not cleaned["image"] and "image" not in self.errors and "image_library" not in self.errors:
            self.add_error("image", _("Choose a photo."))
        return cleaned


class AvailabilityRuleForm(forms.Form):
    """One weekly window. A row with no times is left out; the view sends the others to the service."""

    weekday = forms.TypedChoiceField(
        label=_("Day"),
        choices=[("", _("Choose a day")), *WEEKDAYS],
        coerce=int,
        empty_value=None,
        required=False,
    )
    start_time = forms.TimeField(
        label=_("From"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_time = forms.TimeField(
        label=_("Until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if self.errors:
            return cleaned
        if start is None and end is None:
            cleaned["empty"] = True
            return cleaned
        if start is None or end is None:
            raise ValidationError(_("Give a start and an end time, or leave both empty."))
        if cleaned.get("weekday") is None:
            self.add_error("weekday", _("Choose a day of the week."))
        if end <= start:
            self.add_error("end_time", _("The end must be after the start."))
        return cleaned


class BaseAvailabilityFormSet(forms.BaseFormSet):
    def rules(self) -> list[tuple[int, dict[str, Any]]]:
        """(row index, rule) for each row with times, in the order the service numbers them."""
        return [
            (index, {name: form.cleaned_data[name] for name in ("weekday", "start_time", "end_time")})
            for index, form in enumerate(self.forms)
            if form.cleaned_data and not form.cleaned_data.get("empty")
        ]


AvailabilityFormSet = forms.formset_factory(
    AvailabilityRuleForm, formset=BaseAvailabilityFormSet, extra=0, max_num=60, absolute_max=60
)


class BlockedDatesForm(forms.Form):
    blocked_dates = forms.CharField(
        label=_("Dates you are not available"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "2030-12-24\n2030-12-25"}),
        help_text=_("One date per line, written as YYYY-MM-DD (year, month, day)."),
    )

    def clean_blocked_dates(self) -> list[date]:
        entries = [entry for entry in re.split(r"[\s,;]+", self.cleaned_data["blocked_dates"]) if entry]
        days: set[date] = set()
        wrong: list[str] = []
        for entry in entries:
            try:
                days.add(date.fromisoformat(entry))
            except ValueError:
                wrong.append(entry)
        if wrong:
            raise ValidationError(
                _("These are not dates written as YYYY-MM-DD: %(entries)s.")
                % {"entries": ", ".join(f"“{entry[:20]}”" for entry in wrong[:5])}
            )
        if len(days) > MAX_BLOCKED_DATES:
            raise ValidationError(_("Block at most %(n)s dates.") % {"n": MAX_BLOCKED_DATES})
        return sorted(days)
