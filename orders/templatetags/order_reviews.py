"""Reviews where listings and profiles show them: listings and community must not import orders, so their
templates load this tag library instead."""

from django import template

from orders.selectors import reviews_for_listing, reviews_for_member

register = template.Library()


@register.inclusion_tag("orders/_reviews.html")
def listing_reviews(listing) -> dict:
    return {
        "reviews": reviews_for_listing(listing),
        "rating_average": listing.rating_average,
        "rating_count": listing.rating_count,
    }


@register.inclusion_tag("orders/_reviews.html")
def member_reviews(member) -> dict:
    profile = getattr(member, "profile", None)
    return {
        "reviews": reviews_for_member(member),
        "rating_average": getattr(profile, "rating_average", None),
        "rating_count": getattr(profile, "rating_count", 0),
        "show_listing": True,
    }
