"""Writes for orders: checkout, the order state machine, refunds, release and payouts.

Every transition is one service that locks the order row, checks the move against `TRANSITIONS`
(orders.models.orders), writes an `OrderEvent`, posts the ledger transaction and leaves emails and gateway calls
that can wait (refunds, payouts) to `transaction.on_commit`.

Checkout is the one place a gateway call cannot wait, and a card charge cannot be rolled back with a database
transaction. So checkout is
1. `order_create`: reserves the stock or the time slot and commits an order in `pending_payment` with its quote
   (transaction 1);
2. `order_pay`: charges the card outside any transaction, with an idempotency key derived from the order;
3. records the answer (`order_payment_record`, transaction 2): money into escrow and `paid` (or `requested` for a
   request to book), or `cancelled` with the stock or slot given back when the card is declined.
A charge that needs authentication leaves the order in `pending_payment` until `order_payment_confirm`; one left
there is abandoned after `PAYMENT_ABANDON_AFTER` (orders.tasks).

Double booking: a booking locks its listing's row, then checks the overlapping orders that still hold their slot
against the listing's capacity (counting places). On PostgreSQL an exclusion constraint also refuses overlapping
active bookings of a capacity-1 listing (migration 0002), whatever code inserts them; capacity > 1 relies on the
row lock, which serialises bookings of one listing.

Money after a refund: whatever escrow still holds when an order closes is released in the same proportions as the
full order (platform: (commission + buyer fee) / total of it, half-up; the payees share the rest exactly).
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Member, Role
from community.validators import safe_upload_name, validate_document
from listings.models import Listing, ListingKind, ListingStatus
from orders.bookings import booking_window_problems
from orders.gateways import ChargeResult, PaymentStatus, gateway_get
from orders.ledger import (
    LedgerError,
    account_balance,
    escrow_balance,
    escrow_fund,
    escrow_refund,
    escrow_release,
    payable_pay_out,
    payout_reverse,
    processor_fee_record,
)
from orders.models import (
    RELEASED_HOLD_STATES,
    TRANSITIONS,
    Account,
    AccountKind,
    CancelledBy,
    Dispute,
    DisputeCategory,
    DisputeEvidence,
    DisputeMessage,
    DisputeOutcome,
    DisputeStatus,
    Entry,
    GatewayCallStatus,
    LedgerTransaction,
    Order,
    OrderEvent,
    OrderPayee,
    OrderReminder,
    OrderState,
    Payout,
    ProposalStatus,
    Refund,
    SettlementProposal,
)
from orders.payees import amount_split, listing_payees
from orders.pricing import money_display, price_quote, ratio_of
from orders.selectors import cancellation_refund
from orders.signals import order_completed
from orders.timeouts import (
    BOOKING_AUTO_COMPLETE_AFTER,
    ITEM_AUTO_COMPLETE_AFTER,
    PAYMENT_ABANDON_AFTER,
    REQUEST_RESPONSE_WINDOW,
)

DEFAULT_PAYOUT_MINIMUM = 1000
# A disputed order: the seller answers within this, and the parties may settle between themselves until the
# second; past either, the beat task hands the dispute to the moderators (dispute_escalate).
DISPUTE_SELLER_RESPONSE_WINDOW = timedelta(days=3)
DISPUTE_SETTLEMENT_WINDOW = timedelta(days=7)
DISPUTE_TEXT_MAX_CHARS = 5_000
DISPUTE_MAX_FILES = 5
MODERATORS_NOTIFIED = 50

logger = logging.getLogger(__name__)


# --- Helpers ----------------------------------------------------------------------------------------------


def _order_locked(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise Http404 from None


def _role_of(order: Order, member: Member) -> str:
    """The member's part in the order; anyone else is told it does not exist."""
    if member.pk == order.buyer_id:
        return CancelledBy.BUYER
    if member.pk == order.seller_id:
        return CancelledBy.SELLER
    raise Http404


def _require_role(order: Order, member: Member, role: str) -> None:
    if _role_of(order, member) != role:
        raise PermissionDenied(
            _("Only the buyer can do this.") if role == CancelledBy.BUYER else _("Only the seller can do this.")
        )


def _check_move(order: Order, target: str) -> None:
    if target not in TRANSITIONS[order.state]:
        raise ValidationError(
            {
                "state": [
                    _("An order that is “%(state)s” cannot become “%(target)s”.")
                    % {"state": order.get_state_display(), "target": OrderState(target).label}
                ]
            }
        )


def _transition(
    order: Order,
    target: str,
    *,
    actor: Member | None,
    note: str = "",
    amount: int | None = None,
    **stamps,
) -> OrderEvent:
    """Moves a locked order to `target` if the table allows it, with its audit event and any timestamps."""
    _check_move(order, target)
    event = OrderEvent.objects.create(
        order=order, from_state=order.state, to_state=target, actor=actor, note=note, amount=amount
    )
    order.state = target
    for field, value in stamps.items():
        setattr(order, field, value)
    order.save(update_fields=["state", "updated_at", *stamps])
    return event


def _notify(order: Order, email: str, recipient: str) -> None:
    """Tells the buyer or the seller what happened: an in-site notification now (pushed after commit) and an
    email sent by a Celery task after commit."""
    from orders.notifications import notification_text
    from orders.tasks import email_send

    member = order.buyer if recipient == "buyer" else order.seller
    if member.is_active:
        from community.services import notification_create

        notification_create(
            member=member, kind="orders", text=notification_text(order=order, email=email), url=_order_url(order)
        )
    order_id = order.pk
    transaction.on_commit(lambda: email_send.delay(order_id, email, recipient), robust=True)


def _order_url(order: Order) -> str:
    try:
        return reverse("orders:detail", kwargs={"reference": order.reference})
    except NoReverseMatch:  # the order pages are not mounted (a project without orders.urls)
        return ""


def _charge_key(order: Order) -> str:
    return f"order:{order.reference}:charge"


def _hold_release(order: Order) -> None:
    """Gives an item order's stock back (a booking's slot frees itself with the order's state)."""
    if order.kind == ListingKind.ITEM:
        Listing.objects.filter(pk=order.listing_id).update(quantity=F("quantity") + order.quantity)


