from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from community.models import RoleGrant
from listings.models import Listing
from orders import ledger, ledger_check, services, tasks
from orders.gateways import PaymentStatus, PayoutResult
from orders.gateways.offline import OfflineGateway
from orders.models import (
    AccountKind,
    CancelledBy,
    CommissionConfig,
    GatewayCallStatus,
    OfflineOperation,
    OrderEvent,
    OrderState,
    Payout,
    Refund,
)
from orders.payees import payee_resolver_register, payee_resolver_unregister
from orders.selectors import ledger_totals, order_money, seller_balances, seller_cancellations_count
from tests.orders.factories import MemberFactory, booking_listing, item_listing, next_weekday_at

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"


@pytest.fixture(autouse=True)
def _rates():
    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=0)


def buy(listing=None, **kwargs):
    listing = listing or item_listing(price_amount=10_000)
    return services.order_create(buyer=MemberFactory(), listing_id=listing.pk, payment_method=VISA, **kwargs)


def book(listing, start, hours=1, **kwargs):
    return services.order_create(
        buyer=MemberFactory(),
        listing_id=listing.pk,
        start=start,
        end=start + timedelta(hours=hours),
        payment_method=VISA,
        **kwargs,
    )


def payable(member) -> int:
    return ledger.member_balance(member=member, kind=AccountKind.SELLER_PAYABLE, currency="GBP")


def refunded(member) -> int:
    return ledger.member_balance(member=member, kind=AccountKind.REFUNDS, currency="GBP")


def platform() -> int:
    return ledger.account_balance(account=ledger.account_get(kind=AccountKind.PLATFORM_REVENUE, currency="GBP"))


def moves(order) -> list[tuple[str, str]]:
    return [(e.from_state, e.to_state) for e in order.events.all()]


# --- The happy path, step by step ---------------------------------------------------------------------------


def test_an_item_order_from_payment_to_release(django_capture_on_commit_callbacks):
    # given: 100.00 + 5 % buyer fee, 10 % commission
    order = buy()
    seller, buyer = order.seller, order.buyer
    # when
    services.order_fulfil(order_id=order.pk, actor=seller)
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_complete(order_id=order.pk, actor=buyer)
    # then
    assert order.state == OrderState.RELEASED
    assert moves(order) == [
        ("", "pending_payment"),
        ("pending_payment", "paid"),
        ("paid", "fulfilled"),
        ("fulfilled", "completed"),
        ("completed", "released"),
    ]
    assert [e.actor_id for e in order.events.all()] == [buyer.pk, buyer.pk, seller.pk, buyer.pk, None]
    assert ledger.escrow_balance(order=order) == 0
    assert payable(seller) == 9000
    assert platform() == 1500
    assert order_money(order=order).released == 10_500
    assert ledger_totals() == {"GBP": 0}
    assert order.fulfilled_at and order.completed_at and order.released_at


def test_a_request_to_book_accepted_by_the_seller_becomes_paid():
    listing = booking_listing(instant_book=False)
    order = book(listing, next_weekday_at(0, 10))
    order = services.order_accept(order_id=order.pk, seller=listing.seller)
    assert order.state == OrderState.PAID
    assert moves(order)[-2:] == [("requested", "accepted"), ("accepted", "paid")]
    assert order.accepted_at is not None
    assert ledger.escrow_balance(order=order) == order.total


def test_a_declined_request_refunds_everything_and_frees_the_slot(django_capture_on_commit_callbacks):
    listing = booking_listing(instant_book=False)
    start = next_weekday_at(0, 10)
    order = book(listing, start)
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_decline(order_id=order.pk, seller=listing.seller, note="Away that week")
    assert order.state == OrderState.DECLINED
    assert ledger.escrow_balance(order=order) == 0
    assert refunded(order.buyer) == order.total
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.status) == (order.total, GatewayCallStatus.SUCCEEDED)
    assert OfflineOperation.objects.get(reference=refund.gateway_reference).amount == order.total
    assert book(listing, start).state == OrderState.REQUESTED


