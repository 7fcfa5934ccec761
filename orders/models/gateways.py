"""What the offline gateway did: its stand-in for a payment processor's own records, so that repeating a call
with the same idempotency key returns the first answer instead of charging or refunding twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OfflineOperationKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    REFUND = "refund", "Refund"
    TRANSFER = "transfer", "Transfer"
    PAYOUT = "payout", "Payout"


class OfflineOperation(models.Model):
    kind = models.CharField(max_length=10, choices=OfflineOperationKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    reference = models.CharField(max_length=60, unique=True)
    status = models.CharField(max_length=20)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    payment_method = models.CharField(max_length=60, blank=True)
    # refunds: the charge they return money from
    charge = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds")
    # transfers and payouts: who receives the money
    destination = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfer_group = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.reference
