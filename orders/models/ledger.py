"""The escrow ledger's tables: accounts, transactions and their entries (the rules live in orders.ledger)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models.append_only import AppendOnlyModel


class AccountKind(models.TextChoices):
    """Where money can be. The sign convention: an entry adds its amount to its account's balance; money moves
    from the account that gets the negative entry to the one that gets the positive entry."""

    # Per buyer: the outside world the buyer's money came from. Its balance is minus what the buyer paid in.
    BUYER_FUNDING = "buyer_funding", _("Buyer funding")
    # Per order: what the platform holds for the order. Never negative; zero once the order closes.
    ESCROW = "escrow", _("Escrow")
    # Per member: released money owed to a seller (or a co-creator sharing the revenue). Never negative.
    SELLER_PAYABLE = "seller_payable", _("Seller payable")
    # Per member: what has left the platform for the member's bank or connected account.
    SELLER_PAID_OUT = "seller_paid_out", _("Paid out to seller")
    # Platform-wide: commissions and buyer service fees earned.
    PLATFORM_REVENUE = "platform_revenue", _("Platform revenue")
    # Platform-wide: what the payment processor kept (paid out of platform revenue).
    PROCESSOR_FEES = "processor_fees", _("Processor fees")
    # Per buyer: money returned to the buyer.
    REFUNDS = "refunds", _("Refunds")


MEMBER_KINDS = {AccountKind.BUYER_FUNDING, AccountKind.SELLER_PAYABLE, AccountKind.SELLER_PAID_OUT, AccountKind.REFUNDS}
ORDER_KINDS = {AccountKind.ESCROW}
PLATFORM_KINDS = {AccountKind.PLATFORM_REVENUE, AccountKind.PROCESSOR_FEES}
# Postings that would take these below zero are refused.
NON_NEGATIVE_KINDS = {AccountKind.ESCROW, AccountKind.SELLER_PAYABLE}


class Account(models.Model):
    """A place money can be, in one currency. Its balance is the sum of its entries: never stored."""

    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=sorted(MEMBER_KINDS), owner__isnull=False, order__isnull=True)
                    | Q(kind__in=sorted(ORDER_KINDS), owner__isnull=True, order__isnull=False)
                    | Q(kind__in=sorted(PLATFORM_KINDS), owner__isnull=True, order__isnull=True)
                ),
                name="account_scope_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(owner__isnull=True, order__isnull=True),
                name="one_platform_account_per_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "owner", "currency"],
                condition=Q(owner__isnull=False),
                name="one_member_account_per_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "order", "currency"],
                condition=Q(order__isnull=False),
                name="one_order_account_per_currency",
            ),
        ]

    def __str__(self) -> str:
        if self.owner_id:
            scope = f"member {self.owner_id}"
        else:
            scope = f"order {self.order_id}" if self.order_id else "platform"
        return f"{self.get_kind_display()} ({scope}, {self.currency})"


class TransactionKind(models.TextChoices):
    CHARGE = "charge", _("Buyer paid into escrow")
    REFUND = "refund", _("Refund to buyer")
    RELEASE = "release", _("Release to seller and platform")
    PROCESSOR_FEE = "processor_fee", _("Processor fee")
    PAYOUT = "payout", _("Payout to seller")
    PAYOUT_REVERSAL = "payout_reversal", _("Failed payout returned")


class LedgerTransaction(AppendOnlyModel):
    """One money movement: entries that sum to zero per currency. Append-only: a correction is a new transaction.

    The idempotency key names the movement in the business's own words ("order:<ref>:charge"): posting it again
    returns this row instead of moving the money twice."""

    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_transactions"
    )
    memo = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Entry(AppendOnlyModel):
    """One side of a transaction: a signed amount in minor units added to an account's balance."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()

    class Meta:
        verbose_name_plural = "entries"
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount:+d} → {self.account}"