def _refund(order: Order, *, amount: int, key: str) -> Refund | None:
    """Books a refund in the ledger and queues it for the gateway after commit."""
    if amount <= 0:
        return None
    escrow_refund(order=order, amount=amount, idempotency_key=key)
    refund, created = Refund.objects.get_or_create(
        idempotency_key=key, defaults={"order": order, "amount": amount, "currency": order.currency}
    )
    if created:
        from orders.tasks import refund_send as refund_send_task

        refund_id = refund.pk
        transaction.on_commit(lambda: refund_send_task.delay(refund_id), robust=True)
    return refund


def _release_rest(order: Order) -> int:
    """Releases what escrow still holds to the payees and the platform; returns the amount released."""
    remaining = escrow_balance(order=order)
    if remaining <= 0:
        return 0
    if remaining == order.total:
        platform = order.platform_amount
    else:
        platform = min(remaining, ratio_of(remaining, order.platform_amount, order.total))
    net = remaining - platform
    payees = list(order.payees.select_related("member"))
    parts = amount_split(amount=net, weights=[payee.basis_points for payee in payees])
    escrow_release(
        order=order,
        shares=[(payee.member, part) for payee, part in zip(payees, parts, strict=True)],
        platform_amount=platform,
        idempotency_key=f"order:{order.reference}:release",
    )
    if order.gateway == "stripe":
        # Separate charges and transfers: the payees' shares go to their connected accounts after commit.
        from orders.connect import order_transfers_send_task

        order_id = order.pk
        transaction.on_commit(lambda: order_transfers_send_task.delay(order_id), robust=True)
    return remaining


def _assert_escrow_empty(order: Order) -> None:
    held = escrow_balance(order=order)
    if held != 0:
        raise LedgerError(f"Order {order.reference} closed with {held} still in escrow.")


# --- Checkout ---------------------------------------------------------------------------------------------


