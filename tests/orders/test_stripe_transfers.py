"""Release → transfer, over HTTP against the fake Stripe: every release of an order paid through the stripe gateway
(the buyer confirms, the timeout, a dispute resolved with a release or a partial refund) sends each payee's net
share to their connected account with the order's transfer group, once; a payee whose payouts Stripe has not
enabled keeps the share until `account.updated` says they are."""

from unittest import mock

import pytest

from community.models import RoleGrant
from orders import connect, ledger, services, tasks
from orders.models import AccountKind, CommissionConfig, GatewayCallStatus, OrderState, Payout
from orders.timeouts import ITEM_AUTO_COMPLETE_AFTER
from tests.orders.factories import MemberFactory, item_listing
from tests.orders.stripe_fake import deliver, onboarded_seller, use_stripe

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"


@pytest.fixture(autouse=True)
def _rates():
    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=0)


@pytest.fixture
def fake(stripe_server, settings, monkeypatch):
    return use_stripe(stripe_server, settings, monkeypatch)


def balance(member, kind: str) -> int:
    return ledger.member_balance(member=member, kind=kind, currency="GBP")


def delivered_order(seller):
    listing = item_listing(seller=seller, price_amount=10_000, quantity=2)
    order = services.order_create(buyer=MemberFactory(), listing_id=listing.pk, payment_method=VISA)
    assert order.state == OrderState.PAID
    return services.order_fulfil(order_id=order.pk, actor=seller)


def release_credit(order) -> int:
    [entry] = connect._release_credits(order)
    return entry.amount


def confirm(order, clock):
    return services.order_complete(order_id=order.pk, actor=order.buyer)


def time_out(order, clock):
    clock.advance(ITEM_AUTO_COMPLETE_AFTER)
    assert tasks.orders_complete() == 1


def resolve_with_partial_refund(order, clock):
    services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="Half of it is scratched")
    moderator = MemberFactory()
    RoleGrant.objects.create(member=moderator, role="moderator")
    services.order_dispute_resolve(order_id=order.pk, moderator=moderator, refund_amount=4_000, note="Half broken")


def resolve_with_release(order, clock):
    services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="Not as described")
    moderator = MemberFactory()
    RoleGrant.objects.create(member=moderator, role="moderator")
    services.order_dispute_resolve(order_id=order.pk, moderator=moderator, refund_amount=0, note="As described")


@pytest.mark.parametrize("release", [confirm, time_out, resolve_with_release, resolve_with_partial_refund])
def test_each_release_transfers_the_net_share_once(fake, clock, release, django_capture_on_commit_callbacks):
    # given an onboarded seller's delivered order, paid through Stripe
    seller = onboarded_seller(fake)
    order = delivered_order(seller)
    # when the order is released
    with django_capture_on_commit_callbacks(execute=True):
        release(order, clock)
    # then one transfer carries the seller's net share to their connected account, in the order's transfer group
    order.refresh_from_db()
    assert order.released_at is not None
    share = release_credit(order)
    assert 0 < share <= order.seller_net
    [transfer] = fake.objects("transfer")
    [payout] = Payout.objects.filter(seller=seller)
    assert (payout.status, payout.gateway_reference, payout.amount) == (
        GatewayCallStatus.SUCCEEDED,
        transfer["id"],
        share,
    )
    assert transfer["destination"] == seller.stripe_account.account_id
    assert (transfer["amount"], transfer["currency"]) == (share, "gbp")
    assert transfer["transfer_group"] == order.transfer_group
    assert transfer["metadata"] == {"guildhall_key": f"order:{order.reference}:transfer:{seller.pk}"}
    # and it was sent with that idempotency key
    assert any(key == payout.idempotency_key for _auth, _account, key in fake._saved)
    # and the ledger moved it from payable to paid out
    assert balance(seller, AccountKind.SELLER_PAYABLE) == 0
    assert balance(seller, AccountKind.SELLER_PAID_OUT) == share
    # when the release is sent again (a retried task, a second attempt)
    with django_capture_on_commit_callbacks(execute=True):
        connect.order_transfers_send_task.delay(order.pk)
        assert connect.order_transfers_send(order_id=order.pk) == [payout]
    # then nothing more went
    assert len(fake.objects("transfer")) == 1
    assert Payout.objects.count() == 1
    assert balance(seller, AccountKind.SELLER_PAID_OUT) == share


