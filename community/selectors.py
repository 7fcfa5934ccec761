"""Reads for members."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from community.models import Member, Notification, Verification, VerificationStatus


def members_with_badges() -> QuerySet[Member]:
    """Members with what a name and its badges need, in a fixed number of queries."""
    return Member.objects.select_related("profile").prefetch_related(
        "role_grants",
        Prefetch(
            "verifications",
            queryset=Verification.objects.filter(status=VerificationStatus.APPROVED).only(
                "id", "member_id", "kind", "status"
            ),
            to_attr="approved_verifications",
        ),
    )


def member_public_get(*, pk: int) -> Member:
    """An active member's public profile; deleted and deactivated members are not found."""
    return get_object_or_404(members_with_badges(), pk=pk, is_active=True)


def member_badges(member: Member) -> list[str]:
    approved = getattr(member, "approved_verifications", None)
    if approved is None:
        approved = member.verifications.filter(status=VerificationStatus.APPROVED)
    return sorted({verification.kind for verification in approved})


def member_verifications(*, member: Member) -> QuerySet[Verification]:
    return Verification.objects.filter(member=member)


def notifications_unread_count(*, member: Member) -> int:
    return Notification.objects.filter(member=member, read_at__isnull=True).count()
