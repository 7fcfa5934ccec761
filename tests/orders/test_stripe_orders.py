"""Orders through the stripe gateway, end to end over HTTP: checkout (a visa charge, a declined card, 3-D Secure),
a partial refund, release, and the transfer of the seller's share to their connected account."""

import pytest
from django.core.exceptions import ValidationError

from orders import connect, ledger, services
from orders.models import AccountKind, GatewayCallStatus, OrderState, Refund
from tests.orders.factories import MemberFactory, item_listing
from tests.orders.stripe_fake import FEE_BPS, FEE_FIXED, onboarded_seller, use_stripe

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
THREE_D_SECURE = "pm_card_authenticationRequired"


@pytest.fixture
def fake(stripe_server, settings, monkeypatch):
    return use_stripe(stripe_server, settings, monkeypatch)


def balance(kind: str, member=None) -> int:
    if member is None:
        return ledger.account_balance(account=ledger.account_get(kind=kind, currency="GBP"))
    return ledger.member_balance(member=member, kind=kind, currency="GBP")


def test_a_full_order_through_stripe(fake, django_capture_on_commit_callbacks):
    # given an onboarded seller and a buyer
    seller = onboarded_seller(fake)
    listing = item_listing(seller=seller, price_amount=2400, quantity=3)
    buyer = MemberFactory()

    # when the buyer pays by visa
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_create(buyer=buyer, listing_id=listing.pk, quantity=2, payment_method=VISA)
    # then the platform charged the order's total, in the order's transfer group, and holds it in escrow
    assert order.state == OrderState.PAID
    [intent] = fake.objects("payment_intent")
    assert (intent["id"], intent["amount"], intent["currency"]) == (order.charge_reference, order.total, "gbp")
    assert intent["transfer_group"] == order.transfer_group
    assert ledger.escrow_balance(order=order) == order.total == 5040
    assert balance(AccountKind.PROCESSOR_FEES) == FEE_FIXED + 5040 * FEE_BPS // 10_000

    # when the seller refunds part of it
    with django_capture_on_commit_callbacks(execute=True):
        services.order_refund(order_id=order.pk, seller=seller, amount=500, idempotency_key="form-1")
    # then Stripe refunded that much of the charge
    refund = Refund.objects.get(order=order)
    assert refund.status == GatewayCallStatus.SUCCEEDED
    [stripe_refund] = fake.objects("refund")
    assert (stripe_refund["id"], stripe_refund["amount"]) == (refund.gateway_reference, 500)
    assert stripe_refund["charge"] == intent["latest_charge"]["id"]
    assert stripe_refund["metadata"] == {"guildhall_key": refund.idempotency_key}

    # when the order is delivered, confirmed and released, and the release is transferred
    services.order_fulfil(order_id=order.pk, actor=seller)
    order = services.order_complete(order_id=order.pk, actor=buyer)
    assert order.state == OrderState.RELEASED
    share = balance(AccountKind.SELLER_PAYABLE, seller)
    [payout] = connect.order_transfers_send(order_id=order.pk)
    # then the seller's share went to their connected account, in the order's transfer group, from its charge
    assert payout.status == GatewayCallStatus.SUCCEEDED
    [transfer] = fake.objects("transfer")
    assert transfer["id"] == payout.gateway_reference
    assert transfer["destination"] == seller.stripe_account.account_id
    assert transfer["transfer_group"] == order.transfer_group
    assert transfer["source_transaction"] == intent["latest_charge"]["id"]
    assert transfer["amount"] == share == payout.amount > 0
    assert balance(AccountKind.SELLER_PAYABLE, seller) == 0
    assert balance(AccountKind.SELLER_PAID_OUT, seller) == share
    assert ledger.escrow_balance(order=order) == 0

    # and sending the release again sends nothing
    assert connect.order_transfers_send(order_id=order.pk) == [payout]
    assert len(fake.objects("transfer")) == 1


def test_a_declined_card_gives_the_decline_message_and_the_stock_back(fake):
    listing = item_listing(quantity=1)
    buyer = MemberFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.order_create(buyer=buyer, listing_id=listing.pk, payment_method=DECLINED)
    assert excinfo.value.message_dict == {"payment_method": ["Your card was declined."]}
    listing.refresh_from_db()
    assert listing.quantity == 1
    order = buyer.orders_bought.get()
    assert order.state == OrderState.CANCELLED
    assert ledger.escrow_balance(order=order) == 0


def test_3d_secure_holds_the_order_until_the_buyer_authenticates(fake):
    # given
    listing = item_listing(quantity=1)
    buyer = MemberFactory()
    order = services.order_create(buyer=buyer, listing_id=listing.pk, payment_method=THREE_D_SECURE)
    # then the order waits, with what the browser needs for 3-D Secure
    assert order.state == OrderState.PENDING_PAYMENT
    [intent] = fake.objects("payment_intent")
    assert intent["status"] == "requires_action"
    assert (order.charge_reference, order.payment_client_secret) == (intent["id"], intent["client_secret"])
    # when the page confirms before the buyer has authenticated
    order = services.order_payment_confirm(order_id=order.pk, buyer=buyer)
    # then it still waits
    assert order.state == OrderState.PENDING_PAYMENT
    # when the buyer authenticates and the page confirms
    fake.authenticate(order.charge_reference)
    order = services.order_payment_confirm(order_id=order.pk, buyer=buyer)
    # then
    assert order.state == OrderState.PAID
    assert ledger.escrow_balance(order=order) == order.total


def test_a_failed_3d_secure_cancels_the_order_with_a_clear_message(fake):
    listing = item_listing(quantity=1)
    buyer = MemberFactory()
    order = services.order_create(buyer=buyer, listing_id=listing.pk, payment_method=THREE_D_SECURE)
    fake.authenticate(order.charge_reference, success=False)
    with pytest.raises(ValidationError) as excinfo:
        services.order_payment_confirm(order_id=order.pk, buyer=buyer)
    assert excinfo.value.message_dict == {
        "payment_method": ["Your card was not authenticated. Try again, or use another card."]
    }
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    listing.refresh_from_db()
    assert listing.quantity == 1
