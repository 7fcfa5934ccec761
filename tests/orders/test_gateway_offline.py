import pytest
from django.core.exceptions import ImproperlyConfigured

from orders.gateways import GatewayError, PaymentStatus, gateway_get
from orders.gateways.offline import OfflineGateway
from orders.models import OfflineOperation
from tests.orders.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway():
    return OfflineGateway()


def charge(gateway, card, key="k1", amount=5040):
    return gateway.charge(amount=amount, currency="GBP", payment_method=card, idempotency_key=key)


def test_the_offline_gateway_is_the_default(settings):
    assert isinstance(gateway_get(), OfflineGateway)
    settings.PAYMENT_GATEWAY = "offline"
    assert isinstance(gateway_get(), OfflineGateway)


def test_an_unknown_gateway_is_a_configuration_error(settings):
    settings.PAYMENT_GATEWAY = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="carrier-pigeon"):
        gateway_get()


def test_the_visa_test_card_succeeds(gateway):
    result = charge(gateway, "pm_card_visa")
    assert result.status == PaymentStatus.SUCCEEDED
    assert result.reference.startswith("ch_")
    assert (result.amount, result.currency, result.fee) == (5040, "GBP", 0)


def test_the_declined_test_card_is_declined_with_a_clear_message(gateway):
    result = charge(gateway, "pm_card_chargeDeclined")
    assert result.status == PaymentStatus.DECLINED
    assert result.message == "Your card was declined."


def test_the_authentication_card_needs_action_then_confirms(gateway):
    # given
    result = charge(gateway, "pm_card_authenticationRequired")
    assert result.status == PaymentStatus.REQUIRES_ACTION
    assert result.client_secret
    # when
    confirmed = gateway.charge_confirm(reference=result.reference, idempotency_key="confirm")
    # then
    assert confirmed.status == PaymentStatus.SUCCEEDED
    assert confirmed.reference == result.reference
    assert gateway.charge_confirm(reference=result.reference, idempotency_key="confirm").succeeded


def test_an_unknown_payment_method_is_declined(gateway):
    assert charge(gateway, "pm_card_made_up").status == PaymentStatus.DECLINED


def test_the_same_key_charges_once(gateway):
    first = charge(gateway, "pm_card_visa", key="order:1:charge")
    again = charge(gateway, "pm_card_visa", key="order:1:charge")
    assert first == again
    assert OfflineOperation.objects.count() == 1


def test_a_key_reused_for_a_different_charge_is_refused(gateway):
    charge(gateway, "pm_card_visa", key="order:1:charge", amount=100)
    with pytest.raises(GatewayError, match="different request"):
        charge(gateway, "pm_card_visa", key="order:1:charge", amount=200)


def test_refunds_are_idempotent_and_never_exceed_the_charge(gateway):
    paid = charge(gateway, "pm_card_visa", amount=1000)
    first = gateway.refund(charge_reference=paid.reference, amount=600, idempotency_key="r1")
    repeated = gateway.refund(charge_reference=paid.reference, amount=600, idempotency_key="r1")
    too_much = gateway.refund(charge_reference=paid.reference, amount=401, idempotency_key="r2")
    rest = gateway.refund(charge_reference=paid.reference, amount=400, idempotency_key="r3")
    assert first.succeeded and first == repeated
    assert too_much.status == PaymentStatus.FAILED
    assert rest.succeeded


def test_a_declined_charge_cannot_be_refunded(gateway):
    declined = charge(gateway, "pm_card_chargeDeclined")
    assert not gateway.refund(charge_reference=declined.reference, amount=10, idempotency_key="r").succeeded


def test_transfers_and_payouts_are_recorded_once_per_key(gateway):
    seller = MemberFactory()
    transfer = gateway.transfer(
        seller=seller, amount=900, currency="GBP", transfer_group="order-x", idempotency_key="t"
    )
    payout = gateway.payout(seller=seller, amount=900, currency="GBP", idempotency_key="p")
    assert transfer.succeeded and payout.succeeded
    assert gateway.payout(seller=seller, amount=900, currency="GBP", idempotency_key="p") == payout
    assert OfflineOperation.objects.filter(destination=seller).count() == 2


def test_calls_without_a_key_are_refused(gateway):
    with pytest.raises(GatewayError):
        charge(gateway, "pm_card_visa", key="")
