import pytest
from django.core import mail

from orders import services
from orders.notifications import SUBJECTS, order_email_send
from tests.orders.factories import MemberFactory, item_listing

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("email", sorted(SUBJECTS))
def test_every_order_email_renders_for_its_reader(email):
    listing = item_listing(title="Teal mug")
    order = services.order_create(buyer=MemberFactory(), listing_id=listing.pk, payment_method="pm_card_visa")
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    mail.outbox.clear()
    for recipient in ("buyer", "seller"):
        assert order_email_send(order_id=order.pk, email=email, recipient=recipient)
    buyer_mail, seller_mail = mail.outbox
    assert buyer_mail.to == [order.buyer.email] and seller_mail.to == [order.seller.email]
    assert "Teal mug" in buyer_mail.subject
    assert str(order.reference) in buyer_mail.body
    assert "{%" not in buyer_mail.body and "{{" not in buyer_mail.body


def test_no_email_to_a_deactivated_member():
    order = services.order_create(buyer=MemberFactory(), listing_id=item_listing().pk, payment_method="pm_card_visa")
    order.buyer.is_active = False
    order.buyer.save(update_fields=["is_active"])
    assert not order_email_send(order_id=order.pk, email="order_placed", recipient="buyer")
