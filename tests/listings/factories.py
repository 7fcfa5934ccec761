"""Listing test data built through the services, so it passes the same checks as a seller's."""

from __future__ import annotations

import io
from datetime import time
from decimal import Decimal
from itertools import count
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from listings import services
from listings.models import Category, Listing

_sequence = count(1)

GOODS_SCHEMA = [
    {
        "name": "condition",
        "label": "Condition",
        "type": "choice",
        "choices": ["new", "like new", "used"],
        "required": True,
    },
    {"name": "size", "label": "Size", "type": "choice", "choices": ["S", "M", "L"]},
]
SERVICE_SCHEMA = [
    {
        "name": "skill_level",
        "label": "Skill level",
        "type": "choice",
        "choices": ["beginner", "intermediate", "expert"],
    },
    {"name": "session_minutes", "label": "Session length (minutes)", "type": "integer", "min": 15, "max": 480},
]


def png_upload(name: str = "photo.png", size: tuple[int, int] = (64, 48), colour: str = "teal") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def category(name: str | None = None, *, parent: Category | None = None, schema: list | None = None) -> Category:
    n = next(_sequence)
    name = name or f"Category {n}"
    fields = {"name": name, "slug": f"{name.lower().replace(' ', '-')}-{n}", "attribute_schema": schema or []}
    return parent.add_child(**fields) if parent else Category.add_root(**fields)


def listing_data(cat: Category, **overrides: Any) -> dict[str, Any]:
    n = next(_sequence)
    data: dict[str, Any] = {
        "title": f"Hand-thrown stoneware mug {n}",
        "description": (
            f"A sturdy hand-thrown stoneware mug number {n}, glazed in deep teal, holds 350 ml and is safe in the "
            "dishwasher. Each one is a little different; this is the one in the photos."
        ),
        "category": cat,
        "kind": "item",
        "price_amount": 2400,
        "currency": "GBP",
        "quantity": 3,
        "location_name": "Bristol",
        "latitude": Decimal("51.454500"),
        "longitude": Decimal("-2.587900"),
        "attributes": {"condition": "new"} if any(d["name"] == "condition" for d in cat.effective_schema()) else {},
    }
    data.update(overrides)
    return data


def draft(seller, cat: Category, *, photos: int = 1, **overrides: Any) -> Listing:
    listing = services.listing_create(seller=seller, data=listing_data(cat, **overrides))
    for i in range(photos):
        services.listing_photo_add(
            listing_id=listing.pk, seller=seller, image_file=png_upload(f"p{i}.png"), alt=f"Photo {i + 1}"
        )
    if listing.kind == "booking":
        services.listing_availability_set(
            listing_id=listing.pk,
            seller=seller,
            rules=[{"weekday": day, "start_time": time(9), "end_time": time(17)} for day in range(5)],
        )
    return listing


def published(seller, cat: Category, **overrides: Any) -> Listing:
    listing = draft(seller, cat, **overrides)
    return services.listing_publish(listing_id=listing.pk, seller=seller)


def booking_overrides(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "booking",
        "price_unit": "hour",
        "title": f"Pottery lesson {next(_sequence)}",
        "description": (
            "A two-hour wheel-throwing lesson in my Bristol studio for beginners: clay, glazes and firing included. "
            "You leave with two pieces of your own."
        ),
        **extra,
    }
