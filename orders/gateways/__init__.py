"""Payment gateways behind one interface (orders.gateways.base.PaymentGateway).

`gateway_get()` returns the one the `PAYMENT_GATEWAY` setting names ("offline" by default). A new gateway is one
module with a `PaymentGateway` subclass and one line in `GATEWAYS`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from orders.gateways.base import (
    ChargeResult,
    GatewayError,
    PaymentGateway,
    PaymentStatus,
    PayoutResult,
    RefundResult,
    TransferResult,
)

GATEWAYS: dict[str, str] = {
    "offline": "orders.gateways.offline.OfflineGateway",
    "stripe": "orders.gateways.stripe.StripeGateway",
}

__all__ = [
    "GATEWAYS",
    "ChargeResult",
    "GatewayError",
    "PaymentGateway",
    "PaymentStatus",
    "PayoutResult",
    "RefundResult",
    "TransferResult",
    "gateway_get",
]


def gateway_get(name: str | None = None) -> PaymentGateway:
    """The configured gateway (or the one called `name`, e.g. the gateway an order was paid through)."""
    name = name or getattr(settings, "PAYMENT_GATEWAY", "offline")
    try:
        path = GATEWAYS[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"PAYMENT_GATEWAY={name!r} is not a payment gateway; choose one of {sorted(GATEWAYS)}."
        ) from None
    return import_string(path)()
