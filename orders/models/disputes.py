"""Disputes: a buyer's report of a problem with an order whose money is still held, the conversation that follows,
the evidence, the parties' settlement proposals and a moderator's decision.

While a dispute is open the order is `disputed` and its escrow is frozen (orders.services.order_dispute_open). It
ends in one of two ways, both through orders.services and both ledgered the same way (refund part or all, release
the rest): the parties agree on a proposal, or a moderator decides with written reasons.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.models.verification import private_storage


class DisputeCategory(models.TextChoices):
    NOT_RECEIVED = "not_received", _("It never arrived or did not take place")
    NOT_AS_DESCRIBED = "not_as_described", _("It was not as described")
    DAMAGED = "damaged", _("It arrived damaged")
    NO_SHOW = "no_show", _("The seller did not turn up")
    OTHER = "other", _("Something else")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open: the parties are talking")
    ESCALATED = "escalated", _("With a moderator")
    SETTLED = "settled", _("Settled by agreement")
    DECIDED = "decided", _("Decided by a moderator")


OPEN_DISPUTE_STATUSES = frozenset({DisputeStatus.OPEN, DisputeStatus.ESCALATED})


class DisputeOutcome(models.TextChoices):
    RELEASE = "release", _("Paid to the seller")
    PARTIAL_REFUND = "partial_refund", _("Partly refunded")
    FULL_REFUND = "full_refund", _("Refunded in full")


class Dispute(models.Model):
    """One per order. `respond_by` is when the seller must have answered; past it (or past the settlement window)
    a beat task hands the dispute to the moderators."""

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="dispute")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=DisputeCategory.choices, default=DisputeCategory.OTHER)
    description = models.TextField()
    status = models.CharField(max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    respond_by = models.DateTimeField()
    settle_by = models.DateTimeField()
    seller_responded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # the outcome, once closed
    outcome = models.CharField(max_length=16, choices=DisputeOutcome.choices, blank=True)
    refund_amount = models.PositiveBigIntegerField(null=True, blank=True, help_text="Minor units of the order.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(blank=True, help_text=_("The moderator's reasons, shown to both parties."))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "respond_by"]),
            models.Index(fields=["status", "settle_by"]),
        ]

    def __str__(self) -> str:
        return f"Dispute on order {self.order_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPUTE_STATUSES


class DisputeMessage(models.Model):
    """What the parties (and moderators) write to each other in a dispute: text only; files are evidence."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Message {self.pk} on dispute {self.dispute_id}"


def evidence_upload_to(instance: DisputeEvidence, filename: str) -> str:
    return f"disputes/{instance.dispute_id}/{filename}"


class DisputeEvidence(models.Model):
    """A photo or PDF a party adds to a dispute. Private storage, a server-chosen name; streamed only to the two
    parties and staff (orders.views.disputes.evidence)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="evidence")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(storage=private_storage, upload_to=evidence_upload_to)
    name = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    is_image = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "dispute evidence"

    def __str__(self) -> str:
        return self.name


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SettlementProposal(models.Model):
    """A refund one party offers or asks for; the other party accepting it settles the dispute. One pending
    proposal at a time: a new one withdraws the previous one."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="proposals")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    refund_amount = models.PositiveBigIntegerField(help_text="Minor units back to the buyer; the rest is released.")
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute"], condition=Q(status="pending"), name="one_pending_proposal_per_dispute"
            )
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk}: refund {self.refund_amount} ({self.status})"