@transaction.atomic
def _order_reserve(
    *,
    buyer: Member,
    listing_id: int,
    quantity: int | None,
    start: datetime | None,
    end: datetime | None,
    gateway_name: str,
) -> Order:
    """Transaction 1 of checkout: validates, takes the stock or the slot, and creates the pending order."""
    listing = Listing.objects.select_related("seller__profile", "category").filter(pk=listing_id).first()
    if listing is None:
        raise ValidationError({"listing": [_("This listing does not exist.")]})
    if listing.seller_id == buyer.pk:
        raise ValidationError({"listing": [_("You cannot buy your own listing.")]})
    if listing.status != ListingStatus.PUBLISHED:
        raise ValidationError({"listing": [_("This listing is not available to buy right now.")]})
    if not buyer.is_active or getattr(buyer, "deleted_at", None):
        raise ValidationError({"buyer": [_("This account cannot place orders.")]})
    quote = price_quote(listing=listing, quantity=quantity, start=start, end=end, buyer=buyer)
    now = timezone.now()

    exclusive = False
    if listing.kind == ListingKind.ITEM:
        # One conditional UPDATE: two buyers can never both take the last one.
        taken = Listing.objects.filter(
            pk=listing.pk, status=ListingStatus.PUBLISHED, quantity__gte=quote.quantity
        ).update(quantity=F("quantity") - quote.quantity)
        if not taken:
            left = Listing.objects.filter(pk=listing.pk).values_list("quantity", flat=True).first() or 0
            raise ValidationError(
                {"quantity": [_("Sorry, this is sold out.") if left == 0 else _("Only %(n)s left.") % {"n": left}]}
            )
    else:
        assert start is not None and end is not None
        # The listing's row lock serialises bookings of this listing: the overlap check below cannot race.
        status = Listing.objects.select_for_update().filter(pk=listing.pk).values_list("status", flat=True).first()
        if status != ListingStatus.PUBLISHED:
            raise ValidationError({"listing": [_("This listing is not available to buy right now.")]})
        problems = booking_window_problems(listing=listing, start=start, end=end, now=now)
        if problems:
            raise ValidationError(problems)
        if quote.quantity > listing.capacity:
            raise ValidationError({"quantity": [_("At most %(n)s places.") % {"n": listing.capacity}]})
        booked = (
            Order.objects.filter(listing=listing, kind=ListingKind.BOOKING, starts_at__lt=end, ends_at__gt=start)
            .exclude(state__in=RELEASED_HOLD_STATES)
            .aggregate(places=Sum("quantity"))["places"]
            or 0
        )
        if booked + quote.quantity > listing.capacity:
            raise ValidationError({"start": [_("These times are already booked. Choose other times.")]})
        exclusive = listing.capacity == 1

    order = Order(
        buyer=buyer,
        seller=listing.seller,
        listing=listing,
        kind=listing.kind,
        quantity=quote.quantity,
        starts_at=start if listing.kind == ListingKind.BOOKING else None,
        ends_at=end if listing.kind == ListingKind.BOOKING else None,
        exclusive_slot=exclusive,
        currency=quote.currency,
        unit_price=quote.unit_price,
        units=quote.units,
        subtotal=quote.subtotal,
        buyer_fee=quote.buyer_fee,
        total=quote.total,
        commission=quote.commission,
        seller_net=quote.seller_net,
        seller_commission_bps=quote.seller_commission_bps,
        buyer_fee_bps=quote.buyer_fee_bps,
        cancellation_policy=listing.cancellation_policy,
        instant_book=listing.kind == ListingKind.ITEM or listing.instant_book,
        gateway=gateway_name,
        transfer_group=f"order-{uuid.uuid4().hex}",
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as error:
        if exclusive:  # PostgreSQL's exclusion constraint: the slot was taken after all
            raise ValidationError({"start": [_("These times are already booked. Choose other times.")]}) from error
        raise
    OrderPayee.objects.bulk_create(
        [OrderPayee(order=order, member=member, basis_points=bps) for member, bps in listing_payees(listing=listing)]
    )
    OrderEvent.objects.create(order=order, from_state="", to_state=order.state, actor=buyer, amount=order.total)
    return order


def order_create(
    *,
    buyer: Member,
    listing_id: int,
    quantity: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    payment_method: str | None = None,
) -> Order:
    """Buys an item or books a listing: takes the stock or the slot and creates the order in `pending_payment`
    with its quote (transaction 1 of the module docstring). The buyer then pays with `order_pay`; an order left
    unpaid is abandoned after `PAYMENT_ABANDON_AFTER`, giving the stock or slot back.

    With a `payment_method`, also charges it at once (`order_pay`), for checkouts that take the card with the
    order: a declined card then raises a ValidationError on `payment_method` after giving the stock or slot back."""
    if payment_method is not None and not payment_method:
        raise ValidationError({"payment_method": [_("Choose a payment method.")]})
    order = _order_reserve(
        buyer=buyer, listing_id=listing_id, quantity=quantity, start=start, end=end, gateway_name=gateway_get().name
    )
    if payment_method is None:
        return order
    return order_pay(order_id=order.pk, buyer=buyer, payment_method=payment_method)


def order_pay(*, order_id: int, buyer: Member, payment_method: str) -> Order:
    """Charges the buyer for an order awaiting payment (steps 2 and 3 of the module docstring).

    Returns the order: `paid`, `requested` (a request to book, charged and held in escrow until the seller
    answers), or still `pending_payment` when the card needs authentication (then `order_payment_confirm`). A
    declined card cancels the order, gives the stock or slot back and raises a ValidationError on
    `payment_method` with the gateway's message for the buyer."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise Http404
    _require_role(order, buyer, CancelledBy.BUYER)
    if not payment_method:
        raise ValidationError({"payment_method": [_("Choose a payment method.")]})
    if order.state != OrderState.PENDING_PAYMENT:
        raise ValidationError({"state": [_("This order is not waiting for a payment.")]})
    if order.charge_reference:
        raise ValidationError({"state": [_("This payment is waiting for you to confirm it with your bank.")]})
    result = gateway_get(order.gateway).charge(
        amount=order.total,
        currency=order.currency,
        payment_method=payment_method,
        idempotency_key=_charge_key(order),
        transfer_group=order.transfer_group,
        description=f"Guildhall order {order.reference}",
    )
    order = order_payment_record(order_id=order.pk, result=result)
    _raise_if_refused(result)
    return order


def order_payment_confirm(*, order_id: int, buyer: Member) -> Order:
    """Completes a payment that needed authentication (3-D Secure), once the buyer has authenticated."""
    order = Order.objects.filter(pk=order_id, buyer=buyer).first()
    if order is None:
        raise Http404
    if order.state != OrderState.PENDING_PAYMENT or not order.charge_reference:
        raise ValidationError({"state": [_("This order is not waiting for a payment.")]})
    result = gateway_get(order.gateway).charge_confirm(
        reference=order.charge_reference, idempotency_key=f"{_charge_key(order)}:confirm"
    )
    order = order_payment_record(order_id=order.pk, result=result)
    _raise_if_refused(result)
    return order


def order_payment_intent_prepare(*, order_id: int, buyer: Member) -> Order:
    """The stripe gateway's card step: the order's PaymentIntent, created once for the total computed here (the
    idempotency key names the order, so a reload or a second tab gets the same one) and kept on the order with its
    client secret for Stripe.js. A PaymentIntent that already succeeded (paid in another tab, the webhook not yet
    here) is recorded instead."""
    from orders.gateways import stripe as stripe_gateway

    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise Http404
    _require_role(order, buyer, CancelledBy.BUYER)
    if order.gateway != stripe_gateway.StripeGateway.name:
        raise ValidationError({"state": [_("This order is not paid through Stripe.")]})
    if order.state != OrderState.PENDING_PAYMENT:
        raise ValidationError({"state": [_("This order is not waiting for a payment.")]})
    if order.charge_reference:
        intent = stripe_gateway.payment_intent_retrieve(order.charge_reference)
    else:
        intent = stripe_gateway.payment_intent_create(
            amount=order.total,
            currency=order.currency,
            transfer_group=order.transfer_group,
            idempotency_key=f"{_charge_key(order)}:intent",
            description=f"Guildhall order {order.reference}",
        )
    if intent["status"] in {"succeeded", "canceled"}:
        return order_payment_record(order_id=order.pk, result=stripe_gateway.charge_result(intent))
    with transaction.atomic():
        order = _order_locked(order.pk)
        if order.state == OrderState.PENDING_PAYMENT and not order.charge_reference:
            order.charge_reference = intent["id"]
            order.payment_client_secret = intent["client_secret"]
            order.save(update_fields=["charge_reference", "payment_client_secret", "updated_at"])
    return order


def order_payment_intent_settle(*, order_id: int, buyer: Member, payment_intent: str) -> tuple[Order, ChargeResult]:
    """The buyer's browser came back from Stripe.js: asks Stripe how the order's PaymentIntent stands (never the
    query string) and records a success (or a cancelled PaymentIntent). A declined card leaves the order waiting
    for another card. Idempotent with the webhook: `order_payment_record` records a payment once.

    Raises Http404 for a PaymentIntent that is not this order's."""
    from orders.gateways import stripe as stripe_gateway

    order = Order.objects.filter(pk=order_id, buyer=buyer, gateway=stripe_gateway.StripeGateway.name).first()
    if order is None or not payment_intent or payment_intent != order.charge_reference:
        raise Http404
    intent = stripe_gateway.payment_intent_retrieve(payment_intent)
    if intent.get("transfer_group") != order.transfer_group or int(intent["amount"]) != order.total:
        raise Http404
    result = stripe_gateway.charge_result(intent)
    if result.status in {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}:
        order = order_payment_record(order_id=order.pk, result=result)
    return order, result


def _raise_if_refused(result: ChargeResult) -> None:
    if result.status in {PaymentStatus.DECLINED, PaymentStatus.FAILED}:
        raise ValidationError({"payment_method": [result.message or _("The payment did not go through.")]})


@transaction.atomic
def order_payment_record(*, order_id: int, result: ChargeResult) -> Order:
    """Records a gateway's answer for an order's charge. Idempotent: an order that has left `pending_payment`
    is returned as it is (a webhook may bring the same answer again, or late)."""
    order = _order_locked(order_id)
    if order.state != OrderState.PENDING_PAYMENT:
        if result.succeeded and order.state in RELEASED_HOLD_STATES:
            _late_payment_return(order, result)
        return order
    now = timezone.now()
    if result.status == PaymentStatus.SUCCEEDED:
        if result.amount != order.total or result.currency != order.currency:
            raise LedgerError(
                f"Order {order.reference} costs {order.total} {order.currency}; "
                f"the gateway charged {result.amount} {result.currency}."
            )
        escrow_fund(order=order, amount=order.total, idempotency_key=_charge_key(order))
        if result.fee:
            processor_fee_record(
                order=order, amount=result.fee, idempotency_key=f"order:{order.reference}:processor-fee"
            )
        payment = {"charge_reference": result.reference, "payment_client_secret": "", "paid_at": now}
        if order.instant_book:
            _transition(order, OrderState.PAID, actor=order.buyer, amount=order.total, **payment)
            _notify(order, "order_placed", "buyer")
            _notify(order, "order_received", "seller")
        else:
            respond_by = min(now + REQUEST_RESPONSE_WINDOW, order.starts_at or now + REQUEST_RESPONSE_WINDOW)
            _transition(
                order, OrderState.REQUESTED, actor=order.buyer, amount=order.total, respond_by=respond_by, **payment
            )
            _notify(order, "request_sent", "buyer")
            _notify(order, "request_received", "seller")
    elif result.status == PaymentStatus.REQUIRES_ACTION:
        order.charge_reference = result.reference
        order.payment_client_secret = result.client_secret
        order.save(update_fields=["charge_reference", "payment_client_secret", "updated_at"])
    else:
        _transition(
            order,
            OrderState.CANCELLED,
            actor=None,
            note=result.message or "The payment did not go through.",
            cancelled_at=now,
            cancelled_by=CancelledBy.SYSTEM,
        )
        _hold_release(order)
    return order


def _late_payment_return(order: Order, result: ChargeResult) -> None:
    """A charge that succeeded after its order was given up (abandoned, say, then authenticated; or a webhook
    arriving late): the money is taken into escrow and sent straight back, so the books show both."""
    if LedgerTransaction.objects.filter(idempotency_key=_charge_key(order)).exists():
        return
    escrow_fund(order=order, amount=result.amount, idempotency_key=_charge_key(order))
    order.charge_reference = result.reference
    order.save(update_fields=["charge_reference", "updated_at"])
    OrderEvent.objects.create(
        order=order,
        from_state=order.state,
        to_state=order.state,
        note="Payment arrived after the order was closed: refunded.",
        amount=result.amount,
    )
    _refund(order, amount=result.amount, key=f"order:{order.reference}:refund:late-payment")


@transaction.atomic
def order_payment_abandon(*, order_id: int) -> Order:
    """Cancels an order whose payment was never completed, once `PAYMENT_ABANDON_AFTER` has passed."""
    order = _order_locked(order_id)
    now = timezone.now()
    if order.state != OrderState.PENDING_PAYMENT:
        raise ValidationError({"state": [_("This order is not waiting for a payment.")]})
    if order.created_at + PAYMENT_ABANDON_AFTER > now:
        raise ValidationError({"state": [_("The buyer may still complete this payment.")]})
    _transition(
        order,
        OrderState.CANCELLED,
        actor=None,
        note="Payment not completed.",
        cancelled_at=now,
        cancelled_by=CancelledBy.SYSTEM,
    )
    _hold_release(order)
    return order


# --- Requests to book -------------------------------------------------------------------------------------


@transaction.atomic
def order_accept(*, order_id: int, seller: Member) -> Order:
    """The seller accepts a request to book: the money already in escrow makes it paid."""
    order = _order_locked(order_id)
    _require_role(order, seller, CancelledBy.SELLER)
    now = timezone.now()
    _check_move(order, OrderState.ACCEPTED)
    if order.respond_by and now > order.respond_by:
        raise ValidationError({"state": [_("This request has expired.")]})
    _transition(order, OrderState.ACCEPTED, actor=seller, accepted_at=now)
    _transition(order, OrderState.PAID, actor=seller)
    _notify(order, "request_accepted", "buyer")
    return order


@transaction.atomic
def order_decline(*, order_id: int, seller: Member, note: str = "") -> Order:
    """The seller declines a request to book: the buyer gets everything back."""
    order = _order_locked(order_id)
    _require_role(order, seller, CancelledBy.SELLER)
    held = escrow_balance(order=order)
    _transition(order, OrderState.DECLINED, actor=seller, note=note, amount=held, cancelled_at=timezone.now())
    _refund(order, amount=held, key=f"order:{order.reference}:refund:declined")
    _hold_release(order)
    _assert_escrow_empty(order)
    _notify(order, "request_declined", "buyer")
    return order


@transaction.atomic
def order_expire(*, order_id: int) -> Order:
    """A request the seller did not answer in time expires: the buyer gets everything back."""
    order = _order_locked(order_id)
    now = timezone.now()
    _check_move(order, OrderState.EXPIRED)
    if order.respond_by is None or order.respond_by > now:
        raise ValidationError({"state": [_("The seller still has time to answer this request.")]})
    held = escrow_balance(order=order)
    _transition(order, OrderState.EXPIRED, actor=None, amount=held, cancelled_at=now)
    _refund(order, amount=held, key=f"order:{order.reference}:refund:expired")
    _hold_release(order)
    _assert_escrow_empty(order)
    _notify(order, "request_expired", "buyer")
    return order


# --- Cancellations and refunds ----------------------------------------------------------------------------


@transaction.atomic
def order_cancel(*, order_id: int, actor: Member, note: str = "") -> Order:
    """The buyer or the seller cancels.

    The buyer gets back what the cancellation policy says (orders.policies): everything for a request the seller
    has not accepted and for an item not yet delivered. The seller's cancellation always refunds everything and
    is recorded against the seller (`cancelled_by`, read by `selectors.seller_cancellations_count`). What the
    policy keeps is released to the seller and the platform at once: a cancelled order holds nothing."""
    order = _order_locked(order_id)
    role = _role_of(order, actor)
    _check_move(order, OrderState.CANCELLED)
    if role == CancelledBy.SELLER and order.state == OrderState.REQUESTED:
        raise ValidationError({"state": [_("Decline the request instead.")]})
    now = timezone.now()
    held = escrow_balance(order=order)
    refund = cancellation_refund(order=order, role=role, held=held, now=now)
    _transition(order, OrderState.CANCELLED, actor=actor, note=note, amount=refund, cancelled_at=now, cancelled_by=role)
    _refund(order, amount=refund, key=f"order:{order.reference}:refund:cancelled")
    if _release_rest(order):
        order.released_at = now
        order.save(update_fields=["released_at", "updated_at"])
    _hold_release(order)
    _assert_escrow_empty(order)
    _notify(order, "order_cancelled", "seller" if role == CancelledBy.BUYER else "buyer")
    return order


@transaction.atomic
def order_refund(*, order_id: int, seller: Member, amount: int, note: str = "", idempotency_key: str = "") -> Order:
    """A partial refund the seller grants while the money is held; the rest is released as usual later. To
    refund everything, the seller cancels. Give an `idempotency_key` (e.g. from the form) so that a repeated
    request refunds once."""
    order = _order_locked(order_id)
    _require_role(order, seller, CancelledBy.SELLER)
    key_base = f"order:{order.reference}:refund:"
    if idempotency_key and Refund.objects.filter(idempotency_key=key_base + idempotency_key).exists():
        return order
    if order.state not in {OrderState.PAID, OrderState.FULFILLED}:
        raise ValidationError({"state": [_("Only a paid order can be partly refunded.")]})
    held = escrow_balance(order=order)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount < held:
        raise ValidationError(
            {
                "amount": [
                    _("Refund between %(low)s and %(high)s; to refund everything, cancel the order.")
                    % {"low": money_display(1, order.currency), "high": money_display(held - 1, order.currency)}
                ]
            }
        )
    event = OrderEvent.objects.create(
        order=order, from_state=order.state, to_state=order.state, actor=seller, note=note, amount=amount
    )
    _refund(order, amount=amount, key=key_base + (idempotency_key or f"event-{event.pk}"))
    _notify(order, "order_refunded", "buyer")
    return order


def refund_send(*, refund_id: int) -> Refund:
    """Carries out a booked refund through the gateway (after commit, and again by the retry task while it is
    pending). The same idempotency key each time: the buyer is refunded once."""
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    if refund.status != GatewayCallStatus.PENDING:
        return refund
    result = gateway_get(refund.order.gateway).refund(
        charge_reference=refund.order.charge_reference, amount=refund.amount, idempotency_key=refund.idempotency_key
    )
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == GatewayCallStatus.PENDING:
            refund.status = GatewayCallStatus.SUCCEEDED if result.succeeded else GatewayCallStatus.FAILED
            refund.gateway_reference = result.reference
            refund.message = result.message[:255]
            refund.sent_at = timezone.now()
            refund.save(update_fields=["status", "gateway_reference", "message", "sent_at"])
    return refund


# --- Fulfilment, completion, release ----------------------------------------------------------------------


@transaction.atomic
def order_fulfil(*, order_id: int, actor: Member | None = None) -> Order:
    """The seller marks an item delivered; a booking is fulfilled once it has ended (by the seller, or by the
    beat task with no actor)."""
    order = _order_locked(order_id)
    now = timezone.now()
    if actor is not None:
        _require_role(order, actor, CancelledBy.SELLER)
    _check_move(order, OrderState.FULFILLED)
    if order.kind == ListingKind.ITEM:
        if actor is None:
            raise PermissionDenied(_("Only the seller can mark an item delivered."))
    elif order.ends_at and order.ends_at > now:
        raise ValidationError({"state": [_("A booking is fulfilled once it has ended.")]})
    _transition(order, OrderState.FULFILLED, actor=actor, fulfilled_at=now)
    _notify(order, "order_delivered" if order.kind == ListingKind.ITEM else "booking_ended", "buyer")
    return order


def completion_due_at(order: Order) -> datetime | None:
    """When a fulfilled order completes by itself, unless the buyer confirms or disputes first."""
    if order.kind == ListingKind.ITEM:
        return order.fulfilled_at + ITEM_AUTO_COMPLETE_AFTER if order.fulfilled_at else None
    return order.ends_at + BOOKING_AUTO_COMPLETE_AFTER if order.ends_at else None


@transaction.atomic
def order_complete(*, order_id: int, actor: Member | None = None) -> Order:
    """The buyer confirms all is well (or the timeout passes, with no actor): the order completes and its money
    is released to the payees and the platform. A disputed order cannot complete (TRANSITIONS)."""
    order = _order_locked(order_id)
    now = timezone.now()
    if actor is not None:
        _require_role(order, actor, CancelledBy.BUYER)
    _check_move(order, OrderState.COMPLETED)
    if actor is None:
        due = completion_due_at(order)
        if due is None or due > now:
            raise ValidationError({"state": [_("This order does not complete by itself yet.")]})
    _transition(order, OrderState.COMPLETED, actor=actor, completed_at=now)
    released = _release_rest(order)
    _transition(order, OrderState.RELEASED, actor=None, amount=released, released_at=now)
    _assert_escrow_empty(order)
    _notify(order, "order_released", "seller")
    transaction.on_commit(lambda: order_completed.send(sender=Order, order=order))
    return order


# --- Disputes ---------------------------------------------------------------------------------------------


def _is_moderator(member: Member) -> bool:
    return bool(member.is_staff or member.has_role(Role.MODERATOR))


def _text_clean(value: str, *, field: str, required_message: str, limit: int = DISPUTE_TEXT_MAX_CHARS) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [required_message]})
    if len(value) > limit:
        raise ValidationError({field: [_("Keep it under %(limit)s characters.") % {"limit": f"{limit:,}"}]})
    return value