def test_a_seller_cannot_accept_after_the_deadline(clock):
    listing = booking_listing(instant_book=False)
    order = book(listing, next_weekday_at(0, 10, after=clock.now))
    clock.advance(timedelta(hours=24, seconds=1))
    with pytest.raises(ValidationError, match="expired"):
        services.order_accept(order_id=order.pk, seller=listing.seller)


# --- Illegal moves --------------------------------------------------------------------------------------------


def test_illegal_transitions_are_refused_without_a_trace():
    # given a paid item order
    order = buy()
    events = order.events.count()
    # when / then
    for attempt in [
        lambda: services.order_complete(order_id=order.pk, actor=order.buyer),  # not fulfilled yet
        lambda: services.order_accept(order_id=order.pk, seller=order.seller),  # not a request
        lambda: services.order_decline(order_id=order.pk, seller=order.seller),
        lambda: services.order_expire(order_id=order.pk),
        lambda: services.order_payment_abandon(order_id=order.pk),
    ]:
        with pytest.raises(ValidationError) as excinfo:
            attempt()
        assert "state" in excinfo.value.message_dict
    assert order.events.count() == events
    assert ledger.escrow_balance(order=order) == order.total


def test_a_released_order_is_final():
    order = buy()
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    services.order_complete(order_id=order.pk, actor=order.buyer)
    for attempt in [
        lambda: services.order_cancel(order_id=order.pk, actor=order.seller),
        lambda: services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="late"),
        lambda: services.order_fulfil(order_id=order.pk, actor=order.seller),
    ]:
        with pytest.raises(ValidationError):
            attempt()
    assert ledger.escrow_balance(order=order) == 0


def test_only_the_right_party_can_act():
    order = buy()
    with pytest.raises(PermissionDenied):
        services.order_fulfil(order_id=order.pk, actor=order.buyer)
    with pytest.raises(Http404):
        services.order_cancel(order_id=order.pk, actor=MemberFactory())
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    with pytest.raises(PermissionDenied):
        services.order_complete(order_id=order.pk, actor=order.seller)


def test_a_booking_is_not_fulfilled_before_it_ends():
    listing = booking_listing()
    order = book(listing, next_weekday_at(0, 10))
    with pytest.raises(ValidationError, match="ended"):
        services.order_fulfil(order_id=order.pk, actor=listing.seller)


# --- Cancellations ------------------------------------------------------------------------------------------


def test_a_buyer_cancelling_an_undelivered_item_gets_everything_back():
    listing = item_listing(price_amount=10_000, quantity=1)
    order = buy(listing)
    order = services.order_cancel(order_id=order.pk, actor=order.buyer)
    assert (order.state, order.cancelled_by) == (OrderState.CANCELLED, CancelledBy.BUYER)
    assert refunded(order.buyer) == 10_500
    assert ledger.escrow_balance(order=order) == 0
    assert Listing.objects.get(pk=listing.pk).quantity == 1


def test_a_delivered_item_cannot_be_cancelled():
    order = buy()
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    with pytest.raises(ValidationError):
        services.order_cancel(order_id=order.pk, actor=order.buyer)


def test_a_late_buyer_cancellation_under_a_moderate_policy_refunds_half_and_releases_the_rest(clock):
    # given a 100.00 booking (105.00 with the buyer fee) starting in 3 days
    listing = booking_listing(price_amount=10_000, cancellation_policy="moderate")
    start = next_weekday_at(0, 10, after=clock.now)
    order = book(listing, start)
    clock.now = start - timedelta(days=3)
    # when
    order = services.order_cancel(order_id=order.pk, actor=order.buyer)
    # then: half of 10 500 back; the other 5 250 split as the full order would be (platform 1 500 / 10 500 of it)
    assert refunded(order.buyer) == 5250
    assert platform() == 750
    assert payable(listing.seller) == 4500
    assert ledger.escrow_balance(order=order) == 0
    assert order.events.last().amount == 5250


