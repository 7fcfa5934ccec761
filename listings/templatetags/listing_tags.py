"""Template helpers for the buyer's listing pages: prices from minor units, search links that keep the other
filters, the availability calendar and the schema.org JSON-LD.

Search URLs carry prices in major units (``min_price=24.50``) because people type them; the selectors and saved
searches keep minor units (2450). `price_to_minor` and `price_to_major` convert at that boundary.
"""

from __future__ import annotations

import html as html_module
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.images.models import Filter

from listings.models import ListingKind, ListingStatus, PriceUnit

register = template.Library()

CARD_RENDITION = "fill-400x300"
GALLERY_RENDITION = "max-1200x900"
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
# Every currency a listing may use has two decimals; a zero-decimal one (JPY) would go here with 0.
CURRENCY_DECIMALS: dict[str, int] = {}
PRICE_PARAMS = ("min_price", "max_price")
# Parameters that only move through the results: any change of filter starts again at page 1.
PAGING_PARAMS = ("page",)
SCHEMA_AVAILABILITY = {True: "https://schema.org/InStock", False: "https://schema.org/OutOfStock"}
# `<`, `>` and `&` escaped inside JSON so that no string (a title, say) can close the script element.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


# --- prices -----------------------------------------------------------------------------------------------------


def _decimals(currency: str) -> int:
    return CURRENCY_DECIMALS.get(currency, 2)


def price_major(amount: int, currency: str = "GBP") -> Decimal:
    """2400 (minor units) → Decimal("24.00")."""
    places = _decimals(currency)
    return (Decimal(int(amount)) / (10**places)).quantize(Decimal(1).scaleb(-places))


@register.filter
def price_decimal(amount: int, currency: str = "GBP") -> str:
    """The price as a plain decimal string for machines (JSON-LD, meta tags): "24.00"."""
    return str(price_major(amount, currency))


@register.filter
def money(amount: int | str | None, currency: str = "GBP") -> str:
    """Minor units as a localised price with its currency: 2400 → "£24.00", 125000 "EUR" → "€1,250.00" (grouping
    and decimal mark follow the language); nothing for a missing or non-numeric amount."""
    if amount in (None, ""):
        return ""
    try:
        major = price_major(int(amount), currency)
    except (TypeError, ValueError):
        return ""
    value = number_format(major, _decimals(currency), use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency}"


@register.simple_tag
def listing_price(listing) -> str:
    """ "£24.00", or "€10.00 per hour" for a booking."""
    price = money(listing.price_amount, listing.currency)
    if listing.price_unit == PriceUnit.EACH:
        return price
    return _("%(price)s %(unit)s") % {"price": price, "unit": listing.get_price_unit_display()}


def price_to_minor(raw: Any) -> int | None:
    """A price typed in major units ("24.5") as minor units (2450); None when it is not a number."""
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def price_to_major(amount: int | None) -> str:
    """Minor units as the shortest major-unit string for a URL: 1000 → "10", 4999 → "49.99"."""
    if amount is None:
        return ""
    value = Decimal(int(amount)) / 100
    return (
        str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value.quantize(Decimal("0.01")))
    )


# --- search links ------------------------------------------------------------------------------------------------


def query_with(params: QueryDict, *pairs: Any) -> str:
    """`params` with some keys set (or removed, with a value of None or ""), as "?a=1&b=2".

    Any change of filter drops the page number unless the change sets it."""
    query = params.copy()
    changes = dict(zip(pairs[::2], pairs[1::2], strict=True))
    if "page" not in changes:
        for name in PAGING_PARAMS:
            query.pop(name, None)
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def search_url(context, *pairs: Any) -> str:
    """The current search with some parameters changed: {% search_url "kind" "item" "page" None %}."""
    request = context.get("request")
    return query_with(request.GET if request else QueryDict(), *pairs)


@register.simple_tag(takes_context=True)
def price_band_url(context, band: dict) -> str:
    """A link to a price facet; the selector's bands include their low end and exclude their high one."""
    high = band.get("max")
    return search_url(
        context,
        "min_price",
        price_to_major(band["min"]) if band["min"] else None,
        "max_price",
        price_to_major(high - 1) if high else None,
    )


