"""Checkout: choose the quantity or the times, review the price computed on the server, pay; and the steps a
payment may need afterwards (authenticating with the bank, paying an order created through the API)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from orders import selectors, services
from orders.bookings import listing_timezone
from orders.forms import SERVICE_FIELDS, PaymentForm, apply_service_errors, checkout_form
from orders.gateways import GatewayError, PaymentStatus, gateway_get
from orders.models import Order, OrderState

CHECKOUT_FIELDS = ("quantity", "start_date", "start_time", "end_date", "end_time")
BUSY_DAYS = 28


def _after_payment(request: HttpRequest, order: Order) -> HttpResponse:
    if order.state == OrderState.PENDING_PAYMENT:
        # Stripe's bank check runs in the Payment Element on the pay page; the offline gateway has its own page.
        return redirect("orders:pay" if order.gateway == "stripe" else "orders:authenticate", reference=order.reference)
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


def _card_in_browser() -> bool:
    """The stripe gateway takes the card in Stripe's Payment Element on the pay page, not in our form."""
    return gateway_get().name == "stripe"


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
        if quote is not None and _card_in_browser():
            try:
                order = services.order_create(buyer=request.user, listing_id=listing.pk, **form.order_data())
            except ValidationError as error:  # the stock or the slot went while the buyer was reading
                apply_service_errors(form, error, names=SERVICE_FIELDS)
                quote = None
            else:
                return redirect("orders:pay", reference=order.reference)
        elif quote is not None and payment.is_valid():
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
    if order.gateway == "stripe":
        return _pay_by_stripe(request, order)
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


def _pay_by_stripe(request: HttpRequest, order: Order) -> HttpResponse:
    """The card step of the stripe gateway: Stripe's Payment Element (Stripe.js) confirms the order's
    PaymentIntent in the browser, then Stripe sends the buyer to `pay_return`."""
    try:
        order = services.order_payment_intent_prepare(order_id=order.pk, buyer=request.user)
    except GatewayError:
        messages.error(request, _("Stripe did not answer. Try again in a moment; nothing was charged."))
        return redirect("orders:detail", reference=order.reference)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("orders:detail", reference=order.reference)
    if order.state != OrderState.PENDING_PAYMENT:
        return _after_payment(request, order)
    stripe = {
        "publishableKey": getattr(settings, "STRIPE_PUBLISHABLE_KEY", ""),
        "clientSecret": order.payment_client_secret,
        "returnUrl": request.build_absolute_uri(reverse("orders:pay_return", kwargs={"reference": order.reference})),
        "messages": {
            "unavailable": _(
                "The secure card form could not load from Stripe. Check your connection (and any script blocker), "
                "then reload this page. Nothing was charged."
            ),
            "failed": _("The payment did not go through. Nothing was charged; try again or use another card."),
        },
    }
    return render(request, "orders/pay.html", {"order": order, "stripe": stripe})


@login_required
@require_GET
def pay_return(request: HttpRequest, reference: str) -> HttpResponse:
    """Where Stripe.js sends the buyer after confirming (or authenticating) a payment. What the query string says
    is a hint: the service reads the order's PaymentIntent from Stripe, and only a PaymentIntent of this order is
    looked at (another order's is a 404)."""
    order = selectors.order_for_member(reference=reference, member=request.user)
    if order.buyer_id != request.user.pk:
        raise Http404
    try:
        order, result = services.order_payment_intent_settle(
            order_id=order.pk, buyer=request.user, payment_intent=request.GET.get("payment_intent", "")
        )
    except GatewayError:
        messages.warning(
            request,
            _("We could not check your payment with Stripe just now. This page updates as soon as Stripe tells us."),
        )
        return redirect("orders:detail", reference=order.reference)
    if order.state != OrderState.PENDING_PAYMENT:
        if result.status == PaymentStatus.FAILED:
            messages.error(request, result.message or _("The payment did not go through, so the order was cancelled."))
            return redirect("orders:detail", reference=order.reference)
        return _after_payment(request, order)
    if result.status == PaymentStatus.DECLINED:
        messages.error(
            request, " ".join([result.message, str(_("Nothing was charged. Try again, or use another card."))])
        )
        return redirect("orders:pay", reference=order.reference)
    if result.client_secret:  # the bank's check is not done yet: back to the card form, which carries it on
        return redirect("orders:pay", reference=order.reference)
    messages.info(request, _("Your bank is still processing the payment. This page updates once Stripe confirms it."))
    return redirect("orders:detail", reference=order.reference)


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
    if order.gateway == "stripe":
        return redirect("orders:pay", reference=order.reference)
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