def _evidence_check(files: Sequence) -> list[bool]:
    """Checks each file before anything is saved: an image or PDF within the size and pixel limits, by content.
    Returns whether each one is an image."""
    if len(files) > DISPUTE_MAX_FILES:
        raise ValidationError({"evidence": [_("Add at most %(n)s files at a time.") % {"n": DISPUTE_MAX_FILES}]})
    kinds = []
    for file in files:
        try:
            validate_document(file)
        except ValidationError as error:
            name = os.path.basename(str(getattr(file, "name", "") or ""))[:60]
            raise ValidationError(
                {"evidence": [_("%(name)s: %(problem)s") % {"name": name, "problem": " ".join(error.messages)}]}
            ) from error
        file.seek(0)
        kinds.append(file.read(5) != b"%PDF-")
        file.seek(0)
    return kinds


def _evidence_store(dispute: Dispute, member: Member, files: Sequence, kinds: list[bool]) -> None:
    for file, is_image in zip(files, kinds, strict=True):
        original = os.path.basename(str(getattr(file, "name", "") or "").replace("\\", "/"))
        stored_name = safe_upload_name(file, stem="evidence")
        extension = stored_name.rsplit(".", 1)[-1]
        stem = re.sub(r"[^\w.\- ()]+", "-", os.path.splitext(original)[0]).strip(" .-")[:60] or "evidence"
        file.name = stored_name
        DisputeEvidence.objects.create(
            dispute=dispute,
            uploaded_by=member,
            file=file,
            name=f"{stem}.{extension}",
            size=getattr(file, "size", 0) or 0,
            is_image=is_image,
        )