@register.simple_tag
def price_band_label(band: dict) -> str:
    low, high = band["min"], band.get("max")
    if not low and high:
        return _("Under %(high)s") % {"high": price_to_major(high)}
    if high is None:
        return _("%(low)s and over") % {"low": price_to_major(low)}
    return _("%(low)s to %(high)s") % {"low": price_to_major(low), "high": price_to_major(high)}


def saved_query_params(query: dict[str, Any]) -> QueryDict:
    """A saved search's query (minor units, as `SearchParams.as_query` wrote it) as search page parameters."""
    params = QueryDict(mutable=True)
    for key, value in (query or {}).items():
        if key in PRICE_PARAMS:
            try:
                value = price_to_major(int(value))
            except (TypeError, ValueError):
                continue
        elif value is True:
            value = "on"
        params[key] = str(value)
    return params


@register.filter
def kind_label(kind: str) -> str:
    try:
        return str(ListingKind(kind).label)
    except ValueError:
        return kind


# --- text and URLs -------------------------------------------------------------------------------------------------


@register.filter
def plain_summary(markup: str, length: int = 150) -> str:
    """Sanitised HTML as one line of plain text, cut to `length` characters (meta descriptions)."""
    text = re.sub(r"\s+", " ", html_module.unescape(strip_tags(markup or ""))).strip()
    return Truncator(text).chars(int(length))


@register.filter
def absolute_url(url: str) -> str:
    """A site path as an absolute URL on the canonical host (SITE_URL), not on whatever Host header came in."""
    if not url or url.startswith(("http://", "https://", "//")):
        return url
    return settings.SITE_URL.rstrip("/") + url


# --- availability --------------------------------------------------------------------------------------------------


