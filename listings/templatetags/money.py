"""Prices are stored in minor units (pence, cents); people read them in major units with their currency."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


@register.filter
def money(amount: int | None, currency: str = "GBP") -> str:
    """2400, "GBP" → "£24.00"; 125000, "EUR" → "€1,250.00" (grouping and decimal mark follow the language)."""
    if amount in (None, ""):
        return ""
    try:
        value = (Decimal(int(amount)) / 100).quantize(Decimal("0.01"))
    except (TypeError, ValueError):
        return ""
    text = number_format(value, 2, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
