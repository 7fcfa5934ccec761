"""Operators edit the commission configuration here; orders and the ledger are shown read-only (money moves only
through orders.services). Moderators decide disputes and hide abusive reviews through their own admin pages, which
call the services with the moderator's written reasons."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orders import reviews, services
from orders.forms import DisputeDecisionForm, ReviewHideForm, apply_service_errors
from orders.ledger import escrow_balance
from orders.models import (
    Account,
    CategoryCommission,
    CommissionConfig,
    CommissionPromotion,
    Dispute,
    DisputeEvidence,
    DisputeMessage,
    Entry,
    LedgerTransaction,
    Order,
    OrderEvent,
    Payout,
    Refund,
    Review,
    SettlementProposal,
)
from orders.pricing import money_display


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


# --- Disputes and reviews: moderators decide and hide through services, with written reasons -----------------


class DisputeMessageInline(ReadOnlyInline):
    model = DisputeMessage
    fields = ["created_at", "author", "body"]
    readonly_fields = fields


class DisputeEvidenceInline(ReadOnlyInline):
    model = DisputeEvidence
    fields = ["created_at", "uploaded_by", "file_link", "size"]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def file_link(self, evidence):
        return format_html('<a href="{}">{}</a>', reverse("orders:evidence", args=[evidence.pk]), evidence.name)


class SettlementProposalInline(ReadOnlyInline):
    model = SettlementProposal
    fields = ["created_at", "proposed_by", "refund_amount", "note", "status", "answered_at"]
    readonly_fields = fields


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["order", "category", "status", "created_at", "respond_by", "escalated_at", "outcome"]
    list_filter = ["status", "category", "outcome"]
    search_fields = ["order__reference", "order__buyer__email", "order__seller__email", "order__listing__title"]
    list_select_related = ["order__listing"]
    readonly_fields = [
        "order_link",
        "opened_by",
        "category",
        "description",
        "status",
        "created_at",
        "respond_by",
        "seller_responded_at",
        "settle_by",
        "escalated_at",
        "held",
        "decide_link",
        "outcome",
        "refund_amount",
        "decided_by",
        "decision_note",
        "closed_at",
    ]
    fields = readonly_fields
    inlines = [DisputeMessageInline, DisputeEvidenceInline, SettlementProposalInline]

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="orders_dispute_decide"),
            *super().get_urls(),
        ]

    @admin.display(description=_("order"))
    def order_link(self, dispute):
        order = dispute.order
        return format_html(
            '<a href="{}">{}</a> · {} · {} → {}',
            reverse("admin:orders_order_change", args=[order.pk]),
            order.reference,
            order.listing.title,
            order.buyer.email,
            order.seller.email,
        )

    @admin.display(description=_("held in escrow"))
    def held(self, dispute):
        return money_display(escrow_balance(order=dispute.order), dispute.order.currency)

    @admin.display(description=_("decision"))
    def decide_link(self, dispute):
        if not dispute.is_open:
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:orders_dispute_decide", args=[dispute.pk]),
            _("Decide this dispute"),
        )

    def decide_view(self, request, pk: int):
        related = ("order__listing", "order__buyer", "order__seller")
        dispute = Dispute.objects.select_related(*related).filter(pk=pk).first()
        if dispute is None or not self.has_view_permission(request, dispute):
            raise Http404
        order = dispute.order
        held = escrow_balance(order=order)
        form = DisputeDecisionForm(request.POST or None, held=held)
        if request.method == "POST" and form.is_valid():
            try:
                services.order_dispute_resolve(
                    order_id=order.pk,
                    moderator=request.user,
                    refund_amount=form.cleaned_data["refund"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                apply_service_errors(form, error, names={"refund_amount": "refund_amount"})
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, _("Dispute decided; both parties have been told."), messages.SUCCESS)
                return redirect("admin:orders_dispute_change", dispute.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Decide the dispute on order %(reference)s") % {"reference": order.reference},
            "dispute": dispute,
            "order": order,
            "held": money_display(held, order.currency),
            "form": form,
            "messages_list": dispute.messages.select_related("author"),
            "evidence": dispute.evidence.all(),
            "proposals": dispute.proposals.select_related("proposed_by"),
        }
        return TemplateResponse(request, "orders/admin/dispute_decide.html", context)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["id", "listing", "author", "subject", "author_role", "rating", "visible_from", "hidden_at"]
    list_filter = ["author_role", "rating", ("hidden_at", admin.EmptyFieldListFilter)]
    search_fields = ["author__email", "subject__email", "listing__title", "text"]
    list_select_related = ["listing", "author", "subject"]
    readonly_fields = [
        "order",
        "listing",
        "author",
        "subject",
        "author_role",
        "rating",
        "text",
        "created_at",
        "visible_from",
        "published_at",
        "reply",
        "replied_at",
        "hidden_at",
        "hidden_reason",
        "hidden_by",
        "hide_link",
    ]
    fields = readonly_fields

    def get_urls(self):
        return [
            path("<int:pk>/hide/", self.admin_site.admin_view(self.hide_view), name="orders_review_hide"),
            *super().get_urls(),
        ]

    @admin.display(description=_("moderation"))
    def hide_link(self, review):
        if review.hidden_at is not None:
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a>', reverse("admin:orders_review_hide", args=[review.pk]), _("Hide")
        )

    def hide_view(self, request, pk: int):
        review = Review.objects.select_related("author", "subject", "listing").filter(pk=pk).first()
        if review is None or not self.has_view_permission(request, review):
            raise Http404
        form = ReviewHideForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reviews.review_hide(review_id=review.pk, moderator=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                apply_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, _("Review hidden; its reason is shown in its place."), messages.SUCCESS)
                return redirect("admin:orders_review_change", review.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Hide a review"),
            "review": review,
            "form": form,
        }
        return TemplateResponse(request, "orders/admin/review_hide.html", context)
