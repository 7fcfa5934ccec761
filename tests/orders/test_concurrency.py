"""Races on PostgreSQL: real threads, real transactions (each thread has its own connection)."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from listings.models import Listing
from orders import ledger, services
from orders.models import RELEASED_HOLD_STATES, LedgerTransaction, Order, OrderState, Payout
from tests.markers import postgresql_only
from tests.orders.factories import MemberFactory, booking_listing, item_listing, next_weekday_at, order_row

pytestmark = postgresql_only("row locks and the exclusion constraint under real concurrency")
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def race(calls: list[Callable[[], object]]) -> tuple[list[object], list[Exception]]:
    """Runs the calls in threads released together; returns what they returned and what they raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait(timeout=30)
            outcome = call()
            with lock:
                results.append(outcome)
        except Exception as error:  # noqa: BLE001 - collected for the assertions
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


@transactional
def test_twenty_buyers_racing_for_a_stock_of_five_get_exactly_five_orders():
    # given five left and twenty buyers
    listing = item_listing(quantity=5)
    buyers = [MemberFactory() for _ in range(20)]
    # when they all buy at once
    orders, errors = race(
        [
            lambda b=buyer: services.order_create(buyer=b, listing_id=listing.pk, payment_method="pm_card_visa")
            for buyer in buyers
        ]
    )
    # then exactly five succeed and the rest are told it is sold out
    assert len(orders) == 5
    assert len(errors) == 15
    assert all(isinstance(e, ValidationError) and "quantity" in e.message_dict for e in errors), errors
    assert Listing.objects.get(pk=listing.pk).quantity == 0
    assert Order.objects.filter(listing=listing).count() == 5
    assert Order.objects.filter(listing=listing, state=OrderState.PAID).count() == 5
    assert sum(ledger.escrow_balance(order=order) for order in orders) == 5 * orders[0].total


@transactional
def test_twenty_buyers_booking_the_same_slot_at_once_leave_exactly_one_booking():
    # given one free slot and twenty buyers
    listing = booking_listing()
    start = next_weekday_at(2, 10)
    buyers = [MemberFactory() for _ in range(20)]
    # when they all book it at once
    orders, errors = race(
        [
            lambda b=buyer: services.order_create(
                buyer=b,
                listing_id=listing.pk,
                start=start,
                end=start + timedelta(hours=2),
                payment_method="pm_card_visa",
            )
            for buyer in buyers
        ]
    )
    # then one holds it, and the other nineteen are told the times are taken
    assert len(orders) == 1, errors
    assert len(errors) == 19
    assert all(isinstance(e, ValidationError) for e in errors), errors
    assert {message for e in errors for message in e.message_dict["start"]} == {
        "These times are already booked. Choose other times."
    }
    holding = Order.objects.filter(listing=listing).exclude(state__in=RELEASED_HOLD_STATES)
    assert list(holding.values_list("pk", "state")) == [(orders[0].pk, OrderState.PAID)]


@transactional
def test_two_buyers_booking_overlapping_times_at_once_only_one_succeeds():
    listing = booking_listing()
    for week in range(3):
        start = next_weekday_at(0, 10) + timedelta(days=7 * week)
        orders, errors = race(
            [
                lambda s=start: services.order_create(
                    buyer=MemberFactory(),
                    listing_id=listing.pk,
                    start=s,
                    end=s + timedelta(hours=2),
                    payment_method="pm_card_visa",
                ),
                lambda s=start: services.order_create(
                    buyer=MemberFactory(),
                    listing_id=listing.pk,
                    start=s + timedelta(hours=1),
                    end=s + timedelta(hours=3),
                    payment_method="pm_card_visa",
                ),
            ]
        )
        assert len(orders) == 1, errors
        assert len(errors) == 1 and isinstance(errors[0], ValidationError)
        assert "start" in errors[0].message_dict
    assert Order.objects.filter(listing=listing, state=OrderState.PAID).count() == 3


OVERLAPPING_PAIRS_SQL = """
    SELECT count(*) FROM orders_order a
    JOIN orders_order b ON b.listing_id = a.listing_id AND a.id < b.id
     AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
    WHERE a.kind = 'booking' AND b.kind = 'booking' AND a.listing_id = ANY(%s)
      AND NOT (a.state = ANY(%s)) AND NOT (b.state = ANY(%s))
"""


def overlapping_pairs(listing_ids: list[int]) -> int:
    """Pairs of orders on one listing that both hold their slot and whose times overlap (end exclusive)."""
    released = sorted(RELEASED_HOLD_STATES)
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPPING_PAIRS_SQL, [listing_ids, released, released])
        return cursor.fetchone()[0]


