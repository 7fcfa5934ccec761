"""Reviews: two-way, once per side, hidden until both are in or the window closes, replied to once, hidden by
moderators with a reason; the seller's and the listing's ratings follow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from community.models import Profile, RoleGrant
from listings.models import Listing
from orders import reviews, selectors, services
from orders.models import Review
from tests.orders.factories import MemberFactory, item_listing

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"


def completed(listing=None, buyer=None):
    listing = listing or item_listing(price_amount=5000, quantity=10)
    order = services.order_create(buyer=buyer or MemberFactory(), listing_id=listing.pk, payment_method=VISA)
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    return services.order_complete(order_id=order.pk, actor=order.buyer)


def moderator():
    member = MemberFactory()
    RoleGrant.objects.create(member=member, role="moderator")
    return member


def rating_of(member) -> tuple[Decimal | None, int]:
    profile = Profile.objects.get(member=member)
    return profile.rating_average, profile.rating_count


def listing_rating(listing) -> tuple[Decimal | None, int]:
    listing = Listing.objects.get(pk=listing.pk)
    return listing.rating_average, listing.rating_count


# --- Who may review, and when ------------------------------------------------------------------------------


def test_only_a_completed_order_can_be_reviewed():
    order = services.order_create(buyer=MemberFactory(), listing_id=item_listing().pk, payment_method=VISA)
    with pytest.raises(ValidationError) as excinfo:
        reviews.review_create(order_id=order.pk, author=order.buyer, rating=5)
    assert excinfo.value.message_dict == {"state": ["You can review an order once it is complete."]}


def test_each_side_reviews_once():
    order = completed()
    reviews.review_create(order_id=order.pk, author=order.buyer, rating=5, text="Lovely")
    with pytest.raises(ValidationError, match="already reviewed"):
        reviews.review_create(order_id=order.pk, author=order.buyer, rating=1)
    assert Review.objects.filter(order=order).count() == 1


def test_strangers_cannot_review():
    order = completed()
    with pytest.raises(Http404):
        reviews.review_create(order_id=order.pk, author=MemberFactory(), rating=5)


def test_the_window_closes_after_14_days(clock):
    order = completed()
    clock.advance(timedelta(days=14, seconds=1))
    with pytest.raises(ValidationError, match="time to review this order has passed"):
        reviews.review_create(order_id=order.pk, author=order.seller, rating=4)


@pytest.mark.parametrize("rating", [0, 6, 4.5, True, None, "five"])
def test_a_rating_is_a_whole_number_of_stars(rating):
    order = completed()
    with pytest.raises(ValidationError) as excinfo:
        reviews.review_create(order_id=order.pk, author=order.buyer, rating=rating)
    assert list(excinfo.value.message_dict) == ["rating"]


# --- Hidden until both are in --------------------------------------------------------------------------------


def test_a_review_stays_hidden_until_the_other_side_writes_theirs(clock):
    # given the buyer reviews first
    order = completed()
    first = reviews.review_create(order_id=order.pk, author=order.buyer, rating=4, text="Good mug")
    # then the seller cannot read it, nobody else can, and the ratings do not count it
    assert selectors.order_reviews(order=order, member=order.seller).theirs is None
    assert selectors.order_reviews(order=order, member=order.seller).theirs_written is True
    assert selectors.order_reviews(order=order, member=order.buyer).mine == first
    assert selectors.reviews_for_listing(order.listing) == []
    assert rating_of(order.seller) == (None, 0)
    # when the seller writes theirs
    clock.advance(timedelta(days=1))
    second = reviews.review_create(order_id=order.pk, author=order.seller, rating=5, text="Prompt payer")
    # then both are visible at once, and the seller's and the listing's ratings count the buyer's
    assert selectors.order_reviews(order=order, member=order.seller).theirs == first
    assert selectors.order_reviews(order=order, member=order.buyer).theirs == second
    assert selectors.reviews_for_listing(order.listing) == [first]
    assert selectors.reviews_for_member(order.buyer) == [second]
    assert rating_of(order.seller) == (Decimal("4.00"), 1)
    assert listing_rating(order.listing) == (Decimal("4.00"), 1)
    assert rating_of(order.buyer) == (None, 0)  # the profile's rating is the member's as a seller


def test_a_lone_review_appears_when_the_window_closes(clock):
    order = completed()
    review = reviews.review_create(order_id=order.pk, author=order.buyer, rating=3)
    clock.advance(timedelta(days=13))
    assert reviews.reviews_publish_due() == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert selectors.reviews_for_listing(order.listing) == [review]  # readable from the deadline on
    assert reviews.reviews_publish_due() == 1  # and counted by the beat task
    assert rating_of(order.seller) == (Decimal("3.00"), 1)
    assert reviews.reviews_publish_due() == 0


def test_averages_cover_every_visible_review_of_the_seller():
    seller = MemberFactory()
    listing = item_listing(seller=seller, quantity=10)
    for rating in (5, 4, 4):
        order = completed(listing)
        reviews.review_create(order_id=order.pk, author=order.buyer, rating=rating)
        reviews.review_create(order_id=order.pk, author=seller, rating=5)
    assert rating_of(seller) == (Decimal("4.33"), 3)
    assert listing_rating(listing) == (Decimal("4.33"), 3)


# --- Replies ---------------------------------------------------------------------------------------------------


def test_the_reviewed_member_replies_once():
    order = completed()
    review = reviews.review_create(order_id=order.pk, author=order.buyer, rating=2, text="Late")
    with pytest.raises(ValidationError, match="once the review is published"):
        reviews.review_reply(review_id=review.pk, member=order.seller, text="Sorry")
    reviews.review_create(order_id=order.pk, author=order.seller, rating=5)
    with pytest.raises(PermissionDenied):
        reviews.review_reply(review_id=review.pk, member=order.buyer, text="Me again")
    with pytest.raises(Http404):
        reviews.review_reply(review_id=review.pk, member=MemberFactory(), text="Hi")
    reviews.review_reply(review_id=review.pk, member=order.seller, text="The post office lost it for a week.")
    with pytest.raises(ValidationError, match="already replied"):
        reviews.review_reply(review_id=review.pk, member=order.seller, text="Edit")
    review.refresh_from_db()
    assert review.reply == "The post office lost it for a week."


def test_reviews_are_never_edited_or_deleted_from_the_site():
    order = completed()
    client = Client()
    client.force_login(order.buyer)
    url = reverse("orders:review", kwargs={"reference": order.reference})
    client.post(url, {"rating": "5", "text": "First"})
    client.post(url, {"rating": "1", "text": "Changed my mind"})
    review = Review.objects.get(order=order)
    assert (review.rating, review.text) == (5, "First")


# --- Moderation ------------------------------------------------------------------------------------------------


def test_a_moderator_hides_an_abusive_review_and_the_reason_shows():
    # given two visible reviews of the seller
    seller = MemberFactory()
    listing = item_listing(seller=seller, quantity=10)
    kept, abusive = completed(listing), completed(listing)
    reviews.review_create(order_id=kept.pk, author=kept.buyer, rating=5)
    reviews.review_create(order_id=kept.pk, author=seller, rating=5)
    bad = reviews.review_create(order_id=abusive.pk, author=abusive.buyer, rating=1, text="Insults")
    reviews.review_create(order_id=abusive.pk, author=seller, rating=5)
    assert rating_of(seller) == (Decimal("3.00"), 2)
    # a member cannot hide it, nor can a moderator without a reason
    with pytest.raises(PermissionDenied):
        reviews.review_hide(review_id=bad.pk, moderator=seller, reason="I dislike it")
    with pytest.raises(ValidationError):
        reviews.review_hide(review_id=bad.pk, moderator=moderator(), reason=" ")
    # when a moderator hides it
    reviews.review_hide(review_id=bad.pk, moderator=moderator(), reason="Personal insults")
    # then the ratings no longer count it, and the partial shows the reason instead of the text
    assert rating_of(seller) == (Decimal("5.00"), 1)
    assert listing_rating(listing) == (Decimal("5.00"), 1)
    html = render_to_string("orders/_reviews.html", {"reviews": selectors.reviews_for_listing(listing)})
    assert "A moderator hid this review: Personal insults" in html
    assert "Insults" not in html.replace("Personal insults", "")
    with pytest.raises(ValidationError, match="already hidden"):
        reviews.review_hide(review_id=bad.pk, moderator=moderator(), reason="Again")


def test_moderators_hide_reviews_in_the_admin(admin_client):
    order = completed()
    review = reviews.review_create(order_id=order.pk, author=order.buyer, rating=1, text="Rude words")
    page = admin_client.get(reverse("admin:orders_review_change", args=[review.pk]))
    assert page.status_code == 200
    url = reverse("admin:orders_review_hide", args=[review.pk])
    assert admin_client.post(url, {"reason": ""}).status_code == 200  # the form asks for a reason
    response = admin_client.post(url, {"reason": "Abusive language"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.hidden_reason == "Abusive language" and review.hidden_at is not None


def test_the_profile_partial_lists_reviews_with_their_replies():
    order = completed()
    review = reviews.review_create(order_id=order.pk, author=order.buyer, rating=4, text="Nice glaze")
    reviews.review_create(order_id=order.pk, author=order.seller, rating=5)
    reviews.review_reply(review_id=review.pk, member=order.seller, text="Thank you!")
    profile = Profile.objects.get(member=order.seller)
    html = render_to_string(
        "orders/_reviews.html",
        {
            "reviews": selectors.reviews_for_member(order.seller),
            "rating_average": profile.rating_average,
            "rating_count": profile.rating_count,
        },
    )
    assert "Nice glaze" in html and "Thank you!" in html and "4 stars out of 5" in html
    assert "1 review" in html


def test_the_order_page_offers_the_form_then_shows_both_reviews():
    order = completed()
    buyer, seller = Client(), Client()
    buyer.force_login(order.buyer)
    seller.force_login(order.seller)
    url = reverse("orders:detail", kwargs={"reference": order.reference})
    assert "Publish my review" in buyer.get(url).content.decode()
    buyer.post(reverse("orders:review", kwargs={"reference": order.reference}), {"rating": "5", "text": "Superb"})
    seller_page = seller.get(url).content.decode()
    assert "Superb" not in seller_page
    assert "The other party has reviewed this order" in seller_page
    seller.post(reverse("orders:review", kwargs={"reference": order.reference}), {"rating": "4", "text": "Kind"})
    assert "Superb" in seller.get(url).content.decode()
    assert "Kind" in buyer.get(url).content.decode()
