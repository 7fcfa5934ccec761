"""The stripe gateway over HTTP against the fake Stripe server (tests/orders/stripe_fake.py): what each call asks of
Stripe, how Stripe's answers come back through the interface, and that an idempotency key makes a call happen once."""

import pytest

from orders.gateways import GatewayError, PaymentStatus, gateway_get
from orders.gateways.stripe import StripeGateway
from tests.orders.factories import MemberFactory
from tests.orders.stripe_fake import FEE_BPS, FEE_FIXED, onboarded_seller, use_stripe

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
THREE_D_SECURE = "pm_card_authenticationRequired"


@pytest.fixture
def fake(stripe_server, settings, monkeypatch):
    return use_stripe(stripe_server, settings, monkeypatch)


@pytest.fixture
def gateway(fake):
    return StripeGateway()


def charge(gateway, card=VISA, *, key="order:1:charge", amount=5040, group="order-abc"):
    return gateway.charge(
        amount=amount,
        currency="GBP",
        payment_method=card,
        idempotency_key=key,
        transfer_group=group,
        description="Guildhall order 1",
    )


def fee(amount: int) -> int:
    return FEE_FIXED + amount * FEE_BPS // 10_000


# --- Charges ----------------------------------------------------------------------------------------------


def test_the_setting_selects_the_stripe_gateway(fake):
    assert isinstance(gateway_get(), StripeGateway)


def test_a_visa_charge_succeeds_on_the_platform_with_stripes_fee(fake, gateway):
    # when
    result = charge(gateway)
    # then
    assert result.status == PaymentStatus.SUCCEEDED
    assert (result.amount, result.currency, result.fee) == (5040, "GBP", fee(5040))
    [intent] = fake.objects("payment_intent")
    assert intent["id"] == result.reference
    assert (intent["amount"], intent["currency"], intent["status"]) == (5040, "gbp", "succeeded")
    assert intent["transfer_group"] == "order-abc"
    assert intent["description"] == "Guildhall order 1"
    assert intent["metadata"] == {"guildhall_key": "order:1:charge"}


def test_a_declined_card_is_declined_with_the_banks_message(fake, gateway):
    result = charge(gateway, DECLINED)
    assert result.status == PaymentStatus.DECLINED
    assert result.message == "Your card was declined."
    [intent] = fake.objects("payment_intent")
    assert result.reference == intent["id"]
    assert intent["status"] == "requires_payment_method"


def test_an_unknown_payment_method_fails_with_a_clear_message(gateway):
    result = charge(gateway, "pm_card_made_up")
    assert result.status == PaymentStatus.FAILED
    assert result.message == "This payment method cannot be used. Try another card."


def test_3d_secure_requires_action_until_the_buyer_authenticates(fake, gateway):
    # given
    result = charge(gateway, THREE_D_SECURE)
    assert result.status == PaymentStatus.REQUIRES_ACTION
    assert result.client_secret.startswith(result.reference + "_secret_")
    # when the buyer has not authenticated yet
    waiting = gateway.charge_confirm(reference=result.reference, idempotency_key="order:1:charge:confirm")
    # then
    assert waiting.status == PaymentStatus.REQUIRES_ACTION
    # when the buyer authenticates in the browser
    fake.authenticate(result.reference)
    confirmed = gateway.charge_confirm(reference=result.reference, idempotency_key="order:1:charge:confirm")
    # then
    assert confirmed.status == PaymentStatus.SUCCEEDED
    assert (confirmed.reference, confirmed.amount, confirmed.fee) == (result.reference, 5040, fee(5040))


def test_a_failed_authentication_is_a_decline(fake, gateway):
    result = charge(gateway, THREE_D_SECURE)
    fake.authenticate(result.reference, success=False)
    confirmed = gateway.charge_confirm(reference=result.reference, idempotency_key="confirm")
    assert confirmed.status == PaymentStatus.DECLINED
    assert confirmed.message == "Your card was not authenticated. Try again, or use another card."


# --- Refunds ----------------------------------------------------------------------------------------------


def test_refunds_are_partial_and_never_exceed_the_charge(fake, gateway):
    # given
    paid = charge(gateway)
    # when
    first = gateway.refund(charge_reference=paid.reference, amount=1000, idempotency_key="refund:1")
    second = gateway.refund(charge_reference=paid.reference, amount=2000, idempotency_key="refund:2")
    too_much = gateway.refund(charge_reference=paid.reference, amount=5000, idempotency_key="refund:3")
    # then
    assert (first.status, first.amount, second.status) == (PaymentStatus.SUCCEEDED, 1000, PaymentStatus.SUCCEEDED)
    assert too_much.status == PaymentStatus.FAILED
    assert "greater than unrefunded amount" in too_much.message
    refunds = fake.objects("refund")
    assert sorted(refund["amount"] for refund in refunds) == [1000, 2000]
    assert {refund["id"] for refund in refunds} == {first.reference, second.reference}
    assert {refund["metadata"]["guildhall_key"] for refund in refunds} == {"refund:1", "refund:2"}


