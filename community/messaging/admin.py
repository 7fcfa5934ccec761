"""The moderators' view of messaging in the Django admin: leakage flags to review, and the attempts behind them
with what the sender really typed. Registered when `community.admin` imports this module."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import LeakageAttempt, LeakageFlag


@admin.register(LeakageFlag)
class LeakageFlagAdmin(admin.ModelAdmin):
    list_display = ["member", "attempts", "created_at", "reviewed_at", "reviewed_by"]
    list_filter = [("reviewed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["member__profile", "reviewed_by__profile"]
    search_fields = ["member__email", "member__profile__display_name"]
    readonly_fields = ["member", "attempts", "created_at", "reviewed_at", "reviewed_by", "recent_attempts"]
    fields = [*readonly_fields, "note"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("attempts in the last 30 days"))
    def recent_attempts(self, obj: LeakageFlag) -> str:
        since = timezone.now() - timedelta(days=30)
        attempts = LeakageAttempt.objects.filter(sender=obj.member, created_at__gte=since).select_related("message")
        lines = [
            f"{attempt.created_at:%Y-%m-%d %H:%M} [{', '.join(attempt.kinds)}] "
            f"{attempt.message.original_body if attempt.message else ''}"
            for attempt in attempts[:20]
        ]
        return "\n".join(lines) or "—"

    def save_model(self, request, obj: LeakageFlag, form, change) -> None:
        # Saving the note is the review.
        obj.reviewed_at = obj.reviewed_at or timezone.now()
        obj.reviewed_by = obj.reviewed_by or request.user
        obj.save(update_fields=["note", "reviewed_at", "reviewed_by"])


@admin.register(LeakageAttempt)
class LeakageAttemptAdmin(admin.ModelAdmin):
    list_display = ["sender", "kinds", "created_at", "conversation"]
    list_select_related = ["sender__profile"]
    search_fields = ["sender__email", "sender__profile__display_name"]
    readonly_fields = ["sender", "conversation", "kinds", "created_at", "typed", "delivered"]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("what the sender typed"))
    def typed(self, obj: LeakageAttempt) -> str:
        return obj.message.original_body if obj.message else "—"

    @admin.display(description=_("what was delivered"))
    def delivered(self, obj: LeakageAttempt) -> str:
        return obj.message.body if obj.message else "—"
