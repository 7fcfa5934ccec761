"""The forums in the Django admin: categories to arrange, and topics, posts (with their edit history) and flags for
moderators. Registered when `community.admin` imports this module."""

from __future__ import annotations

from django.contrib import admin

from community.models import Flag, ForumCategory, Post, PostRevision, Topic


@admin.register(ForumCategory)
class ForumCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "facet", "position", "visibility", "role"]
    list_editable = ["position"]
    list_filter = ["facet", "visibility"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    autocomplete_fields = ["members"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "kind", "author", "pinned", "closed", "reply_count", "last_activity_at"]
    list_filter = ["kind", "pinned", "closed", "category"]
    list_select_related = ["category", "author__profile"]
    search_fields = ["title"]
    raw_id_fields = ["author", "accepted_answer", "last_poster", "review_listing", "linked_listings"]
    readonly_fields = ["post_count", "reply_count", "created_at", "last_activity_at"]


class PostRevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    readonly_fields = ["body", "edited_by", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "created_at", "hidden", "hidden_reason"]
    list_filter = ["hidden"]
    list_select_related = ["author__profile"]
    search_fields = ["body"]
    raw_id_fields = ["topic", "author", "quote"]
    readonly_fields = ["number", "body_html", "created_at", "edited_at"]
    inlines = [PostRevisionInline]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["post", "reason", "flagger", "status", "created_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["post", "flagger__profile"]
    raw_id_fields = ["post", "flagger", "resolved_by"]
    readonly_fields = ["created_at", "resolved_at", "resolved_by"]
