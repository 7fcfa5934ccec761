from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from listings.models import AvailabilityRule, Category, Listing, ListingPhoto


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category)
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


class ListingPhotoInline(admin.TabularInline):
    model = ListingPhoto
    extra = 0
    raw_id_fields = ["image"]


class AvailabilityRuleInline(admin.TabularInline):
    model = AvailabilityRule
    extra = 0


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["title", "seller", "category", "kind", "status", "price_amount", "currency", "published_at"]
    list_filter = ["status", "kind", "category"]
    search_fields = ["title", "seller__email"]
    list_select_related = ["seller__profile", "category"]
    raw_id_fields = ["seller"]
    readonly_fields = ["slug", "published_at", "created_at", "updated_at"]
    inlines = [ListingPhotoInline, AvailabilityRuleInline]