def test_an_early_buyer_cancellation_under_a_flexible_policy_refunds_everything(clock):
    listing = booking_listing(price_amount=10_000, cancellation_policy="flexible")
    start = next_weekday_at(0, 10, after=clock.now)
    order = book(listing, start)
    clock.now = start - timedelta(hours=24)
    services.order_cancel(order_id=order.pk, actor=order.buyer)
    assert refunded(order.buyer) == 10_500
    assert payable(listing.seller) == 0


def test_a_sellers_cancellation_refunds_everything_and_counts_against_them(clock):
    listing = booking_listing(price_amount=10_000, cancellation_policy="strict")
    start = next_weekday_at(0, 10, after=clock.now)
    order = book(listing, start)
    clock.now = start - timedelta(hours=1)  # strict would refund the buyer nothing
    order = services.order_cancel(order_id=order.pk, actor=listing.seller, note="Ill")
    assert order.cancelled_by == CancelledBy.SELLER
    assert refunded(order.buyer) == 10_500
    assert seller_cancellations_count(seller=listing.seller) == 1
    assert seller_cancellations_count(seller=order.buyer) == 0


def test_a_seller_declines_a_request_rather_than_cancelling_it():
    listing = booking_listing(instant_book=False)
    order = book(listing, next_weekday_at(0, 10))
    with pytest.raises(ValidationError, match="Decline"):
        services.order_cancel(order_id=order.pk, actor=listing.seller)
    services.order_cancel(order_id=order.pk, actor=order.buyer)  # the buyer may withdraw it
    assert refunded(order.buyer) == order.total


# --- Partial refunds, splits and disputes -------------------------------------------------------------------


def test_a_partial_refund_leaves_the_rest_to_release(django_capture_on_commit_callbacks):
    # given
    order = buy()
    # when the seller refunds 21.00 of the 105.00, then the order completes
    with django_capture_on_commit_callbacks(execute=True):
        services.order_refund(order_id=order.pk, seller=order.seller, amount=2100, idempotency_key="form-1")
        services.order_refund(order_id=order.pk, seller=order.seller, amount=2100, idempotency_key="form-1")
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    services.order_complete(order_id=order.pk, actor=order.buyer)
    # then: 84.00 released, 1/7 of it to the platform as for the whole order
    assert refunded(order.buyer) == 2100
    assert platform() == 1200
    assert payable(order.seller) == 7200
    assert Refund.objects.get(order=order).status == GatewayCallStatus.SUCCEEDED
    assert OrderEvent.objects.filter(order=order, from_state="paid", to_state="paid", amount=2100).count() == 1


def test_a_partial_refund_must_be_less_than_what_is_held():
    order = buy()
    for amount in (0, -5, order.total):
        with pytest.raises(ValidationError) as excinfo:
            services.order_refund(order_id=order.pk, seller=order.seller, amount=amount)
        assert list(excinfo.value.message_dict) == ["amount"]


def test_revenue_of_a_co_created_listing_is_split_among_its_creators():
    # given a listing whose two co-creators share 60/40
    seller, partner = MemberFactory(), MemberFactory()
    listing = item_listing(seller=seller, price_amount=10_001)

    def co_created(for_listing):
        return [(seller, 6000), (partner, 4000)] if for_listing.pk == listing.pk else None

    payee_resolver_register(co_created)
    try:
        order = buy(listing)
    finally:
        payee_resolver_unregister(co_created)
    # when
    services.order_fulfil(order_id=order.pk, actor=seller)
    services.order_complete(order_id=order.pk, actor=order.buyer)
    # then: the net 9 001 split exactly
    assert order.seller_net == 9001
    assert (payable(seller), payable(partner)) == (5401, 3600)
    assert ledger_totals() == {"GBP": 0}