def _dispute_locked(order_id: int) -> tuple[Order, Dispute]:
    """The order and its dispute, both locked (the order first, as every order service locks it)."""
    order = _order_locked(order_id)
    dispute = Dispute.objects.select_for_update().filter(order=order).first()
    if dispute is None:
        raise ValidationError({"state": [_("There is no dispute on this order.")]})
    return order, dispute


def _dispute_party_or_moderator(order: Order, member: Member) -> str:
    """The member's part in a dispute: buyer, seller or moderator; anyone else is told it does not exist."""
    if member.pk in (order.buyer_id, order.seller_id):
        return _role_of(order, member)
    if _is_moderator(member):
        return "moderator"
    raise Http404


def _dispute_require_open(dispute: Dispute) -> None:
    if not dispute.is_open:
        raise ValidationError({"state": [_("This dispute is closed.")]})


def _dispute_outcome(refund_amount: int, held: int) -> str:
    if refund_amount == 0:
        return DisputeOutcome.RELEASE
    return DisputeOutcome.FULL_REFUND if refund_amount >= held else DisputeOutcome.PARTIAL_REFUND


def _dispute_close(
    order: Order, dispute: Dispute, *, refund_amount: int, actor: Member, note: str, status: str
) -> Order:
    """Ends a dispute: `refund_amount` back to the buyer, what escrow still holds released as usual."""
    held = escrow_balance(order=order)
    if not isinstance(refund_amount, int) or isinstance(refund_amount, bool) or not 0 <= refund_amount <= held:
        raise ValidationError(
            {"refund_amount": [_("Refund from 0 to %(n)s.") % {"n": money_display(held, order.currency)}]}
        )
    now = timezone.now()
    _transition(order, OrderState.RESOLVED, actor=actor, note=note, amount=refund_amount)
    _refund(order, amount=refund_amount, key=f"order:{order.reference}:refund:resolved")
    if _release_rest(order):
        order.released_at = now
        order.save(update_fields=["released_at", "updated_at"])
    _assert_escrow_empty(order)
    dispute.status = status
    dispute.outcome = _dispute_outcome(refund_amount, held)
    dispute.refund_amount = refund_amount
    dispute.closed_at = now
    dispute.save(update_fields=["status", "outcome", "refund_amount", "closed_at"])
    dispute.proposals.filter(status=ProposalStatus.PENDING).update(status=ProposalStatus.WITHDRAWN, answered_at=now)
    return order


