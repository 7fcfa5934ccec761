"""Operators edit the commission configuration here; orders and the ledger are shown read-only (money moves only
through orders.services)."""

from django.contrib import admin
from django.db.models import Sum

from orders.models import (
    Account,
    CategoryCommission,
    CommissionConfig,
    CommissionPromotion,
    Entry,
    LedgerTransaction,
    Order,
    OrderEvent,
    Payout,
    Refund,
)


@admin.register(CommissionConfig)
class CommissionConfigAdmin(admin.ModelAdmin):
    list_display = ["__str__", "seller_bps", "buyer_fee_bps", "minimum_commission", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not CommissionConfig.objects.exists()


@admin.register(CategoryCommission)
class CategoryCommissionAdmin(admin.ModelAdmin):
    list_display = ["category", "seller_bps", "buyer_fee_bps", "minimum_commission"]
    autocomplete_fields = ["category"]


@admin.register(CommissionPromotion)
class CommissionPromotionAdmin(admin.ModelAdmin):
    list_display = ["name", "rule", "limit", "seller_bps", "active", "created_at"]
    list_filter = ["active", "rule"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "from_state", "to_state", "actor", "amount", "note"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["reference", "listing", "buyer", "seller", "state", "total", "currency", "created_at"]
    list_filter = ["state", "kind", "cancelled_by"]
    search_fields = ["reference", "buyer__email", "seller__email", "listing__title"]
    list_select_related = ["listing", "buyer", "seller"]
    inlines = [OrderEventInline]


class EntryInline(ReadOnlyInline):
    model = Entry
    fields = ["account", "amount"]
    readonly_fields = fields


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "order", "memo", "created_at"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "memo"]
    inlines = [EntryInline]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "owner", "order", "currency", "balance"]
    list_filter = ["kind", "currency"]
    search_fields = ["owner__email"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_balance=Sum("entries__amount"))

    @admin.display(description="balance", ordering="_balance")
    def balance(self, account):
        return account._balance or 0


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "amount", "currency", "status", "created_at", "sent_at"]
    list_filter = ["status"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "seller", "amount", "currency", "status", "created_at", "sent_at"]
    list_filter = ["status"]
