"""Checkout: choose the quantity or the times, review the price computed on the server, pay; and the steps a
payment may need afterwards (authenticating with the bank, paying an order created through the API)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orders import selectors, services
from orders.bookings import listing_timezone
from orders.forms import SERVICE_FIELDS, PaymentForm, apply_service_errors, checkout_form
from orders.models import Order, OrderState

CHECKOUT_FIELDS = ("quantity", "start_date", "start_time", "end_date", "end_time")
BUSY_DAYS = 28


def _after_payment(request: HttpRequest, order: Order) -> HttpResponse:
    if order.state == OrderState.PENDING_PAYMENT:
        return redirect("orders:authenticate", reference=order.reference)
    if order.state == OrderState.REQUESTED:
        messages.success(
            request,
            _(
                "Request sent. The seller has until %(deadline)s to accept; your payment is held by Guildhall and "
                "refunded in full if they decline or do not answer."
            )
            % {"deadline": formats.date_format(timezone.localtime(order.respond_by), "l j F, H:i")},
        )
    else:
        messages.success(request, _("Paid. Guildhall holds your payment until the order is complete."))
    return redirect("orders:detail", reference=order.reference)


def _payment_refused(payment: PaymentForm, error: ValidationError) -> None:
    refusal = error.message_dict["payment_method"]
    payment.add_error("payment_method", [*refusal, _("Nothing was charged. Choose another card and try again.")])


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = selectors.listing_for_checkout(listing_id=listing_id)
    if listing.seller_id == request.user.pk:
        messages.info(request, _("This is your own listing: buyers order it from this page."))
        return redirect(listing)
    posted = request.method == "POST"
    data = request.POST if posted else (request.GET if any(key in request.GET for key in CHECKOUT_FIELDS) else None)
    form = checkout_form(listing, data)
    payment = PaymentForm(request.POST if posted else None)
    quote = None
    status = 200
    if form.is_bound and form.is_valid():
        try:
            quote = selectors.checkout_quote(listing=listing, buyer=request.user, **form.order_data())
        except ValidationError as error:
            apply_service_errors(form, error, names=SERVICE_FIELDS)
    if posted:
        status = 400
        if quote is not None and payment.is_valid():
            try:
                order = services.order_create(
                    buyer=request.user,
                    listing_id=listing.pk,
                    payment_method=payment.cleaned_data["payment_method"],
                    **form.order_data(),
                )
            except ValidationError as error:
                if "payment_method" in error.message_dict:
                    _payment_refused(payment, error)
                else:  # the stock or the slot went while the buyer was reading
                    apply_service_errors(form, error, names=SERVICE_FIELDS)
                    quote = None
            else:
                return _after_payment(request, order)
    busy = []
    if listing.kind == "booking":
        now = timezone.now()
        busy = selectors.booking_busy_ranges(listing=listing, start=now, end=now + timedelta(days=BUSY_DAYS))
    return render(
        request,
        "orders/checkout.html",
        {
            "listing": listing,
            "form": form,
            "payment": payment,
            "quote": quote,
            "busy": busy,
            "tz": listing_timezone(listing),
            "review_query": request.GET.urlencode() if quote is not None and not posted else "",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    """Pays an order waiting for payment (created through the API, say)."""
    order = selectors.order_for_member(reference=reference, member=request.user)
    if order.buyer_id != request.user.pk or order.state != OrderState.PENDING_PAYMENT:
        return redirect("orders:detail", reference=order.reference)
    if order.charge_reference:
        return redirect("orders:authenticate", reference=order.reference)
    payment = PaymentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if payment.is_valid():
            try:
                order = services.order_pay(
                    order_id=order.pk, buyer=request.user, payment_method=payment.cleaned_data["payment_method"]
                )
            except ValidationError as error:
                if "payment_method" not in error.message_dict:
                    messages.error(request, " ".join(error.messages))
                    return redirect("orders:detail", reference=order.reference)
                _payment_refused(payment, error)
                messages.error(request, _("The payment did not go through, so the order was cancelled."))
                return redirect(reverse("orders:checkout", kwargs={"listing_id": order.listing_id}) + _query_of(order))
            return _after_payment(request, order)
    return render(request, "orders/pay.html", {"order": order, "payment": payment}, status=status)


def _query_of(order: Order) -> str:
    """The checkout page's parameters for the same order, to try again after a refusal."""
    if order.starts_at is None:
        return "?" + urlencode({"quantity": order.quantity})
    tz = listing_timezone(order.listing)
    start, end = order.starts_at.astimezone(tz), order.ends_at.astimezone(tz)
    params = {
        "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_date": end.date().isoformat(),
        "end_time": end.strftime("%H:%M"),
        "quantity": order.quantity,
    }
    return "?" + urlencode(params)


@login_required
@require_http_methods(["GET", "POST"])
def authenticate(request: HttpRequest, reference: str) -> HttpResponse:
    """The bank's confirmation step (3-D Secure). The offline gateway stands in for the bank's own page: the
    buyer confirms or cancels here."""
    order = selectors.order_for_member(reference=reference, member=request.user)
    if order.buyer_id != request.user.pk or order.state != OrderState.PENDING_PAYMENT or not order.charge_reference:
        return redirect("orders:detail", reference=order.reference)
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            services.order_cancel(order_id=order.pk, actor=request.user, note="Payment not confirmed.")
            messages.info(request, _("Payment cancelled: nothing was charged."))
            return redirect("orders:detail", reference=order.reference)
        try:
            order = services.order_payment_confirm(order_id=order.pk, buyer=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("orders:detail", reference=order.reference)
        return _after_payment(request, order)
    return render(request, "orders/authenticate.html", {"order": order})
