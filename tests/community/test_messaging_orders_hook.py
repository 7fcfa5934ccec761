"""The real orders hook decides masking: contact details are hidden until a paid order joins the two members."""

from __future__ import annotations

import pytest

from community.messaging import services
from tests.factories import MemberFactory
from tests.orders import factories as of

pytestmark = pytest.mark.django_db


def test_settings_point_messaging_at_the_orders_app(settings):
    assert settings.MESSAGING_PAID_ORDER_CHECK == "orders.hooks.paid_order_exists"
    assert settings.MESSAGING_ORDER_PARTIES == "orders.hooks.order_parties"


@pytest.mark.parametrize(("state", "masked"), [("pending_payment", True), ("cancelled", True), ("paid", False)])
def test_contact_details_pass_only_once_a_paid_order_joins_the_two(state, masked):
    seller = MemberFactory()
    buyer = MemberFactory()
    of.order_row(listing=of.item_listing(seller=seller), buyer=buyer, state=state)
    body = "mail me at jo dot smith at gmail dot com"
    delivery = services.conversation_start(sender=buyer, recipient=seller, body=body)
    assert delivery.message.masked is masked
    assert ("gmail" in delivery.message.body) is not masked
    # either direction counts: the seller answering the buyer is judged the same way
    reply = services.message_send(conversation=delivery.message.conversation, sender=seller, body="call 07700 900123")
    assert reply.message.masked is masked


def test_an_order_thread_needs_the_order_parties():
    from django.core.exceptions import ValidationError

    seller, buyer, stranger = MemberFactory(), MemberFactory(), MemberFactory()
    order = of.order_row(listing=of.item_listing(seller=seller), buyer=buyer, state="paid")
    thread = services.conversation_start(sender=buyer, recipient=seller, body="When will it ship?", order_ref=order.pk)
    assert thread.message.conversation.order_ref == order.pk
    with pytest.raises(ValidationError):
        services.conversation_start(sender=stranger, recipient=seller, body="Me too?", order_ref=order.pk)