def test_a_partial_refund_transfers_less_than_the_full_net(fake, clock, django_capture_on_commit_callbacks):
    seller = onboarded_seller(fake)
    order = delivered_order(seller)
    with django_capture_on_commit_callbacks(execute=True):
        resolve_with_partial_refund(order, clock)
    [transfer] = fake.objects("transfer")
    [refund] = fake.objects("refund")
    assert refund["amount"] == 4_000
    # 105.00 paid, 40.00 back: the seller gets the same 90 % of the 65.00 left as of the whole (0.9 × 65.00 × 100/105)
    assert transfer["amount"] == release_credit(order) < order.seller_net
    assert transfer["amount"] == 5_571


def test_a_lost_transfer_answer_is_settled_by_the_retry_task_with_one_transfer(
    fake, clock, django_capture_on_commit_callbacks
):
    # given a release whose transfer reached Stripe but whose answer was lost
    seller = onboarded_seller(fake)
    order = delivered_order(seller)
    fake.fail_next("POST /v1/transfers$", after=True)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(order, clock)
    payout = Payout.objects.get()
    assert payout.status == GatewayCallStatus.PENDING
    [transfer] = fake.objects("transfer")
    # when the retry task runs later
    clock.advance(ITEM_AUTO_COMPLETE_AFTER)
    assert tasks.gateway_calls_retry() == 1
    # then Stripe replayed the first transfer: one transfer, the payout settled with it
    payout.refresh_from_db()
    assert (payout.status, payout.gateway_reference) == (GatewayCallStatus.SUCCEEDED, transfer["id"])
    assert len(fake.objects("transfer")) == 1
    assert fake.replays >= 1


def test_a_seller_without_payouts_enabled_is_paid_when_account_updated_enables_them(
    fake, clock, client, django_capture_on_commit_callbacks
):
    # given a seller who started onboarding but has not finished
    seller = MemberFactory()
    account = connect.stripe_account_get_or_create(member=seller)
    order = delivered_order(seller)
    # when the order is released
    with django_capture_on_commit_callbacks(execute=True):
        confirm(order, clock)
    # then nothing went to Stripe and the share waits in their payable balance, with no failed payout
    share = release_credit(order)
    assert fake.objects("transfer") == []
    assert not Payout.objects.exists()
    assert balance(seller, AccountKind.SELLER_PAYABLE) == share == order.seller_net
    # and another attempt sends nothing either
    assert connect.order_transfers_send(order_id=order.pk) == []
    assert fake.objects("transfer") == []
    # when the seller finishes onboarding and Stripe's account.updated arrives
    fake.onboard(account.account_id)
    [event] = fake.events("account.updated")
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, event).status_code == 200
    # then the waiting share is transferred, once, in the order's transfer group
    [transfer] = fake.objects("transfer")
    assert (transfer["amount"], transfer["transfer_group"]) == (share, order.transfer_group)
    assert transfer["destination"] == account.account_id
    assert balance(seller, AccountKind.SELLER_PAYABLE) == 0
    assert Payout.objects.get().status == GatewayCallStatus.SUCCEEDED
    # and the same event again sends nothing more
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, event).status_code == 200
        connect.stripe_transfers_resume(member_id=seller.pk)
    assert len(fake.objects("transfer")) == 1


def test_a_restricted_account_gets_nothing_until_stripe_enables_payouts_again(
    fake, clock, client, django_capture_on_commit_callbacks
):
    seller = onboarded_seller(fake)
    account = seller.stripe_account
    fake.restrict(account.account_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, fake.events("account.updated")[-1])
    account.refresh_from_db()
    assert not account.payouts_enabled
    order = delivered_order(seller)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(order, clock)
    assert fake.objects("transfer") == []
    fake.onboard(account.account_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, fake.events("account.updated")[-1])
    [transfer] = fake.objects("transfer")
    assert transfer["amount"] == order.seller_net


def test_offline_orders_never_queue_stripe_transfers(settings, clock, django_capture_on_commit_callbacks):
    settings.PAYMENT_GATEWAY = "offline"
    order = delivered_order(MemberFactory())
    with (
        mock.patch.object(connect.order_transfers_send_task, "delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        confirm(order, clock)
    order.refresh_from_db()
    assert order.state == OrderState.RELEASED
    queued.assert_not_called()
    assert not Payout.objects.exists()
    assert balance(order.seller, AccountKind.SELLER_PAYABLE) == order.seller_net
