"""Staff edit tracks and milestones here, see profiles and mentorships (read-only: states change only through the
services), and run an intake for chosen mentees."""

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mentoring import selectors, services
from mentoring.models import (
    MenteeProfile,
    MentorProfile,
    Mentorship,
    MentorshipEvent,
    MentorshipSession,
    Milestone,
    MilestoneProgress,
    Track,
)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["order", "kind", "title", "threshold"]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "stage", "suggested_weeks", "guide_url"]
    list_filter = ["stage"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["guide_page"]
    inlines = [MilestoneInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["__str__", "track", "kind", "threshold", "order"]
    list_filter = ["track", "kind"]
    list_select_related = ["track"]


@admin.register(MilestoneProgress)
class MilestoneProgressAdmin(admin.ModelAdmin):
    list_display = ["member", "milestone", "achieved_at"]
    list_select_related = ["member__profile", "milestone"]
    raw_id_fields = ["member", "marked_by"]
    search_fields = ["member__email"]


@admin.register(MentorProfile)
class MentorProfileAdmin(admin.ModelAdmin):
    list_display = ["member", "headline", "capacity", "accepting", "updated_at"]
    list_filter = ["accepting"]
    list_select_related = ["member__profile"]
    search_fields = ["member__email", "member__profile__display_name", "headline"]
    raw_id_fields = ["member"]
    filter_horizontal = ["categories"]


@admin.register(MenteeProfile)
class MenteeProfileAdmin(admin.ModelAdmin):
    list_display = ["member", "track", "updated_at"]
    list_filter = ["track"]
    list_select_related = ["member__profile", "track"]
    search_fields = ["member__email", "member__profile__display_name"]
    raw_id_fields = ["member"]
    filter_horizontal = ["categories"]
    actions = ["intake"]

    @admin.action(description=_("Run an intake for the selected mentees without a mentor"))
    def intake(self, request, queryset):
        mentees = selectors.mentees_without_mentor().filter(pk__in=queryset.values("pk"))
        result = services.intake_run(mentees=mentees, mentors=selectors.mentors_for_matching(), actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(n)d mentorship proposed (total score %(total)d); %(left)d mentees left unassigned.",
                "%(n)d mentorships proposed (total score %(total)d); %(left)d mentees left unassigned.",
                len(result.mentorships),
            )
            % {
                "n": len(result.mentorships),
                "total": result.total_score,
                "left": len(result.assignment.unassigned_mentee_ids),
            },
            messages.SUCCESS,
        )


class MentorshipEventInline(admin.TabularInline):
    model = MentorshipEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class MentorshipSessionInline(admin.TabularInline):
    model = MentorshipSession
    extra = 0
    can_delete = False
    fields = ["scheduled_at", "duration_minutes", "notes", "logged_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Mentorship)
class MentorshipAdmin(admin.ModelAdmin):
    list_display = ["pk", "mentor", "mentee", "track", "state", "origin", "score", "created_at"]
    list_filter = ["state", "origin", "track"]
    list_select_related = ["mentor__profile", "mentee__profile", "track"]
    search_fields = ["mentor__email", "mentee__email"]
    readonly_fields = [
        "mentor",
        "mentee",
        "track",
        "state",
        "origin",
        "score",
        "end_reason",
        "end_note",
        "created_at",
        "accepted_at",
        "started_at",
        "closed_at",
    ]
    fields = readonly_fields
    inlines = [MentorshipEventInline, MentorshipSessionInline]

    def has_add_permission(self, request) -> bool:
        return False