@transaction.atomic
def order_dispute_open(
    *,
    order_id: int,
    buyer: Member,
    note: str,
    category: str = DisputeCategory.OTHER,
    evidence: Sequence = (),
) -> Order:
    """The buyer reports a problem while the money is held: escrow is frozen (a disputed order neither completes
    nor releases), the seller has `DISPUTE_SELLER_RESPONSE_WINDOW` to answer, and the parties may settle between
    themselves until `DISPUTE_SETTLEMENT_WINDOW` has passed; then a moderator decides (`order_dispute_resolve`).
    `evidence`: images or PDFs, checked by content and stored privately."""
    order = _order_locked(order_id)
    _require_role(order, buyer, CancelledBy.BUYER)
    note = _text_clean(note, field="note", required_message=_("Say what went wrong."))
    if category not in DisputeCategory.values:
        raise ValidationError({"category": [_("Choose what went wrong.")]})
    _check_move(order, OrderState.DISPUTED)
    kinds = _evidence_check(evidence)
    now = timezone.now()
    _transition(order, OrderState.DISPUTED, actor=buyer, note=note)
    dispute = Dispute.objects.create(
        order=order,
        opened_by=buyer,
        category=category,
        description=note,
        respond_by=now + DISPUTE_SELLER_RESPONSE_WINDOW,
        settle_by=now + DISPUTE_SETTLEMENT_WINDOW,
    )
    _evidence_store(dispute, buyer, evidence, kinds)
    _notify(order, "dispute_opened", "seller")
    return order


