"""What the messaging tests share: members with a conversation, a published listing, and stand-ins for the orders
app's paid-order check and order lookup (settings.MESSAGING_PAID_ORDER_CHECK / MESSAGING_ORDER_PARTIES point here).
No tests of its own."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from community.messaging import services
from tests.community.factories import PDF_BYTES, MemberFactory

PAID_CHECK = "tests.community.test_messaging_support.paid_order_exists"
ORDER_PARTIES = "tests.community.test_messaging_support.order_parties"

# (buyer id, seller id) pairs with a paid order, and orders by id; tests fill them through the fixtures below.
PAID: set[tuple[int, int]] = set()
ORDERS: dict[int, tuple[int, int]] = {}


def paid_order_exists(*, buyer_id: int, seller_id: int) -> bool:
    return (buyer_id, seller_id) in PAID


def order_parties(*, order_ref: int) -> tuple[int, int] | None:
    return ORDERS.get(order_ref)


def orders_app_stand_in(settings):
    """Points the messaging settings at the stand-ins, empty: no order is paid, none exists. Each test module calls
    it from an autouse fixture; a test pays with `PAID.add((buyer.pk, seller.pk))`."""
    settings.MESSAGING_PAID_ORDER_CHECK = PAID_CHECK
    settings.MESSAGING_ORDER_PARTIES = ORDER_PARTIES
    PAID.clear()
    ORDERS.clear()


def published_listing(seller, **overrides):
    from tests.listings.factories import category, published

    return published(seller, category(), **overrides)


def start(sender, recipient, body: str = "Hello, is this still available?", **kwargs) -> services.MessageDelivery:
    return services.conversation_start(sender=sender, recipient=recipient, body=body, **kwargs)


def png_file(name: str = "photo.png", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_file(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def buyer_and_seller():
    return MemberFactory(display_name="Bea Buyer"), MemberFactory(display_name="Sol Seller")
