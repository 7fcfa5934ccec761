"""The buyer's orders, the seller's orders, the order page for both parties, and the state changes its buttons
make. A transition that is not the member's or not allowed in the order's state is refused by the service with
its reason, shown as a message on the order page (PermissionDenied: the 403 page)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders import selectors, services
from orders.bookings import listing_timezone
from orders.forms import (
    DisputeMessageForm,
    NoteForm,
    ProposalForm,
    RefundForm,
    ReplyForm,
    ReviewForm,
    apply_service_errors,
)
from orders.models import CancelledBy, Order, OrderEvent, OrderState
from orders.pricing import money_display

PAGE_SIZE = 25
SELLER_TABS = [
    ("", gettext_lazy("All")),
    ("action", gettext_lazy("To do")),
    ("waiting", gettext_lazy("In progress")),
    ("done", gettext_lazy("Completed")),
    ("cancelled", gettext_lazy("Cancelled")),
]
# What each state change means, in the timeline.
EVENT_TEXT = {
    OrderState.PENDING_PAYMENT: gettext_lazy("Order placed"),
    OrderState.REQUESTED: gettext_lazy("Paid and sent to the seller as a request"),
    OrderState.ACCEPTED: gettext_lazy("The seller accepted the request"),
    OrderState.DECLINED: gettext_lazy("The seller declined the request: refunded"),
    OrderState.EXPIRED: gettext_lazy("The request expired: refunded"),
    OrderState.PAID: gettext_lazy("Paid: Guildhall holds the payment"),
    OrderState.FULFILLED: gettext_lazy("Delivered or took place"),
    OrderState.COMPLETED: gettext_lazy("Complete"),
    OrderState.RELEASED: gettext_lazy("Payment released: the seller's net to their balance, the fees to Guildhall"),
    OrderState.CANCELLED: gettext_lazy("Cancelled"),
    OrderState.DISPUTED: gettext_lazy("A problem was reported: the payment is frozen"),
    OrderState.RESOLVED: gettext_lazy("The problem was resolved"),
}


# Notes Guildhall itself writes in the audit trail, in English: shown translated.
SYSTEM_NOTES = {
    gettext_noop("Payment not completed."),
    gettext_noop("Payment not confirmed."),
    gettext_noop("Payment arrived after the order was closed: refunded."),
    gettext_noop("Handed to a moderator."),
    gettext_noop("Handed to a moderator: no agreement in time."),
}
REFUNDING_STATES = {OrderState.DECLINED, OrderState.EXPIRED, OrderState.CANCELLED, OrderState.RESOLVED}


def _order(request: HttpRequest, reference: str) -> Order:
    return selectors.order_for_member(reference=reference, member=request.user)


def _back(order: Order) -> HttpResponse:
    return redirect("orders:detail", reference=order.reference)


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _timeline(order: Order, events: list[OrderEvent]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        note = _(event.note) if event.note in SYSTEM_NOTES else event.note
        amount = ""
        if event.from_state == event.to_state:
            if event.amount:
                text = _("Partial refund of %(amount)s") % {"amount": money_display(event.amount, order.currency)}
            else:
                text, note = note, ""
        else:
            text = str(EVENT_TEXT.get(event.to_state, event.get_to_state_display()))
            if event.to_state in REFUNDING_STATES and event.amount:
                amount = _("refund of %(amount)s") % {"amount": money_display(event.amount, order.currency)}
        rows.append({"event": event, "text": text, "note": note, "amount": amount})
    return rows


# --- Lists ------------------------------------------------------------------------------------------------


@login_required
@require_GET
def buyer_orders(request: HttpRequest) -> HttpResponse:
    queryset = selectors.order_list_queryset(selectors.orders_of_buyer(buyer=request.user))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/buyer_orders.html", {"page": page, "orders": page.object_list})


@login_required
@require_GET
def seller_orders(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "")
    if tab not in selectors.SELLER_TABS:
        tab = ""
    states = list(selectors.SELLER_TABS[tab]) if tab else None
    counts = selectors.orders_of_seller_counts(seller=request.user)
    queryset = selectors.order_list_queryset(selectors.orders_of_seller(seller=request.user, states=states))
    paginator = Paginator(queryset, PAGE_SIZE)
    paginator.count = counts[tab]  # known from the tab counts: no second COUNT query
    page = paginator.get_page(request.GET.get("page"))
    tabs = [{"tab": value, "label": label, "count": counts[value]} for value, label in SELLER_TABS]
    return render(
        request, "orders/seller_orders.html", {"page": page, "orders": page.object_list, "tab": tab, "tabs": tabs}
    )


# --- The order page ---------------------------------------------------------------------------------------


@login_required
@require_GET
def order_detail(request: HttpRequest, reference: str) -> HttpResponse:
    order = _order(request, reference)
    member = request.user
    now = timezone.now()
    role = selectors.order_role(order=order, member=member)
    actions = selectors.order_actions(order=order, member=member, now=now)
    dispute = selectors.dispute_for_order(order=order) if order.state in {"disputed", "resolved"} else None
    statement = selectors.order_statement(order=order, member=member)
    tz = listing_timezone(order.listing)
    context: dict[str, Any] = {
        "order": order,
        "role": role,
        "other": order.seller if role == CancelledBy.BUYER else order.buyer,
        "actions": actions,
        "timeline": _timeline(order, list(selectors.order_events(order=order))),
        "statement": statement,
        "dispute": dispute,
        "reviews": selectors.order_reviews(order=order, member=member, now=now),
        "review_form": ReviewForm() if "review" in actions else None,
        "reply_form": ReplyForm(),
        "completes_at": services.completion_due_at(order) if order.state == OrderState.FULFILLED else None,
        "tz": tz,
        "local_start": order.starts_at.astimezone(tz) if order.starts_at else None,
        "local_end": order.ends_at.astimezone(tz) if order.ends_at else None,
    }
    if "cancel" in actions:
        context["cancel_refund"] = selectors.cancellation_refund(order=order, role=role, held=statement.held, now=now)
    if dispute is not None and dispute.is_open:
        context["message_form"] = DisputeMessageForm()
        context["proposal_form"] = ProposalForm()
        context["pending_proposal"] = next((p for p in dispute.proposals.all() if p.status == "pending"), None)
    return render(request, "orders/detail.html", context)


@login_required
@require_GET
def receipt(request: HttpRequest, reference: str) -> HttpResponse:
    order = _order(request, reference)
    return render(
        request,
        "orders/receipt.html",
        {
            "order": order,
            "role": selectors.order_role(order=order, member=request.user),
            "statement": selectors.order_statement(order=order, member=request.user),
        },
    )


# --- Transitions ------------------------------------------------------------------------------------------


@login_required
@require_POST
def accept(request: HttpRequest, reference: str) -> HttpResponse:
    order = _order(request, reference)
    try:
        services.order_accept(order_id=order.pk, seller=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Request accepted: the booking is confirmed and the buyer has been told."))
    return _back(order)


@login_required
@require_POST
def decline(request: HttpRequest, reference: str) -> HttpResponse:
    order = _order(request, reference)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.order_decline(order_id=order.pk, seller=request.user, note=note)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Request declined: the buyer is refunded in full."))
    return _back(order)


@login_required
@require_POST
def fulfil(request: HttpRequest, reference: str) -> HttpResponse:
    order = _order(request, reference)
    try:
        services.order_fulfil(order_id=order.pk, actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Marked as delivered. The buyer has been asked to confirm."))
    return _back(order)


@login_required
@require_POST
def confirm(request: HttpRequest, reference: str) -> HttpResponse:
    order = _order(request, reference)
    try:
        services.order_complete(order_id=order.pk, actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Thank you: the order is complete and the seller has been paid."))
    return _back(order)


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """Shows what the cancellation policy gives back before the member confirms."""
    order = _order(request, reference)
    role = selectors.order_role(order=order, member=request.user)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_cancel(order_id=order.pk, actor=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Order cancelled."))
        return _back(order)
    if "cancel" not in selectors.order_actions(order=order, member=request.user):
        messages.error(request, _("This order can no longer be cancelled."))
        return _back(order)
    statement = selectors.order_statement(order=order, member=request.user)
    refund = selectors.cancellation_refund(order=order, role=role, held=statement.held)
    return render(
        request,
        "orders/cancel.html",
        {"order": order, "role": role, "form": form, "refund": refund, "held": statement.held},
    )


@login_required
@require_http_methods(["GET", "POST"])
def refund(request: HttpRequest, reference: str) -> HttpResponse:
    """A partial refund by the seller while the payment is held."""
    order = _order(request, reference)
    if order.seller_id != request.user.pk:
        return _back(order)
    form = RefundForm(request.POST or None, initial={"key": uuid.uuid4().hex})
    statement = selectors.order_statement(order=order, member=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.order_refund(
                    order_id=order.pk,
                    seller=request.user,
                    amount=form.cleaned_data["amount"],
                    note=form.cleaned_data["note"],
                    idempotency_key=form.cleaned_data["key"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Refund sent to the buyer."))
                return _back(order)
    return render(request, "orders/refund.html", {"order": order, "form": form, "statement": statement}, status=status)
