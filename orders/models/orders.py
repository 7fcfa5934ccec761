"""Orders and bookings, their audit trail, payees, refunds, payouts and reminders."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from listings.models import CancellationPolicy, ListingKind
from orders.models.append_only import AppendOnlyModel


class OrderState(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Fulfilled")
    COMPLETED = "completed", _("Completed")
    RELEASED = "released", _("Paid to the seller")
    CANCELLED = "cancelled", _("Cancelled")
    DISPUTED = "disputed", _("Disputed")
    RESOLVED = "resolved", _("Resolved")


S = OrderState
# The order state machine: every allowed move. Each move is one service in orders.services.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.REQUESTED, S.PAID, S.CANCELLED}),
    S.REQUESTED: frozenset({S.ACCEPTED, S.DECLINED, S.EXPIRED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.FULFILLED, S.CANCELLED, S.DISPUTED}),
    S.FULFILLED: frozenset({S.COMPLETED, S.DISPUTED}),
    S.COMPLETED: frozenset({S.RELEASED}),
    S.DISPUTED: frozenset({S.RESOLVED}),
    S.RELEASED: frozenset(),
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.RESOLVED: frozenset(),
}
# No money is held any more: the order's escrow is zero.
CLOSED_STATES = frozenset({S.RELEASED, S.DECLINED, S.EXPIRED, S.CANCELLED, S.RESOLVED})
# The order gave its stock or its time slot back. Spelt out in the exclusion constraint (migration 0002) too.
RELEASED_HOLD_STATES = frozenset({S.DECLINED, S.EXPIRED, S.CANCELLED})
del S


class CancelledBy(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")
    SYSTEM = "system", _("Guildhall")


class Order(models.Model):
    """A purchase of an item or a booking of a service or rental. The price, fees and cancellation policy are
    copied from the quote at checkout: later edits to the listing or to the commission never change an order."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_bought")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_sold")
    listing = models.ForeignKey("listings.Listing", on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=8, choices=ListingKind.choices)
    state = models.CharField(max_length=16, choices=OrderState.choices, default=OrderState.PENDING_PAYMENT)
    # items: how many; bookings: how many places of the listing's capacity
    quantity = models.PositiveIntegerField(default=1)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    # A booking of a capacity-1 listing: PostgreSQL's exclusion constraint refuses overlapping ones.
    exclusive_slot = models.BooleanField(default=False)
    # the quote, in minor units of `currency`
    currency = models.CharField(max_length=3)
    unit_price = models.PositiveBigIntegerField()
    units = models.PositiveIntegerField(default=1, help_text="Billable hours, days or nights; 1 for items.")
    subtotal = models.PositiveBigIntegerField()
    buyer_fee = models.PositiveBigIntegerField()
    total = models.PositiveBigIntegerField()
    commission = models.PositiveBigIntegerField()
    seller_net = models.PositiveBigIntegerField()
    seller_commission_bps = models.PositiveIntegerField()
    buyer_fee_bps = models.PositiveIntegerField()
    cancellation_policy = models.CharField(max_length=10, choices=CancellationPolicy.choices)
    # False: a request to book, which the seller accepts or declines (items are always bought at once)
    instant_book = models.BooleanField(default=True)
    # payment
    gateway = models.CharField(max_length=20)
    transfer_group = models.CharField(max_length=64, unique=True)
    charge_reference = models.CharField(max_length=100, blank=True)
    payment_client_secret = models.CharField(max_length=200, blank=True)
    # times
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=8, choices=CancelledBy.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"]),
            models.Index(fields=["seller", "-created_at"]),
            models.Index(fields=["listing", "state"]),
            models.Index(fields=["state", "respond_by"]),
            models.Index(fields=["state", "ends_at"]),
            models.Index(fields=["state", "fulfilled_at"]),
            models.Index(fields=["seller", "cancelled_by"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total=F("subtotal") + F("buyer_fee")), name="order_total_adds_up"),
            models.CheckConstraint(
                condition=Q(seller_net=F("subtotal") - F("commission")), name="order_seller_net_adds_up"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_quantity_positive"),
            models.CheckConstraint(
                condition=(
                    Q(kind=ListingKind.ITEM, starts_at__isnull=True, ends_at__isnull=True, exclusive_slot=False)
                    | Q(kind=ListingKind.BOOKING, starts_at__isnull=False, ends_at__gt=F("starts_at"))
                ),
                name="order_times_match_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.reference}"

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def platform_amount(self) -> int:
        return self.commission + self.buyer_fee


class OrderEvent(AppendOnlyModel):
    """The audit trail: one row per state change (and per partial refund, where the state stays)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=16, choices=OrderState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=OrderState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    amount = models.BigIntegerField(null=True, blank=True, help_text="Money moved by the event, if any.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state}"


class OrderPayee(models.Model):
    """Who shares the seller's net when the order is released, fixed at checkout (co-created listings split)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payees")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    basis_points = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "member"], name="one_share_per_payee"),
            models.CheckConstraint(condition=Q(basis_points__gte=1, basis_points__lte=10_000), name="share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.basis_points} bps"


class GatewayCallStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """A refund the ledger has booked and the gateway must carry out. Written in the same transaction as the
    ledger posting and sent after commit (and retried by a beat task while pending), with the same key."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=GatewayCallStatus.choices, default=GatewayCallStatus.PENDING)
    gateway_reference = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} ({self.status})"


class Payout(models.Model):
    """Money moved from a seller's payable balance to them. Booked in the ledger first (so two payouts cannot
    spend the same balance), then sent through the gateway; a failure is booked back."""

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=GatewayCallStatus.choices, default=GatewayCallStatus.PENDING)
    gateway_reference = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Payout {self.amount} {self.currency} ({self.status})"


class ReminderKind(models.TextChoices):
    REQUEST_EXPIRING = "request_expiring", _("Request about to expire")
    ITEM_AUTO_COMPLETE = "item_auto_complete", _("Item order about to complete")
    BOOKING_AUTO_COMPLETE = "booking_auto_complete", _("Booking about to complete")


class OrderReminder(models.Model):
    """A reminder email that was sent: the unique constraint makes each one go out once."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="one_reminder_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.order_id}"
