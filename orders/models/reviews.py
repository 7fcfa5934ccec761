"""Two-way reviews of completed orders (the rules live in orders.reviews)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReviewRole(models.TextChoices):
    """Who wrote the review: the buyer reviews the seller, the seller reviews the buyer."""

    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")


class Review(models.Model):
    """One per side of an order. Nobody sees it before `visible_from`: the moment both sides have written theirs,
    or the end of the review window, whichever comes first, so neither side's review can answer the other's.
    `published_at` records when it was counted in the ratings. Never edited or deleted: the reviewed member may
    reply once, and a moderator may hide it with a reason that stays visible."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="reviews")
    listing = models.ForeignKey("listings.Listing", on_delete=models.PROTECT, related_name="order_reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_written")
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received")
    author_role = models.CharField(max_length=8, choices=ReviewRole.choices)
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    visible_from = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.TextField(blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-visible_from", "-id"]
        indexes = [
            models.Index(fields=["subject", "author_role", "visible_from"]),
            models.Index(fields=["listing", "author_role", "visible_from"]),
            models.Index(fields=["published_at", "visible_from"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "author_role"], name="one_review_per_side"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ by {self.author_id} on order {self.order_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