@transaction.atomic
def dispute_message_add(*, order_id: int, author: Member, body: str, evidence: Sequence = ()) -> DisputeMessage | None:
    """A party (or a moderator) writes in an open dispute, with optional evidence files. The seller's first
    message is their answer: it stops the clock of `DISPUTE_SELLER_RESPONSE_WINDOW`."""
    order, dispute = _dispute_locked(order_id)
    role = _dispute_party_or_moderator(order, author)
    _dispute_require_open(dispute)
    kinds = _evidence_check(evidence)
    body = (body or "").strip()
    if not body and not evidence:
        raise ValidationError({"body": [_("Write a message or add a file.")]})
    if len(body) > DISPUTE_TEXT_MAX_CHARS:
        limit = f"{DISPUTE_TEXT_MAX_CHARS:,}"
        raise ValidationError({"body": [_("Keep it under %(limit)s characters.") % {"limit": limit}]})
    message = DisputeMessage.objects.create(dispute=dispute, author=author, body=body) if body else None
    _evidence_store(dispute, author, evidence, kinds)
    if role == CancelledBy.SELLER and dispute.seller_responded_at is None:
        dispute.seller_responded_at = timezone.now()
        dispute.save(update_fields=["seller_responded_at"])
    if role != CancelledBy.BUYER:
        _notify(order, "dispute_message", "buyer")
    if role != CancelledBy.SELLER:
        _notify(order, "dispute_message", "seller")
    return message


@transaction.atomic
def dispute_proposal_create(*, order_id: int, member: Member, refund_amount: int, note: str = "") -> SettlementProposal:
    """A party proposes a settlement: `refund_amount` back to the buyer, the rest to the seller. It replaces the
    party's or the other party's proposal still waiting for an answer."""
    order, dispute = _dispute_locked(order_id)
    role = _role_of(order, member)
    _dispute_require_open(dispute)
    held = escrow_balance(order=order)
    if not isinstance(refund_amount, int) or isinstance(refund_amount, bool) or not 0 <= refund_amount <= held:
        raise ValidationError(
            {"refund_amount": [_("Propose a refund from 0 to %(n)s.") % {"n": money_display(held, order.currency)}]}
        )
    note = (note or "").strip()[:DISPUTE_TEXT_MAX_CHARS]
    now = timezone.now()
    dispute.proposals.filter(status=ProposalStatus.PENDING).update(status=ProposalStatus.WITHDRAWN, answered_at=now)
    proposal = SettlementProposal.objects.create(
        dispute=dispute, proposed_by=member, refund_amount=refund_amount, note=note
    )
    if role == CancelledBy.SELLER and dispute.seller_responded_at is None:
        dispute.seller_responded_at = now
        dispute.save(update_fields=["seller_responded_at"])
    _notify(order, "dispute_proposal", "seller" if role == CancelledBy.BUYER else "buyer")
    return proposal


def _proposal_locked(proposal_id: int, member: Member) -> tuple[Order, Dispute, SettlementProposal]:
    order_id = SettlementProposal.objects.filter(pk=proposal_id).values_list("dispute__order_id", flat=True).first()
    if order_id is None:
        raise Http404
    order, dispute = _dispute_locked(order_id)
    _role_of(order, member)  # strangers: 404
    proposal = SettlementProposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != ProposalStatus.PENDING:
        raise ValidationError({"state": [_("This proposal is no longer open.")]})
    _dispute_require_open(dispute)
    return order, dispute, proposal


@transaction.atomic
def dispute_proposal_accept(*, proposal_id: int, member: Member) -> Order:
    """The other party accepts a proposal: the dispute is settled, the refund and the release are booked."""
    order, dispute, proposal = _proposal_locked(proposal_id, member)
    if proposal.proposed_by_id == member.pk:
        raise PermissionDenied(_("The other party has to accept your proposal."))
    proposal.status = ProposalStatus.ACCEPTED
    proposal.answered_at = timezone.now()
    proposal.save(update_fields=["status", "answered_at"])
    note = _("Settled by agreement: %(refund)s back to the buyer.") % {
        "refund": money_display(proposal.refund_amount, order.currency)
    }
    order = _dispute_close(
        order, dispute, refund_amount=proposal.refund_amount, actor=member, note=note, status=DisputeStatus.SETTLED
    )
    _notify(order, "dispute_settled", "buyer")
    _notify(order, "dispute_settled", "seller")
    return order


@transaction.atomic
def dispute_proposal_decline(*, proposal_id: int, member: Member) -> SettlementProposal:
    """The other party turns a proposal down (or its author withdraws it); the dispute stays open."""
    order, _dispute, proposal = _proposal_locked(proposal_id, member)
    mine = proposal.proposed_by_id == member.pk
    proposal.status = ProposalStatus.WITHDRAWN if mine else ProposalStatus.DECLINED
    proposal.answered_at = timezone.now()
    proposal.save(update_fields=["status", "answered_at"])
    if not mine:
        _notify(order, "dispute_proposal_declined", "buyer" if member.pk == order.seller_id else "seller")
    return proposal


@transaction.atomic
def dispute_escalate(*, order_id: int, actor: Member | None = None) -> Dispute:
    """Hands an open dispute to the moderators: at a party's request at any time, or by the beat task (no actor)
    once the seller has not answered within `DISPUTE_SELLER_RESPONSE_WINDOW` or the parties have not settled
    within `DISPUTE_SETTLEMENT_WINDOW`."""
    order, dispute = _dispute_locked(order_id)
    if actor is not None:
        _role_of(order, actor)
    if dispute.status != DisputeStatus.OPEN:
        raise ValidationError({"state": [_("This dispute is already with a moderator or closed.")]})
    now = timezone.now()
    if actor is None:
        unanswered = dispute.seller_responded_at is None and dispute.respond_by <= now
        if not unanswered and dispute.settle_by > now:
            raise ValidationError({"state": [_("The parties still have time to settle this dispute.")]})
    dispute.status = DisputeStatus.ESCALATED
    dispute.escalated_at = now
    dispute.save(update_fields=["status", "escalated_at"])
    OrderEvent.objects.create(
        order=order,
        from_state=order.state,
        to_state=order.state,
        actor=actor,
        note="Handed to a moderator." if actor else "Handed to a moderator: no agreement in time.",
    )
    _notify(order, "dispute_escalated", "buyer")
    _notify(order, "dispute_escalated", "seller")
    _moderators_notify(order)
    return dispute


def _moderators_notify(order: Order) -> None:
    from community.notifications.services import notification_send

    url = reverse("admin:orders_dispute_change", args=[order.dispute.pk])
    text = _("A dispute needs a decision: order for “%(title)s”.") % {"title": order.listing.title}
    moderators = (
        Member.objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(role_grants__role=Role.MODERATOR))
        .exclude(pk__in=[order.buyer_id, order.seller_id])
        .distinct()
        .order_by("pk")[:MODERATORS_NOTIFIED]
    )
    for moderator in moderators:
        notification_send(member=moderator, kind="moderation", text=text, url=url)


