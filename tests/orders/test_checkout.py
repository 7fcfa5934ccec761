from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from community.models import Profile
from listings.models import Listing
from orders import ledger, services
from orders.models import OrderEvent, OrderState
from orders.selectors import order_money
from tests.orders.factories import MemberFactory, booking_listing, item_listing, next_weekday_at

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
THREE_D_SECURE = "pm_card_authenticationRequired"


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- Items ----------------------------------------------------------------------------------------------


def test_buying_an_item_takes_stock_and_holds_the_payment_in_escrow(django_capture_on_commit_callbacks):
    # given
    listing = item_listing(price_amount=2400, quantity=3)
    buyer = MemberFactory()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_create(buyer=buyer, listing_id=listing.pk, quantity=2, payment_method=VISA)
    # then
    listing.refresh_from_db()
    assert order.state == OrderState.PAID
    assert listing.quantity == 1
    assert (order.subtotal, order.buyer_fee, order.total, order.commission, order.seller_net) == (
        4800,
        240,
        5040,
        480,
        4320,
    )
    assert ledger.escrow_balance(order=order) == 5040
    assert order.paid_at is not None and order.charge_reference
    assert [(e.from_state, e.to_state) for e in order.events.all()] == [
        ("", "pending_payment"),
        ("pending_payment", "paid"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([buyer.email, listing.seller.email])


def test_a_declined_card_gives_a_clear_error_and_the_stock_back():
    listing = item_listing(quantity=1)
    buyer = MemberFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.order_create(buyer=buyer, listing_id=listing.pk, payment_method=DECLINED)
    assert errors_of(excinfo) == {"payment_method": ["Your card was declined."]}
    listing.refresh_from_db()
    assert listing.quantity == 1
    order = buyer.orders_bought.get()
    assert order.state == OrderState.CANCELLED
    assert order_money(order=order).paid == 0


def test_a_card_needing_authentication_holds_the_stock_until_confirmed():
    # given
    listing = item_listing(quantity=1)
    buyer = MemberFactory()
    # when
    order = services.order_create(buyer=buyer, listing_id=listing.pk, payment_method=THREE_D_SECURE)
    # then
    assert order.state == OrderState.PENDING_PAYMENT
    assert order.payment_client_secret
    assert Listing.objects.get(pk=listing.pk).quantity == 0
    assert ledger.escrow_balance(order=order) == 0
    # when the buyer has authenticated
    order = services.order_payment_confirm(order_id=order.pk, buyer=buyer)
    # then
    assert order.state == OrderState.PAID
    assert ledger.escrow_balance(order=order) == order.total


def test_confirming_twice_pays_once():
    order = services.order_create(buyer=MemberFactory(), listing_id=item_listing().pk, payment_method=THREE_D_SECURE)
    services.order_payment_confirm(order_id=order.pk, buyer=order.buyer)
    with pytest.raises(ValidationError):
        services.order_payment_confirm(order_id=order.pk, buyer=order.buyer)
    assert ledger.escrow_balance(order=order) == order.total


def test_buyers_cannot_buy_their_own_listing():
    listing = item_listing()
    with pytest.raises(ValidationError) as excinfo:
        services.order_create(buyer=listing.seller, listing_id=listing.pk, payment_method=VISA)
    assert errors_of(excinfo) == {"listing": ["You cannot buy your own listing."]}


@pytest.mark.parametrize("status", ["draft", "paused", "archived"])
def test_listings_that_are_not_live_cannot_be_bought(status):
    listing = item_listing(status=status)
    with pytest.raises(ValidationError) as excinfo:
        services.order_create(buyer=MemberFactory(), listing_id=listing.pk, payment_method=VISA)
    assert list(errors_of(excinfo)) == ["listing"]
    assert Listing.objects.get(pk=listing.pk).quantity == listing.quantity


def test_buying_more_than_is_left_is_refused():
    listing = item_listing(quantity=2)
    with pytest.raises(ValidationError) as excinfo:
        services.order_create(buyer=MemberFactory(), listing_id=listing.pk, quantity=3, payment_method=VISA)
    assert errors_of(excinfo) == {"quantity": ["Only 2 left."]}
    services.order_create(buyer=MemberFactory(), listing_id=listing.pk, quantity=2, payment_method=VISA)
    with pytest.raises(ValidationError) as sold_out:
        services.order_create(buyer=MemberFactory(), listing_id=listing.pk, payment_method=VISA)
    assert errors_of(sold_out) == {"quantity": ["Sorry, this is sold out."]}


def test_an_item_is_not_booked_for_dates():
    start = next_weekday_at(0, 10)
    with pytest.raises(ValidationError) as excinfo:
        services.order_create(
            buyer=MemberFactory(),
            listing_id=item_listing().pk,
            start=start,
            end=start + timedelta(hours=1),
            payment_method=VISA,
        )
    assert list(errors_of(excinfo)) == ["start"]


def test_a_payment_method_is_required():
    with pytest.raises(ValidationError) as excinfo:
        services.order_create(buyer=MemberFactory(), listing_id=item_listing().pk, payment_method="")
    assert list(errors_of(excinfo)) == ["payment_method"]


# --- Bookings -------------------------------------------------------------------------------------------


def book(listing, start, end, *, buyer=None, quantity=None, card=VISA):
    return services.order_create(
        buyer=buyer or MemberFactory(),
        listing_id=listing.pk,
        start=start,
        end=end,
        quantity=quantity,
        payment_method=card,
    )


def test_an_instant_booking_inside_the_weekly_hours_is_paid_at_once():
    listing = booking_listing(price_amount=3000, weekdays=[0])
    start = next_weekday_at(0, 10)
    order = book(listing, start, start + timedelta(hours=2))
    assert order.state == OrderState.PAID
    assert (order.starts_at, order.ends_at, order.units, order.subtotal) == (start, start + timedelta(hours=2), 2, 6000)
    assert order.cancellation_policy == listing.cancellation_policy


@pytest.mark.parametrize(
    ("weekday", "hour", "hours"),
    [(1, 10, 1), (0, 8, 2), (0, 16, 2)],
    ids=["closed-day", "before-opening", "past-closing"],
)
def test_bookings_outside_the_weekly_hours_are_refused(weekday, hour, hours):
    listing = booking_listing(weekdays=[0], opens=time(9), closes=time(17))
    start = next_weekday_at(weekday, hour)
    with pytest.raises(ValidationError) as excinfo:
        book(listing, start, start + timedelta(hours=hours))
    assert list(errors_of(excinfo)) == ["start"]


def test_weekly_hours_are_the_sellers_local_time():
    listing = booking_listing(weekdays=[0], opens=time(9), closes=time(17))
    Profile.objects.filter(member=listing.seller).update(timezone="America/New_York")
    listing = Listing.objects.select_related("seller__profile").get(pk=listing.pk)
    monday = next_weekday_at(0, 0)
    with pytest.raises(ValidationError):
        book(listing, monday.replace(hour=10), monday.replace(hour=11))  # 06:00 in New York
    assert book(listing, monday.replace(hour=15), monday.replace(hour=16)).state == OrderState.PAID  # 11:00 there


def test_blocked_dates_cannot_be_booked():
    start = next_weekday_at(2, 10)
    listing = booking_listing(blocked=[start.date()])
    with pytest.raises(ValidationError) as excinfo:
        book(listing, start, start + timedelta(hours=1))
    assert list(errors_of(excinfo)) == ["start"]
    later = start + timedelta(days=7)
    assert book(listing, later, later + timedelta(hours=1)).state == OrderState.PAID


def test_lead_time_and_booking_horizon_are_respected(clock):
    listing = booking_listing(lead_time_hours=48, max_advance_days=30, opens=time(0), closes=time(23, 59))
    too_soon = clock.now + timedelta(hours=47)
    too_far = clock.now + timedelta(days=31)
    with pytest.raises(ValidationError, match="48 hours ahead"):
        book(listing, too_soon, too_soon + timedelta(minutes=30))
    with pytest.raises(ValidationError, match="30 days ahead"):
        book(listing, too_far, too_far + timedelta(minutes=30))
    fine = (clock.now + timedelta(days=3)).replace(hour=10, minute=0)
    assert book(listing, fine, fine + timedelta(hours=1)).state == OrderState.PAID


def test_a_slot_cannot_be_booked_twice():
    listing = booking_listing()
    start = next_weekday_at(0, 10)
    book(listing, start, start + timedelta(hours=2))
    with pytest.raises(ValidationError) as excinfo:
        book(listing, start + timedelta(hours=1), start + timedelta(hours=3))
    assert errors_of(excinfo) == {"start": ["These times are already booked. Choose other times."]}
    assert book(listing, start + timedelta(hours=2), start + timedelta(hours=3)).state == OrderState.PAID  # touching


def test_a_cancelled_booking_frees_its_slot():
    listing = booking_listing()
    start = next_weekday_at(0, 10)
    first = book(listing, start, start + timedelta(hours=2))
    services.order_cancel(order_id=first.pk, actor=first.seller)
    assert book(listing, start, start + timedelta(hours=2)).state == OrderState.PAID


def test_a_listing_with_capacity_takes_that_many_places():
    listing = booking_listing(capacity=3)
    start = next_weekday_at(0, 10)
    book(listing, start, start + timedelta(hours=1), quantity=2)
    with pytest.raises(ValidationError):
        book(listing, start, start + timedelta(hours=1), quantity=2)
    assert book(listing, start, start + timedelta(hours=1), quantity=1).state == OrderState.PAID
    with pytest.raises(ValidationError):
        book(listing, start, start + timedelta(hours=1))
    with pytest.raises(ValidationError, match="At most 3 places"):
        book(listing, start + timedelta(days=7), start + timedelta(days=7, hours=1), quantity=4)


def test_a_nightly_rental_needs_every_night_available():
    friday = next_weekday_at(4, 15)
    listing = booking_listing(
        price_unit="night", price_amount=8000, opens=time(0), closes=time(23, 59), weekdays=[4, 5, 6]
    )
    stay = book(listing, friday, friday + timedelta(days=2, hours=-4))  # Friday and Saturday nights, out on Sunday
    assert (stay.units, stay.subtotal) == (2, 16_000)
    later = friday + timedelta(days=7)
    with pytest.raises(ValidationError, match="not available on"):
        book(listing, later, later + timedelta(days=4, hours=-4))  # a Monday night too


def test_a_request_to_book_is_charged_and_waits_for_the_seller(clock):
    listing = booking_listing(instant_book=False)
    start = next_weekday_at(0, 10, after=clock.now)
    order = book(listing, start, start + timedelta(hours=1))
    assert order.state == OrderState.REQUESTED
    assert order.respond_by == clock.now + timedelta(hours=24)
    assert ledger.escrow_balance(order=order) == order.total
    assert OrderEvent.objects.filter(order=order, to_state="requested").count() == 1


def test_a_booking_needs_its_times():
    with pytest.raises(ValidationError) as excinfo:
        book(booking_listing(), None, None)
    assert list(errors_of(excinfo)) == ["start"]
    start = next_weekday_at(0, 12)
    with pytest.raises(ValidationError) as backwards:
        book(booking_listing(), start, start - timedelta(hours=1))
    assert list(errors_of(backwards)) == ["end"]


def test_dates_are_compared_as_dates():
    # A date exception is per local day: blocking Tuesday leaves Monday bookable.
    monday = next_weekday_at(0, 10)
    listing = booking_listing(blocked=[date.fromordinal(monday.date().toordinal() + 1)])
    assert book(listing, monday, monday + timedelta(hours=1)).state == OrderState.PAID
