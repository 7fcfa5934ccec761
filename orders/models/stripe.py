"""What Stripe told us: sellers' connected accounts, every webhook event as it arrived, and mirrors of the Stripe
objects the marketplace's money moves through (payments, transfers, connected-account payouts).

The mirrors exist so that webhook events can be applied in any order: each row keeps the Stripe time of the state
it holds (`synced_at`), and the rules in orders.webhooks only ever move a row forwards (a newer snapshot, a later
status, a larger refunded or reversed amount). The ledger (orders.ledger) stays the record of money; these rows
record what the processor says, for reconciliation and for the operators.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StripeAccount(models.Model):
    """A seller's Stripe Connect Express account, as Stripe last described it (onboarding return, an API fetch
    or an `account.updated` event). Money goes to the seller only once `payouts_enabled`."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stripe_account")
    account_id = models.CharField(max_length=64, unique=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    # Stripe's requirements.currently_due and requirements.disabled_reason: what the seller still has to give
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=100, blank=True)
    # Stripe's time of the state above: an event created earlier than this is stale and is not applied
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.account_id

    @property
    def onboarding_complete(self) -> bool:
        return self.details_submitted and self.payouts_enabled


class StripeEventStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")  # a type we do not act on, or about objects that are not ours
    FAILED = "failed", _("Failed")  # the last attempt raised; Celery retries it, then the sweep task


class StripeEvent(models.Model):
    """A webhook event, stored by Stripe's event id before it is processed: a redelivery finds the row and is not
    processed twice; an event whose processing failed is still here to be retried."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    # The connected account the event happened on (Connect events); blank for the platform's own
    account = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(help_text="Stripe's time of the event.")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=StripeEventStatus.choices, default=StripeEventStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class StripePayment(models.Model):
    """A PaymentIntent that charged a buyer for an order, and its charge. `amount_refunded` only grows."""

    payment_intent_id = models.CharField(max_length=255, unique=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_payments"
    )
    charge_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=40)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    amount_refunded = models.PositiveBigIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.payment_intent_id


class StripeTransfer(models.Model):
    """Money the platform sent to a connected account (a released order's share, or a payout). `guildhall_key` is
    the idempotency key it was sent with, from its metadata: it names the Payout row it carried out."""

    transfer_id = models.CharField(max_length=255, unique=True)
    destination = models.CharField(max_length=64)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    amount_reversed = models.PositiveBigIntegerField(default=0)
    transfer_group = models.CharField(max_length=64, blank=True)
    guildhall_key = models.CharField(max_length=200, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["transfer_group"])]

    def __str__(self) -> str:
        return self.transfer_id

    @property
    def reversed(self) -> bool:
        return self.amount_reversed >= self.amount


class StripeConnectedPayout(models.Model):
    """A payout Stripe made from a seller's connected account to their bank, on Stripe's own schedule."""

    payout_id = models.CharField(max_length=255, unique=True)
    account = models.CharField(max_length=64, db_index=True)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    arrival_date = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.payout_id
