"""Templates in playbooks (listing descriptions, fulfilment tips, replies to buyers) carry {placeholders} that the
seller's listing, order or conversation fills in.

A placeholder is a name in braces: `{title}`, `{place}`, `{price}`, `{seller_name}`. Each kind of template knows
its own names (KNOWN_PLACEHOLDERS_BY_KIND); the CMS refuses a template with any other name in braces, so a typo
never reaches a seller. Words a seller fills in by hand go in square brackets: `[materials]`. Text in braces that
is not a name (`{ }`, `{1 + 2}`) is plain text. Filling never trusts its input: the template text and every value are
HTML-escaped, so the result renders safely as it is, and a placeholder without a value stays visible for the
seller to replace by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")

# The placeholders a listing fills in a description template.
KNOWN_PLACEHOLDERS = ("title", "place", "price", "seller_name", "category")
# What an order fills in a fulfilment tip, and a conversation in a reply template.
ORDER_PLACEHOLDERS = ("title", "place", "buyer_name", "seller_name", "category")
REPLY_PLACEHOLDERS = ("title", "place", "price", "buyer_name", "seller_name", "category")
KNOWN_PLACEHOLDERS_BY_KIND = {
    "description_template": KNOWN_PLACEHOLDERS,
    "fulfilment_tip": ORDER_PLACEHOLDERS,
    "reply_template": REPLY_PLACEHOLDERS,
}
# Anything in braces that looks like an attempt at a placeholder: "{Title}", "{ place }", "{buyer-name}".
PLACEHOLDER_LIKE = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_\- ]{0,39}?)\s*\}")

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def template_placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, each once, in order of first appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text or "")))


def template_unknown_placeholders(text: str, known: tuple[str, ...] | list[str]) -> list[str]:
    """The placeholders in `text` (as written, braces included) that are not among `known`, each once."""
    found = [f"{{{match.group(1)}}}" for match in PLACEHOLDER_LIKE.finditer(text or "") if match.group(1) not in known]
    return list(dict.fromkeys(found))


def _filled(text: str, values: Mapping[str, Any], wrap) -> SafeString:
    pieces: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(text or ""):
        pieces.append(escape(text[position : match.start()]))
        value = values.get(match.group(1))
        if value is None or str(value).strip() == "":
            pieces.append(wrap(match.group(0), filled=False))
        else:
            pieces.append(wrap(str(value), filled=True))
        position = match.end()
    pieces.append(escape((text or "")[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece above is escaped


def template_fill(text: str, values: Mapping[str, Any]) -> SafeString:
    """`text` with each {placeholder} replaced by its value from `values`.

    Unknown or empty placeholders are left visible as `{name}`. The result is HTML-safe: template text and
    values are escaped, so `{{ filled }}` in a template shows exactly the characters a seller typed, and an
    element's textContent gives the plain text back (for inserting into a textarea).
    """
    return _filled(text, values, lambda piece, filled: escape(piece))


def template_highlight(text: str, values: Mapping[str, Any] | None = None) -> SafeString:
    """Like template_fill, with each placeholder (filled or not) marked up so a reader sees what to change."""

    def wrap(piece: str, filled: bool) -> str:
        css = "placeholder placeholder-filled" if filled else "placeholder"
        return format_html('<mark class="{}">{}</mark>', css, piece)

    return _filled(text, values or {}, wrap)


def price_format(amount_minor: int | None, currency: str = "GBP") -> str:
    """12345, "GBP" -> "£123.45"; integer minor units in, never floats."""
    if amount_minor is None:
        return ""
    amount = (Decimal(int(amount_minor)) / 100).quantize(Decimal("0.01"))
    symbol = CURRENCY_SYMBOLS.get((currency or "").upper())
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}".strip()


def listing_template_values(listing: Mapping[str, Any] | Any, *, seller: Any = None) -> dict[str, str]:
    """The placeholder values of a listing, or of the listing form's data (a dict with the same field names).

    Reads `title`, `location_name` (as {place}), `price_amount` + `currency` (as {price}), `category` and the
    seller's display name (as {seller_name}). Missing fields give no value, so their placeholders stay visible.
    """

    def read(name: str) -> Any:
        if isinstance(listing, Mapping):
            return listing.get(name)
        return getattr(listing, name, None)

    seller = seller if seller is not None else read("seller")
    category = read("category")
    values = {
        "title": read("title") or "",
        "place": read("location_name") or "",
        "price": price_format(read("price_amount"), read("currency") or "GBP")
        if read("price_amount") not in (None, "")
        else "",
        "seller_name": str(getattr(seller, "display_name", "") or "") if seller is not None else "",
        "category": str(getattr(category, "name", category) or "") if category is not None else "",
    }
    return {name: str(value) for name, value in values.items() if value not in (None, "")}


def order_template_values(order: Any) -> dict[str, str]:
    """The placeholder values of an order, for a fulfilment tip shown to its seller."""
    listing = order.listing
    values = listing_template_values(listing, seller=getattr(order, "seller", None) or listing.seller)
    values.pop("price", None)
    buyer = getattr(order, "buyer", None)
    if buyer is not None and str(getattr(buyer, "display_name", "") or "").strip():
        values["buyer_name"] = str(buyer.display_name)
    return values


def conversation_template_values(*, listing: Any, seller: Any, buyer: Any) -> dict[str, str]:
    """The placeholder values of a conversation between a seller and a buyer, perhaps about a listing."""
    values = listing_template_values(listing, seller=seller) if listing is not None else {}
    if listing is None and str(getattr(seller, "display_name", "") or "").strip():
        values["seller_name"] = str(seller.display_name)
    if buyer is not None and str(getattr(buyer, "display_name", "") or "").strip():
        values["buyer_name"] = str(buyer.display_name)
    return values
