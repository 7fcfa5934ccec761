from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from community import services
from community.models import (
    Appeal,
    Member,
    MemberTrust,
    ModerationAction,
    Notification,
    Profile,
    RoleGrant,
    Sanction,
    Verification,
    VerificationKind,
    VerificationStatus,
)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    readonly_fields = ["phone_number"]


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    fk_name = "member"
    extra = 0
    fields = ["role", "granted_by", "granted_at"]
    readonly_fields = ["granted_by", "granted_at"]


@admin.register(Member)
class MemberAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name_column", "roles_column", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "role_grants__role"]
    search_fields = ["email", "profile__display_name"]
    inlines = [ProfileInline, RoleGrantInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined", "deleted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["deleted_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("profile").prefetch_related("role_grants")

    @admin.display(description=_("display name"))
    def display_name_column(self, obj: Member) -> str:
        return obj.profile.display_name if hasattr(obj, "profile") else ""

    @admin.display(description=_("roles"))
    def roles_column(self, obj: Member) -> str:
        return ", ".join(sorted(grant.role for grant in obj.role_grants.all()))

    def save_formset(self, request, form, formset, change):
        if formset.model is RoleGrant:
            grants = formset.save(commit=False)
            for deleted in formset.deleted_objects:
                services.role_revoke(member=deleted.member, role=deleted.role, revoked_by=request.user)
            for grant in grants:
                services.role_grant(member=form.instance, role=grant.role, granted_by=request.user)
            return
        super().save_formset(request, form, formset, change)


class VerificationReviewForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "—"), ("approve", _("Approve")), ("reject", _("Reject"))],
        required=False,
    )

    class Meta:
        model = Verification
        fields = ["reason"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the member a reason for the rejection."))
        if cleaned.get("decision") and self.instance.status != VerificationStatus.PENDING:
            raise ValidationError(_("This verification has already been reviewed."))
        return cleaned


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    form = VerificationReviewForm
    list_display = ["member", "kind", "status", "submitted_at", "reviewed_at"]
    list_filter = ["status", "kind"]
    search_fields = ["member__email", "member__profile__display_name"]
    list_select_related = ["member__profile"]
    readonly_fields = [
        "member",
        "kind",
        "status",
        "detail",
        "document_link",
        "submitted_at",
        "reviewed_at",
        "reviewed_by",
    ]
    fields = [*readonly_fields, "decision", "reason"]

    def has_add_permission(self, request) -> bool:
        return False

    def get_queryset(self, request):
        # The review queue holds documents; email and phone are verified automatically.
        return super().get_queryset(request).filter(kind__in=VerificationKind.document_kinds())

    @admin.display(description=_("document"))
    def document_link(self, obj: Verification) -> str:
        if not obj.document:
            return _("deleted") if obj.document_deleted_at else "—"
        url = reverse("community:verification_document", kwargs={"pk": obj.pk})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Open the document"))

    def save_model(self, request, obj: Verification, form, change) -> None:
        decision = form.cleaned_data.get("decision")
        if decision == "approve":
            services.verification_approve(verification_id=obj.pk, reviewer=request.user)
            messages.success(request, _("Approved: the member's badge now shows."))
        elif decision == "reject":
            services.verification_reject(
                verification_id=obj.pk, reviewer=request.user, reason=form.cleaned_data["reason"]
            )
        else:
            obj.save(update_fields=["reason"])


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["member", "text", "created_at", "read_at"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]


from community.forums import admin as _forums_admin  # noqa: E402, F401 - registers the forum models
from community.live import admin as _live_admin  # noqa: E402, F401 - sessions and ambassador terms
from community.messaging import admin as _messaging_admin  # noqa: E402, F401 - registers the flag admin

# --- Trust levels and moderation (community/trust.py, community/moderation.py) -------------------------------------


@admin.register(MemberTrust)
class MemberTrustAdmin(admin.ModelAdmin):
    """Read here; lock a level from the moderation page (community:moderation_member) so the log records it."""

    list_display = ["member", "level", "locked_level", "level_since", "computed_at"]
    list_filter = ["level", "locked_level"]
    search_fields = ["member__email", "member__profile__display_name"]
    readonly_fields = ["member", "level", "locked_level", "locked_by", "level_since", "computed_at", "figures"]

    def has_add_permission(self, request):
        return False


@admin.register(Sanction)
class SanctionAdmin(admin.ModelAdmin):
    """Read-only: silence, suspend and lift through the moderation pages, which notify the member and log it."""

    list_display = ["member", "kind", "starts_at", "ends_at", "lifted_at", "created_by"]
    list_filter = ["kind"]
    search_fields = ["member__email", "reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["sanction", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The moderation log: append-only."""

    list_display = ["created_at", "action", "actor", "member", "post", "reason"]
    list_filter = ["action"]
    search_fields = ["member__email", "actor__email", "reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
