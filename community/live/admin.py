"""Live sessions and the ambassador programme in the Django admin. Registered when `community.admin` imports this
module."""

from __future__ import annotations

from django.contrib import admin

from community.models import AmbassadorTerm, LiveSession


@admin.register(AmbassadorTerm)
class AmbassadorTermAdmin(admin.ModelAdmin):
    list_display = ["member", "region", "starts_on", "ends_on", "is_current"]
    list_filter = ["region", "starts_on"]
    list_select_related = ["member__profile", "region"]
    raw_id_fields = ["member"]
    search_fields = ["member__email", "member__profile__display_name"]
    date_hierarchy = "starts_on"

    @admin.display(boolean=True, description="In term today")
    def is_current(self, term: AmbassadorTerm) -> bool:
        return term.is_current


@admin.register(LiveSession)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "host", "starts_at", "duration_minutes", "capacity", "visibility", "status"]
    list_filter = ["status", "visibility", "region"]
    list_select_related = ["host__profile"]
    raw_id_fields = ["host", "invitees"]
    search_fields = ["title", "topic"]
    readonly_fields = ["status", "archive_topic", "ended_at", "cancelled_at", "sequence"]
