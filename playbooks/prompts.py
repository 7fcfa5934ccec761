"""Learning prompts where the work happens: what the listing form, the order page and a conversation with a buyer
offer from the playbooks, filled from the seller's own listing, order or conversation.

Each function reads only; the templates come back filled and HTML-escaped (see placeholders.template_fill).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from playbooks.placeholders import conversation_template_values, listing_template_values, order_template_values
from playbooks.selectors import (
    DescriptionTemplate,
    description_templates_for,
    fulfilment_tips_for,
    reply_templates_for,
)


def listing_form_values(data: Mapping[str, Any], *, category: Any, seller: Any) -> dict[str, str]:
    """The placeholder values of the listing form as typed so far (the price in major units, "24.50")."""
    from listings.forms import parse_major_price

    price_amount = None
    raw_price = str(data.get("price") or "").strip()
    if raw_price:
        try:
            price_amount = parse_major_price(raw_price)
        except ValidationError:
            price_amount = None  # not a price yet: {price} stays for the seller to fill
    return listing_template_values(
        {
            "title": str(data.get("title") or "").strip(),
            "location_name": str(data.get("location_name") or "").strip(),
            "price_amount": price_amount,
            "currency": str(data.get("currency") or "GBP"),
            "category": category,
        },
        seller=seller,
    )


def listing_form_templates(*, category: Any, data: Mapping[str, Any], seller: Any) -> list[DescriptionTemplate]:
    """The playbooks' description templates for the listing form's category, filled from what the seller typed."""
    if category is None:
        return []
    return description_templates_for(category, listing_form_values(data, category=category, seller=seller))


def order_fulfilment_tips(*, order: Any) -> list[DescriptionTemplate]:
    """The fulfilment tips for an order's listing category and kind, filled from the order."""
    return fulfilment_tips_for(order.listing.category, order.kind, order_template_values(order))


def conversation_reply_templates(*, conversation: Any, member: Any) -> list[DescriptionTemplate]:
    """Reply templates for `member` in `conversation`, if they are the seller in it: the seller of the listing it
    is about, or (without a listing) a member with listings of their own talking to someone else. A buyer gets
    none."""
    listing = getattr(conversation, "listing", None)
    if listing is not None and listing.seller_id != member.pk:
        return []
    if listing is None and not member.listings.exists():
        return []
    other = conversation.other_member(member.pk)
    values = conversation_template_values(listing=listing, seller=member, buyer=other)
    return reply_templates_for(listing.category if listing is not None else None, values)