@transactional
def test_sixteen_threads_making_random_bookings_leave_no_overlapping_pair():
    # given three listings open 09:00-17:00 every day, and sixteen buyers
    listings = [booking_listing() for _ in range(3)]
    buyers = [MemberFactory() for _ in range(16)]
    first_day = next_weekday_at(0, 9)
    counts = {"booked": 0, "refused": 0}
    lock = threading.Lock()

    def two_hundred_random_bookings(buyer, seed):
        rng = random.Random(seed)
        booked = refused = 0
        for _ in range(200):
            start = first_day + timedelta(days=rng.randrange(10), hours=rng.randrange(8))
            end = min(start + timedelta(hours=rng.randint(1, 3)), start.replace(hour=17))
            try:
                services.order_create(
                    buyer=buyer, listing_id=rng.choice(listings).pk, start=start, end=end
                )  # reserved in pending_payment: the slot is held from here
                booked += 1
            except ValidationError as error:
                assert error.message_dict == {"start": ["These times are already booked. Choose other times."]}
                refused += 1
        with lock:
            counts["booked"] += booked
            counts["refused"] += refused

    # when each makes 200 random bookings at once
    _results, errors = race([lambda b=buyer, i=i: two_hundred_random_bookings(b, i) for i, buyer in enumerate(buyers)])
    # then every attempt was either booked or refused, and no two held bookings overlap
    assert not errors, errors
    assert counts["booked"] + counts["refused"] == 16 * 200
    assert counts["booked"] == Order.objects.filter(listing__in=listings).count()
    assert counts["booked"] > 50 and counts["refused"] > 50  # the random times did collide
    assert overlapping_pairs([listing.pk for listing in listings]) == 0


@transactional
def test_the_same_posting_from_two_threads_moves_the_money_once():
    order = order_row()
    posted, errors = race(
        [lambda: ledger.escrow_fund(order=order, amount=500, idempotency_key="same-charge") for _ in range(4)]
    )
    assert not errors
    assert len({transaction.pk for transaction in posted}) == 1
    assert ledger.escrow_balance(order=order) == 500
    assert LedgerTransaction.objects.count() == 1


@transactional
def test_two_payout_requests_at_once_pay_the_balance_once():
    # given a seller owed 90.00
    seller = MemberFactory()
    order = services.order_create(
        buyer=MemberFactory(),
        listing_id=item_listing(seller=seller, price_amount=10_000).pk,
        payment_method="pm_card_visa",
    )
    services.order_fulfil(order_id=order.pk, actor=seller)
    services.order_complete(order_id=order.pk, actor=order.buyer)
    # when
    payouts, errors = race([lambda: services.payout_create(seller=seller) for _ in range(3)])
    # then
    assert [len(p) for p in payouts] == [1]
    assert len(errors) == 2 and all(isinstance(e, ValidationError) for e in errors)
    assert list(Payout.objects.filter(seller=seller).values_list("amount", "status")) == [(9000, "succeeded")]


# --- The database itself refuses double bookings ------------------------------------------------------------


def raw_booking(listing, start, end, *, state=OrderState.PAID, exclusive=True) -> Order:
    """An order inserted straight into the table, bypassing every check of the services."""
    return Order.objects.create(
        buyer=MemberFactory(),
        seller=listing.seller,
        listing=listing,
        kind="booking",
        state=state,
        starts_at=start,
        ends_at=end,
        exclusive_slot=exclusive,
        currency="GBP",
        unit_price=1000,
        subtotal=1000,
        buyer_fee=50,
        total=1050,
        commission=100,
        seller_net=900,
        seller_commission_bps=1000,
        buyer_fee_bps=500,
        cancellation_policy="moderate",
        gateway="offline",
        transfer_group=f"order-{uuid.uuid4().hex}",
    )


@pytest.mark.django_db
def test_an_overlapping_insert_that_bypasses_the_services_is_refused_by_postgresql():
    listing = booking_listing()
    start = next_weekday_at(0, 10)
    services.order_create(
        buyer=MemberFactory(),
        listing_id=listing.pk,
        start=start,
        end=start + timedelta(hours=2),
        payment_method="pm_card_visa",
    )
    with pytest.raises(IntegrityError, match="order_booking_no_overlap"), transaction.atomic():
        raw_booking(listing, start + timedelta(hours=1), start + timedelta(hours=3))
    # back to back is fine, and so is an overlap with a cancelled order or on another listing
    raw_booking(listing, start + timedelta(hours=2), start + timedelta(hours=3))
    raw_booking(listing, start - timedelta(hours=1), start + timedelta(hours=1), state=OrderState.CANCELLED)
    raw_booking(booking_listing(), start, start + timedelta(hours=2))


@pytest.mark.django_db
def test_the_constraint_leaves_listings_with_capacity_to_the_services():
    listing = booking_listing(capacity=2)
    start = next_weekday_at(0, 10)
    raw_booking(listing, start, start + timedelta(hours=1), exclusive=False)
    raw_booking(listing, start, start + timedelta(hours=1), exclusive=False)  # places are counted under a lock
    assert overlapping_pairs([listing.pk]) == 1  # the count the random-bookings race expects to be zero
    with pytest.raises(ValidationError):
        services.order_create(
            buyer=MemberFactory(),
            listing_id=listing.pk,
            start=start,
            end=start + timedelta(hours=1),
            payment_method="pm_card_visa",
        )
