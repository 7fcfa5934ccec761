"""The timeouts: each task moves each due order once, however often it runs."""

from datetime import timedelta

import pytest
from django.core import mail

from listings.models import Listing
from orders import ledger, services, tasks
from orders.models import OrderReminder, OrderState, Refund
from tests.orders.factories import MemberFactory, booking_listing, item_listing, next_weekday_at

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"


def state_of(order) -> str:
    order.refresh_from_db()
    return order.state


def book(listing, start, **kwargs):
    return services.order_create(
        buyer=MemberFactory(), listing_id=listing.pk, start=start, end=start + timedelta(hours=1), **kwargs
    )


def test_unanswered_requests_expire_after_24_hours_and_refund_the_buyer(clock, django_capture_on_commit_callbacks):
    # given
    order = book(booking_listing(instant_book=False), next_weekday_at(2, 10, after=clock.now), payment_method=VISA)
    # when the deadline has not passed
    clock.advance(timedelta(hours=23, minutes=59))
    assert tasks.requests_expire() == 0
    # when it has
    clock.advance(timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.requests_expire()
    second = tasks.requests_expire()
    # then
    assert (first, second) == (1, 0)
    assert state_of(order) == OrderState.EXPIRED
    assert ledger.escrow_balance(order=order) == 0
    assert list(Refund.objects.filter(order=order).values_list("amount", flat=True)) == [order.total]
    assert order.events.filter(to_state="expired").count() == 1


def test_an_item_completes_and_releases_14_days_after_delivery(clock):
    order = services.order_create(buyer=MemberFactory(), listing_id=item_listing().pk, payment_method=VISA)
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    clock.advance(timedelta(days=14) - timedelta(seconds=1))
    assert tasks.orders_complete() == 0
    clock.advance(timedelta(seconds=1))
    assert (tasks.orders_complete(), tasks.orders_complete()) == (1, 0)
    assert state_of(order) == OrderState.RELEASED
    assert ledger.escrow_balance(order=order) == 0
    assert order.events.filter(to_state="released").count() == 1


def test_a_booking_is_fulfilled_when_it_ends_and_completes_a_day_later(clock):
    start = next_weekday_at(0, 10, after=clock.now)
    order = book(booking_listing(), start, payment_method=VISA)
    clock.now = start + timedelta(minutes=59)
    assert tasks.bookings_fulfil() == 0
    clock.now = start + timedelta(hours=1)
    assert (tasks.bookings_fulfil(), tasks.bookings_fulfil()) == (1, 0)
    assert state_of(order) == OrderState.FULFILLED
    clock.advance(timedelta(hours=23, minutes=59))
    assert tasks.orders_complete() == 0
    clock.advance(timedelta(minutes=1))
    assert (tasks.orders_complete(), tasks.orders_complete()) == (1, 0)
    assert state_of(order) == OrderState.RELEASED


def test_a_disputed_order_is_not_completed_by_the_timeout(clock):
    order = services.order_create(buyer=MemberFactory(), listing_id=item_listing().pk, payment_method=VISA)
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="Not as described")
    clock.advance(timedelta(days=20))
    assert tasks.orders_complete() == 0
    assert state_of(order) == OrderState.DISPUTED
    assert ledger.escrow_balance(order=order) == order.total


def test_an_abandoned_authentication_gives_the_stock_back_after_an_hour(clock):
    listing = item_listing(quantity=1)
    order = services.order_create(
        buyer=MemberFactory(), listing_id=listing.pk, payment_method="pm_card_authenticationRequired"
    )
    clock.advance(timedelta(minutes=59))
    assert tasks.payments_abandon() == 0
    clock.advance(timedelta(minutes=1))
    assert (tasks.payments_abandon(), tasks.payments_abandon()) == (1, 0)
    assert state_of(order) == OrderState.CANCELLED
    assert Listing.objects.get(pk=listing.pk).quantity == 1


def test_reminders_go_out_once_before_each_timeout(clock, django_capture_on_commit_callbacks):
    # given a request, a delivered item and an ended booking
    request = book(booking_listing(instant_book=False), next_weekday_at(2, 10, after=clock.now), payment_method=VISA)
    item = services.order_create(buyer=MemberFactory(), listing_id=item_listing().pk, payment_method=VISA)
    services.order_fulfil(order_id=item.pk, actor=item.seller)
    start = next_weekday_at(3, 10, after=clock.now)
    booking = book(booking_listing(), start, payment_method=VISA)
    # when 20 hours pass: the request's seller is reminded 4 hours before it expires
    clock.advance(timedelta(hours=20))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reminders_send() == 1
        assert tasks.reminders_send() == 0
    assert [m.to for m in mail.outbox] == [[request.seller.email]]
    assert "answer" in mail.outbox[0].subject
    # when 12 days have passed since delivery and the booking ended 12 hours ago
    clock.now = max(item.events.get(to_state="fulfilled").created_at + timedelta(days=12), start)
    tasks.bookings_fulfil()
    clock.now = max(clock.now, start + timedelta(hours=13))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = tasks.reminders_send()
        assert tasks.reminders_send() == 0
    # then each buyer is reminded once
    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([item.buyer.email, booking.buyer.email])
    assert OrderReminder.objects.count() == 3


def test_a_payment_authenticated_after_the_order_was_abandoned_is_refunded(clock, django_capture_on_commit_callbacks):
    # given an order abandoned while waiting for 3-D Secure
    from orders.gateways import gateway_get

    order = services.order_create(
        buyer=MemberFactory(), listing_id=item_listing().pk, payment_method="pm_card_authenticationRequired"
    )
    clock.advance(timedelta(hours=2))
    tasks.payments_abandon()
    # when the buyer authenticates anyway and the gateway reports it (twice, as webhooks do)
    result = gateway_get().charge_confirm(reference=order.charge_reference, idempotency_key="late")
    with django_capture_on_commit_callbacks(execute=True):
        services.order_payment_record(order_id=order.pk, result=result)
    services.order_payment_record(order_id=order.pk, result=result)
    # then the money is taken in and sent straight back
    assert state_of(order) == OrderState.CANCELLED
    assert ledger.escrow_balance(order=order) == 0
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.status) == (order.total, "succeeded")


def test_the_beat_schedule_names_real_tasks():
    from django.conf import settings

    from hub.celery import app

    names = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"].startswith("orders.")]
    assert set(names) >= {
        "orders.requests_expire",
        "orders.payments_abandon",
        "orders.bookings_fulfil",
        "orders.orders_complete",
        "orders.reminders_send",
    }
    app.loader.import_default_modules()
    assert set(names) <= set(app.tasks)