@register.simple_tag
def availability_weeks(listing, weeks: int = 4, today: date | None = None) -> list[list[dict[str, Any]]]:
    """Rows of seven days (Monday first) from this week's Monday to at least `weeks` weeks after today: each day's
    state and open windows, from the weekly plan minus blocked dates (an exception with its own hours replaces the
    plan for that day), within the listing's lead time and how far ahead it can be booked. Uses the prefetched
    rules and exceptions."""
    today = today or timezone.localdate()
    start = today - timedelta(days=today.weekday())
    plan: dict[int, list[tuple]] = defaultdict(list)
    for rule in listing.availability_rules.all():
        plan[rule.weekday].append((rule.start_time, rule.end_time))
    exceptions = {exception.date: exception for exception in listing.availability_exceptions.all()}
    earliest = (timezone.localtime() + timedelta(hours=listing.lead_time_hours)).date()
    latest = today + timedelta(days=listing.max_advance_days)
    # Whole weeks, Monday first, until `weeks` weeks from today are covered (a fifth row unless today is Monday).
    rows = []
    for week in range(-(-(today.weekday() + weeks * 7) // 7)):
        row = []
        for offset in range(7):
            day = start + timedelta(days=week * 7 + offset)
            exception = exceptions.get(day)
            if exception is not None and exception.blocked:
                windows: list[tuple] = []
            elif exception is not None and exception.start_time and exception.end_time:
                windows = [(exception.start_time, exception.end_time)]
            else:
                windows = sorted(plan.get(day.weekday(), []))
            if day < today:
                state = "past"
            elif exception is not None and exception.blocked:
                state = "blocked"
            elif not windows:
                state = "closed"
            elif day < earliest or day > latest:
                state = "unbookable"
            else:
                state = "open"
            row.append({"date": day, "state": state, "windows": windows, "today": day == today})
        rows.append(row)
    return rows


# --- structured data -----------------------------------------------------------------------------------------------


def json_ld_script(data: dict[str, Any]) -> SafeString:
    """A <script type="application/ld+json"> whose content cannot end the element early, whatever the strings."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


def listing_in_stock(listing) -> bool:
    if listing.status != ListingStatus.PUBLISHED:
        return False
    if listing.kind == ListingKind.ITEM:
        return listing.quantity > 0
    return any(True for _rule in listing.availability_rules.all())


def listing_structured_data(listing, *, image_urls: list[str]) -> dict[str, Any]:
    """schema.org Product with its Offer, and its AggregateRating once the listing has reviews."""
    url = absolute_url(listing.get_absolute_url())
    price = price_decimal(listing.price_amount, listing.currency)
    offer: dict[str, Any] = {
        "@type": "Offer",
        "price": price,
        "priceCurrency": listing.currency,
        "availability": SCHEMA_AVAILABILITY[listing_in_stock(listing)],
        "url": url,
        "seller": {
            "@type": "Person",
            "name": str(listing.seller.display_name),
            "url": absolute_url(listing.seller.get_absolute_url()),
        },
    }
    if listing.price_unit != PriceUnit.EACH:
        offer["priceSpecification"] = {
            "@type": "UnitPriceSpecification",
            "price": price,
            "priceCurrency": listing.currency,
            "unitText": listing.price_unit,
        }
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": listing.title,
        "description": plain_summary(listing.description_html, 500),
        "url": url,
        "sku": str(listing.pk),
        "category": listing.category.name,
        "offers": offer,
    }
    if image_urls:
        data["image"] = image_urls
    if listing.rating_count:  # reviews of orders for this listing (orders app, via listing_rating_set)
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": str(listing.rating_average),
            "reviewCount": listing.rating_count,
            "bestRating": "5",
            "worstRating": "1",
        }
    return data


@register.simple_tag
def listing_json_ld(listing, spec: str = GALLERY_RENDITION) -> SafeString:
    images = [absolute_url(photo_rendition(photo, spec).url) for photo in listing.photos.all()]
    return json_ld_script(listing_structured_data(listing, image_urls=images))


# --- photos ----------------------------------------------------------------------------------------------------------


def photos_with_renditions(photos: Iterable, spec: str) -> None:
    """Attaches each photo's rendition for `spec` (as ``photo.renditions_by_spec[spec]``) without a query per photo:
    from the renditions the selector prefetched, else one round trip to the rendition cache, then one query for
    any still missing. Renditions are generated at upload; one that never was is generated here, once."""
    Rendition = get_image_model().get_rendition_model()
    spec_filter = Filter(spec=spec)
    pending = []
    for photo in photos:
        if photo is None:
            continue
        focal_key = spec_filter.get_cache_key(photo.image)
        prefetched = getattr(photo.image, "prefetched_renditions", None) or ()
        match = next((r for r in prefetched if r.filter_spec == spec and r.focal_point_key == focal_key), None)
        if match is not None:
            _attach(photo, spec, match)
        else:
            pending.append((Rendition.construct_cache_key(photo.image, focal_key, spec), focal_key, photo))
    if not pending:
        return
    found = Rendition.cache_backend.get_many({key for key, _focal, _photo in pending})
    missing = [(key, focal, photo) for key, focal, photo in pending if key not in found]
    if missing:
        stored = {
            (rendition.image_id, rendition.focal_point_key): rendition
            for rendition in Rendition.objects.filter(
                image_id__in={photo.image_id for _key, _focal, photo in missing}, filter_spec=spec
            )
        }
        for key, focal, photo in missing:
            rendition = stored.get((photo.image_id, focal))
            found[key] = rendition if rendition is not None else photo.image.get_rendition(spec)
        Rendition.cache_backend.set_many({key: found[key] for key, _focal, _photo in missing})
    for key, _focal, photo in pending:
        _attach(photo, spec, found[key])


def _attach(photo, spec: str, rendition) -> None:
    if not hasattr(photo, "renditions_by_spec"):
        photo.renditions_by_spec = {}
    photo.renditions_by_spec[spec] = rendition


def photo_rendition(photo, spec: str):
    attached = getattr(photo, "renditions_by_spec", {}).get(spec)
    return attached if attached is not None else photo.image.get_rendition(spec)


@register.simple_tag
def photo_img(photo, spec: str = CARD_RENDITION, lazy: bool = True) -> SafeString:
    """<img> for a listing photo with its alt text, from the attached rendition when the view loaded it."""
    if photo is None:
        return mark_safe("")
    rendition = photo_rendition(photo, spec)
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}"{}>',
        rendition.url,
        rendition.width,
        rendition.height,
        photo.alt,
        mark_safe(' loading="lazy" decoding="async"') if lazy else "",
    )


@register.simple_tag
def photo_url(photo, spec: str = GALLERY_RENDITION) -> str:
    return absolute_url(photo_rendition(photo, spec).url) if photo else ""