def test_a_dispute_holds_the_money_until_a_moderator_resolves_it(clock):
    # given a delivered item the buyer disputes
    order = buy()
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    with pytest.raises(ValidationError) as no_note:
        services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note=" ")
    assert list(no_note.value.message_dict) == ["note"]
    services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="Arrived broken")
    # when the confirmation window passes, nothing is released
    clock.advance(timedelta(days=30))
    with pytest.raises(ValidationError):
        services.order_complete(order_id=order.pk)
    assert ledger.escrow_balance(order=order) == order.total
    # a member who is not a moderator cannot resolve it
    with pytest.raises(PermissionDenied):
        services.order_dispute_resolve(order_id=order.pk, moderator=order.buyer, refund_amount=order.total)
    # when a moderator refunds 60.00
    moderator = MemberFactory()
    RoleGrant.objects.create(member=moderator, role="moderator")
    order = services.order_dispute_resolve(order_id=order.pk, moderator=moderator, refund_amount=6000, note="Half")
    # then
    assert order.state == OrderState.RESOLVED
    assert refunded(order.buyer) == 6000
    assert payable(order.seller) + platform() == 4500
    assert ledger.escrow_balance(order=order) == 0


# --- Payouts ------------------------------------------------------------------------------------------------


def released_to(seller, price=10_000):
    order = buy(item_listing(seller=seller, price_amount=price))
    services.order_fulfil(order_id=order.pk, actor=seller)
    services.order_complete(order_id=order.pk, actor=order.buyer)
    return order


def test_a_payout_moves_the_available_balance_to_paid_out(django_capture_on_commit_callbacks):
    seller = MemberFactory()
    released_to(seller)
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = services.payout_create(seller=seller)
    payout.refresh_from_db()
    assert (payout.amount, payout.currency, payout.status) == (9000, "GBP", GatewayCallStatus.SUCCEEDED)
    assert payable(seller) == 0
    assert [(b.currency, b.available, b.paid_out) for b in seller_balances(seller=seller)] == [("GBP", 0, 9000)]
    with pytest.raises(ValidationError):
        services.payout_create(seller=seller)  # nothing left


def test_no_payout_below_the_minimum(settings):
    settings.PAYOUT_MINIMUM = 1000
    seller = MemberFactory()
    released_to(seller, price=1000)  # 9.00 net
    with pytest.raises(ValidationError, match="GBP 10.00"):
        services.payout_create(seller=seller)
    assert payable(seller) == 900
    released_to(seller, price=1000)
    assert services.payout_create(seller=seller)[0].amount == 1800


def test_the_weekly_run_pays_every_seller_above_the_minimum_once(settings, django_capture_on_commit_callbacks):
    settings.PAYOUT_MINIMUM = 1000
    rich, poor, nothing = MemberFactory(), MemberFactory(), MemberFactory()
    released_to(rich)  # 90.00 net
    released_to(poor, price=1000)  # 9.00 net: below the minimum, waits for next week
    with django_capture_on_commit_callbacks(execute=True):
        payouts = tasks.payouts_scheduled()
    assert payouts == 1
    assert [(p.seller, p.amount, p.status) for p in Payout.objects.all()] == [(rich, 9000, GatewayCallStatus.SUCCEEDED)]
    assert (payable(rich), payable(poor), payable(nothing)) == (0, 900, 0)
    assert tasks.payouts_scheduled() == 0  # run again in the same week: nothing is paid twice
    released_to(poor, price=1000)
    assert tasks.payouts_scheduled() == 1
    assert payable(poor) == 0
    assert ledger_check.ledger_problems() == []


def test_a_failed_payout_returns_the_money_to_the_sellers_balance(monkeypatch, django_capture_on_commit_callbacks):
    seller = MemberFactory()
    released_to(seller)

    def bank_refuses(self, *, seller, amount, currency, idempotency_key):
        return PayoutResult(PaymentStatus.FAILED, "po_x", amount, currency, "Account closed")

    monkeypatch.setattr(OfflineGateway, "payout", bank_refuses)
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = services.payout_create(seller=seller)
    payout = Payout.objects.get(pk=payout.pk)
    assert (payout.status, payout.message) == (GatewayCallStatus.FAILED, "Account closed")
    assert payable(seller) == 9000
    assert ledger_totals() == {"GBP": 0}