@transaction.atomic
def order_dispute_resolve(*, order_id: int, moderator: Member, refund_amount: int, note: str = "") -> Order:
    """A moderator decides a dispute with written reasons (shown to both parties): `refund_amount` back to the
    buyer (0: all to the seller; everything held: a full refund), the rest released as usual."""
    if not _is_moderator(moderator):
        raise PermissionDenied(_("Only moderators resolve disputes."))
    order = _order_locked(order_id)
    _check_move(order, OrderState.RESOLVED)
    note = _text_clean(note, field="note", required_message=_("Give the reasons for the decision."))
    dispute = Dispute.objects.select_for_update().filter(order=order).first()
    if dispute is None:  # disputed before disputes had their own record
        dispute = Dispute.objects.create(
            order=order, opened_by=order.buyer, description=note, respond_by=timezone.now(), settle_by=timezone.now()
        )
    order = _dispute_close(
        order, dispute, refund_amount=refund_amount, actor=moderator, note=note, status=DisputeStatus.DECIDED
    )
    dispute.decided_by = moderator
    dispute.decision_note = note
    dispute.save(update_fields=["decided_by", "decision_note"])
    _notify(order, "dispute_resolved", "buyer")
    _notify(order, "dispute_resolved", "seller")
    return order


# --- Reminders --------------------------------------------------------------------------------------------


REMINDER_EMAILS = {
    "request_expiring": "seller",
    "item_auto_complete": "buyer",
    "booking_auto_complete": "buyer",
}


@transaction.atomic
def order_reminder_send(*, order_id: int, kind: str) -> bool:
    """Queues a reminder email once per order and kind; returns whether it was queued now."""
    try:
        with transaction.atomic():
            OrderReminder.objects.create(order_id=order_id, kind=kind)
    except IntegrityError:
        return False
    order = Order.objects.get(pk=order_id)
    _notify(order, kind, REMINDER_EMAILS[kind])
    return True


# --- Payouts ----------------------------------------------------------------------------------------------


def payout_minimum() -> int:
    return int(getattr(settings, "PAYOUT_MINIMUM", DEFAULT_PAYOUT_MINIMUM))


@transaction.atomic
def payout_create(*, seller: Member) -> list[Payout]:
    """Pays the seller their whole available balance in each currency where it reaches `PAYOUT_MINIMUM`.

    The ledger moves the money to paid-out first, under a lock on the payable account, so two requests cannot
    pay the same balance; the gateway call follows after commit (`payout_send`) and a failure is booked back."""
    minimum = payout_minimum()
    accounts = list(
        Account.objects.select_for_update().filter(kind=AccountKind.SELLER_PAYABLE, owner=seller).order_by("pk")
    )
    payouts = []
    for account in accounts:
        balance = account_balance(account=account)
        if balance < minimum:
            continue
        payout = Payout.objects.create(
            seller=seller, amount=balance, currency=account.currency, idempotency_key=f"payout:{uuid.uuid4().hex}"
        )
        payable_pay_out(
            seller=seller, currency=account.currency, amount=balance, idempotency_key=payout.idempotency_key
        )
        payouts.append(payout)
    if not payouts:
        raise ValidationError(
            {
                "amount": [
                    _("Payouts start from %(minimum)s; your available balance is below that.")
                    % {"minimum": money_display(minimum, accounts[0].currency if accounts else "GBP")}
                ]
            }
        )
    from orders.tasks import payout_send as payout_send_task

    for payout in payouts:
        payout_id = payout.pk
        transaction.on_commit(lambda payout_id=payout_id: payout_send_task.delay(payout_id), robust=True)
    return payouts


def payouts_scheduled() -> list[Payout]:
    """The weekly payout run (Celery beat `orders.payouts_scheduled`): every seller whose available balance reaches
    `PAYOUT_MINIMUM` in some currency is paid it, each seller in their own transaction so one failure stops no one
    else. Safe to run again: money already paid out has left the payable account, so a second run in the same week
    pays only what was released in between."""
    minimum = payout_minimum()
    seller_ids = list(
        Entry.objects.filter(account__kind=AccountKind.SELLER_PAYABLE)
        .values("account__owner_id", "account__currency")
        .annotate(balance=Sum("amount"))
        .filter(balance__gte=minimum)
        .values_list("account__owner_id", flat=True)
        .distinct()
        .order_by("account__owner_id")
    )
    payouts: list[Payout] = []
    for seller in Member.objects.filter(pk__in=seller_ids, is_active=True).order_by("pk"):
        try:
            payouts += payout_create(seller=seller)
        except ValidationError:  # the balance moved under us (a refund, a payout on request): nothing to pay now
            continue
    return payouts


def payout_send(*, payout_id: int) -> Payout:
    """Sends a booked payout through the gateway; a refusal returns the money to the seller's balance."""
    payout = Payout.objects.select_related("seller").get(pk=payout_id)
    if payout.status != GatewayCallStatus.PENDING:
        return payout
    from orders.connect import is_order_transfer, order_transfer_resend

    if is_order_transfer(payout):  # a release's transfer whose answer was lost: sent again as that transfer
        return order_transfer_resend(payout_id=payout.pk)
    result = gateway_get().payout(
        seller=payout.seller, amount=payout.amount, currency=payout.currency, idempotency_key=payout.idempotency_key
    )
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status != GatewayCallStatus.PENDING:
            return payout
        payout.gateway_reference = result.reference
        payout.message = result.message[:255]
        payout.sent_at = timezone.now()
        if result.succeeded:
            payout.status = GatewayCallStatus.SUCCEEDED
        else:
            payout.status = GatewayCallStatus.FAILED
            payout_reverse(
                seller=payout.seller,
                currency=payout.currency,
                amount=payout.amount,
                idempotency_key=f"{payout.idempotency_key}:reversal",
            )
        payout.save(update_fields=["status", "gateway_reference", "message", "sent_at"])
    return payout