# --- Idempotency ------------------------------------------------------------------------------------------


def test_the_same_call_twice_makes_one_object(fake, gateway):
    # given
    seller = onboarded_seller(fake)
    # when
    charges = [charge(gateway, key="order:9:charge") for _ in range(2)]
    refunds = [
        gateway.refund(charge_reference=charges[0].reference, amount=700, idempotency_key="order:9:refund:a")
        for _ in range(2)
    ]
    transfers = [
        gateway.transfer(seller=seller, amount=900, currency="GBP", transfer_group="order-9", idempotency_key="t9")
        for _ in range(2)
    ]
    # then
    assert charges[0] == charges[1] and refunds[0] == refunds[1] and transfers[0] == transfers[1]
    assert len(fake.objects("payment_intent")) == 1
    assert len(fake.objects("refund")) == 1
    assert len(fake.objects("transfer")) == 1
    assert fake.replays == 3


def test_a_key_reused_for_another_request_is_refused(gateway):
    charge(gateway, key="order:1:charge", amount=1000)
    with pytest.raises(GatewayError, match="same parameters"):
        charge(gateway, key="order:1:charge", amount=2000)


def test_a_lost_answer_is_a_gateway_error_and_the_retry_charges_once(fake, gateway):
    # given Stripe charges the card but its answer never arrives
    fake.fail_next("POST /v1/payment_intents$", after=True)
    with pytest.raises(GatewayError):
        charge(gateway)
    assert len(fake.objects("payment_intent")) == 1
    # when the caller retries with the same key
    result = charge(gateway)
    # then Stripe's first answer comes back
    assert result.status == PaymentStatus.SUCCEEDED
    assert len(fake.objects("payment_intent")) == 1


def test_no_answer_at_all_is_a_gateway_error(fake, gateway):
    fake.fail_next("POST /v1/payment_intents$")
    with pytest.raises(GatewayError):
        charge(gateway)
    assert fake.objects("payment_intent") == []


def test_every_call_needs_an_idempotency_key(gateway):
    with pytest.raises(GatewayError, match="idempotency key"):
        charge(gateway, key="")


# --- Money to sellers -------------------------------------------------------------------------------------


def test_a_transfer_goes_to_the_sellers_connected_account_with_the_transfer_group(fake, gateway):
    # given
    seller = onboarded_seller(fake)
    # when
    result = gateway.transfer(
        seller=seller, amount=4320, currency="GBP", transfer_group="order-abc", idempotency_key="order:1:transfer"
    )
    # then
    assert result.status == PaymentStatus.SUCCEEDED
    [transfer] = fake.objects("transfer")
    assert transfer["id"] == result.reference
    assert transfer["destination"] == seller.stripe_account.account_id
    assert (transfer["amount"], transfer["currency"], transfer["transfer_group"]) == (4320, "gbp", "order-abc")


def test_a_payout_is_a_transfer_to_the_connected_account(fake, gateway):
    seller = onboarded_seller(fake)
    result = gateway.payout(seller=seller, amount=2500, currency="GBP", idempotency_key="payout:1")
    assert result.status == PaymentStatus.SUCCEEDED
    [transfer] = fake.objects("transfer")
    assert (transfer["id"], transfer["destination"]) == (result.reference, seller.stripe_account.account_id)
    assert (transfer["amount"], transfer["transfer_group"]) == (2500, None)


def test_nothing_is_sent_to_a_seller_without_a_connected_account(fake, gateway):
    result = gateway.payout(seller=MemberFactory(), amount=2500, currency="GBP", idempotency_key="payout:1")
    assert result.status == PaymentStatus.FAILED
    assert "has not set up payouts with Stripe" in result.message
    assert fake.objects("transfer") == []


def test_nothing_is_sent_before_stripe_enables_payouts(fake, gateway):
    # given a seller who started onboarding but has not finished
    from orders.connect import stripe_account_get_or_create

    seller = MemberFactory()
    stripe_account_get_or_create(member=seller)
    # when
    transfer = gateway.transfer(
        seller=seller, amount=100, currency="GBP", transfer_group="order-abc", idempotency_key="t"
    )
    payout = gateway.payout(seller=seller, amount=100, currency="GBP", idempotency_key="p")
    # then
    assert transfer.status == payout.status == PaymentStatus.FAILED
    assert "has not enabled payouts" in payout.message
    assert fake.objects("transfer") == []
