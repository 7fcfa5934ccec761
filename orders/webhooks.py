"""Stripe webhooks: `POST /webhooks/stripe/`, then processing in Celery.

Receiving (the view: no CSRF, no session, no login):
- the `Stripe-Signature` header must verify against `STRIPE_WEBHOOK_SECRET` (the platform endpoint) or
  `STRIPE_CONNECT_WEBHOOK_SECRET` (the Connect endpoint, for events on sellers' accounts), with a signature no
  older than 300 seconds; anything else is a 400;
- the event is stored by its id (unique) with its payload before anything else happens; a redelivery of a stored
  event answers 200 and does nothing more (unless its processing has not succeeded yet: then it is queued again);
- processing is queued to Celery and the view answers 200 as soon as the event is stored.

Processing (`orders.stripe_event_process`) is idempotent and safe in any order. An event is a dated hint; the
rules never move our state backwards:
- `payment_intent.succeeded`: reads the PaymentIntent (with Stripe's fee) and records the payment on the order
  (`order_payment_record`, itself idempotent). A success is final: a later failure event cannot undo it.
- `payment_intent.payment_failed`: reads the PaymentIntent *now*: a cancelled one cancels a waiting order; a
  declined card leaves the order waiting for another card (the Payment Element lets the buyer retry); a failure
  delivered after the success is ignored.
- `charge.refunded`, `refund.created`/`refund.updated`/`charge.refund.updated`: reads the charge's refunds and
  settles our pending Refund rows by the idempotency key in their metadata; a refund we did not ask for is logged
  for the operators. The mirror's refunded amount only grows.
- `account.updated`: applied if newer than the account's state (`synced_at`), ignored if older; on a tie (two
  changes in one second) the account is read from Stripe.
- `transfer.created`/`transfer.updated`/`transfer.reversed`: recorded (the reversed amount only grows); a pending
  Payout named by the transfer's metadata is settled.
- `payout.*` on a connected account: recorded (paid, failed and canceled are final).
- any other type is stored and marked ignored.

A handler that raises (Stripe or the database unavailable) leaves the event `failed` with the error; Celery
retries it with backoff, and the `orders.stripe_events_retry` beat task queues whatever is still unprocessed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders import services
from orders.connect import stripe_account_apply, stripe_account_refresh
from orders.gateways import PaymentStatus
from orders.gateways import stripe as stripe_gateway
from orders.models import (
    GatewayCallStatus,
    Order,
    OrderState,
    Payout,
    Refund,
    StripeAccount,
    StripeConnectedPayout,
    StripeEvent,
    StripeEventStatus,
    StripePayment,
    StripeTransfer,
)

logger = logging.getLogger(__name__)

SIGNATURE_TOLERANCE = 300  # seconds: an older signature is refused (replay protection)
MAX_RETRIES = 8  # Celery retries of one delivery, with backoff from 30 s to an hour
SWEEP_AFTER = timedelta(minutes=10)  # the beat task queues events still unprocessed after this
SWEEP_MAX_ATTEMPTS = 30  # ...until they have failed this often; then they wait for an operator
DONE = (StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED)


# --- Receiving --------------------------------------------------------------------------------------------


def _secrets() -> list[str]:
    return [
        secret
        for secret in (
            getattr(settings, "STRIPE_WEBHOOK_SECRET", ""),
            getattr(settings, "STRIPE_CONNECT_WEBHOOK_SECRET", ""),
        )
        if secret
    ]


def _signed(payload: bytes, header: str, secrets: list[str]) -> bool:
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=SIGNATURE_TOLERANCE)
        except stripe.SignatureVerificationError:
            continue
        return True
    return False


def stripe_event_store(*, payload: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Stores a verified event once; returns it and whether it is new."""
    return StripeEvent.objects.get_or_create(
        event_id=payload["id"],
        defaults={
            "type": payload["type"],
            "account": payload.get("account") or "",
            "created": datetime.fromtimestamp(int(payload["created"]), tz=UTC),
            "payload": payload,
        },
    )


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    secrets = _secrets()
    if not secrets:
        return HttpResponse(status=404)
    if not _signed(request.body, request.headers.get("Stripe-Signature", ""), secrets):
        return HttpResponseBadRequest("Invalid or expired signature.")
    try:
        payload = json.loads(request.body)
        event, created = stripe_event_store(payload=payload)
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest("Not a Stripe event.")
    if created or event.status not in DONE:
        try:
            stripe_event_process_task.delay(event.pk)
        except Exception:
            # Stored: the sweep task processes it later. Stripe need not send it again.
            logger.exception("Stripe event %s stored but not queued", event.event_id)
    return JsonResponse({"received": True, "duplicate": not created})


urlpatterns = [path("", stripe_webhook, name="webhook")]


# --- Processing -------------------------------------------------------------------------------------------


def _object(event: StripeEvent) -> dict[str, Any]:
    return event.payload["data"]["object"]


def _id_of(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _seconds(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), tz=UTC) if timestamp else None


def _later(first: datetime | None, second: datetime) -> datetime:
    return second if first is None or second > first else first


# Payments ---------------------------------------------------------------------------------------------------

# How far along a PaymentIntent is: a state is never replaced by one of a lower rank.
INTENT_RANK = {
    "requires_payment_method": 0,
    "requires_confirmation": 0,
    "requires_action": 0,
    "processing": 1,
    "requires_capture": 1,
    "succeeded": 2,
    "canceled": 2,
}


def _order_of_intent(intent: dict[str, Any]) -> Order | None:
    group = intent.get("transfer_group") or ""
    order = Order.objects.filter(transfer_group=group).first() if group else None
    return order or Order.objects.filter(charge_reference=intent["id"]).first()


def _payment_mirror(
    *, intent_id: str, as_of: datetime, status: str, amount: int, currency: str, **fields: Any
) -> StripePayment:
    with transaction.atomic():
        payment, created = StripePayment.objects.get_or_create(
            payment_intent_id=intent_id,
            defaults={"status": status, "amount": amount, "currency": currency.upper(), "synced_at": as_of},
        )
        payment = StripePayment.objects.select_for_update().get(pk=payment.pk)
        rank, held = INTENT_RANK.get(status, 0), INTENT_RANK.get(payment.status, 0)
        if rank > held or (rank == held and (payment.synced_at is None or as_of >= payment.synced_at)):
            payment.status = status
        payment.synced_at = _later(payment.synced_at, as_of)
        if fields.get("order") is not None and payment.order_id is None:
            payment.order = fields["order"]
        if fields.get("charge_id"):
            payment.charge_id = fields["charge_id"]
        payment.amount_refunded = max(payment.amount_refunded, int(fields.get("amount_refunded") or 0))
        payment.save()
    return payment


def _intent_mirror(intent: dict[str, Any], as_of: datetime, order: Order | None) -> StripePayment:
    charge = intent.get("latest_charge")
    return _payment_mirror(
        intent_id=intent["id"],
        as_of=as_of,
        status=intent.get("status") or "",
        amount=int(intent["amount"]),
        currency=intent["currency"],
        order=order,
        charge_id=_id_of(charge),
        amount_refunded=charge.get("amount_refunded") if isinstance(charge, dict) else 0,
    )


def payment_intent_succeeded(event: StripeEvent) -> str:
    intent = _object(event)
    order = _order_of_intent(intent)
    _intent_mirror(intent, event.created, order)
    if order is None:
        return StripeEventStatus.IGNORED
    result = stripe_gateway.StripeGateway().charge_status(reference=intent["id"])
    if result.succeeded:
        services.order_payment_record(order_id=order.pk, result=result)
    return StripeEventStatus.PROCESSED


def payment_intent_failed(event: StripeEvent) -> str:
    intent = _object(event)
    order = _order_of_intent(intent)
    _intent_mirror(intent, event.created, order)
    if order is None:
        return StripeEventStatus.IGNORED
    if order.state != OrderState.PENDING_PAYMENT:
        return StripeEventStatus.PROCESSED
    # A failure is not final for a PaymentIntent: what matters is its state now. A declined card leaves it waiting
    # for another (the buyer retries in the Payment Element; the abandon timeout ends it), so only a success or a
    # cancelled PaymentIntent is recorded.
    result = stripe_gateway.StripeGateway().charge_status(reference=intent["id"])
    if result.status in {PaymentStatus.FAILED, PaymentStatus.SUCCEEDED}:
        services.order_payment_record(order_id=order.pk, result=result)
    return StripeEventStatus.PROCESSED


# Refunds ----------------------------------------------------------------------------------------------------


def _refund_settle(refund: dict[str, Any]) -> None:
    """Settles the pending Refund row a Stripe refund carried out (its response may have been lost)."""
    key = (refund.get("metadata") or {}).get("guildhall_key") or ""
    status = refund.get("status") or ""
    if status not in {"succeeded", "pending", "failed", "canceled"}:
        return
    with transaction.atomic():
        row = Refund.objects.select_for_update().filter(idempotency_key=key).first() if key else None
        if row is None:
            logger.warning(
                "Stripe refund %s (%s %s) was not made by Guildhall: check it against the ledger",
                refund.get("id"),
                refund.get("amount"),
                refund.get("currency"),
            )
            return
        if row.status != GatewayCallStatus.PENDING:
            return
        succeeded = status in {"succeeded", "pending"}
        row.status = GatewayCallStatus.SUCCEEDED if succeeded else GatewayCallStatus.FAILED
        row.gateway_reference = refund.get("id") or ""
        row.message = "" if succeeded else (refund.get("failure_reason") or "The refund failed.")[:255]
        row.sent_at = timezone.now()
        row.save(update_fields=["status", "gateway_reference", "message", "sent_at"])


def charge_refunded(event: StripeEvent) -> str:
    charge = _object(event)
    intent_id = _id_of(charge.get("payment_intent"))
    if intent_id:
        _payment_mirror(
            intent_id=intent_id,
            as_of=event.created,
            status="succeeded",  # only a charge that succeeded can be refunded
            amount=int(charge["amount"]),
            currency=charge["currency"],
            charge_id=charge["id"],
            amount_refunded=int(charge.get("amount_refunded") or 0),
        )
    for refund in stripe_gateway.refunds_of_charge(charge["id"]):
        _refund_settle(refund)
    return StripeEventStatus.PROCESSED


def refund_changed(event: StripeEvent) -> str:
    _refund_settle(_object(event))
    return StripeEventStatus.PROCESSED


# Connected accounts -----------------------------------------------------------------------------------------


def account_updated(event: StripeEvent) -> str:
    data = _object(event)
    account = StripeAccount.objects.filter(account_id=data["id"]).first()
    if account is None:
        return StripeEventStatus.IGNORED
    if account.synced_at is not None and event.created == account.synced_at:
        # Two changes in the same second: the event cannot say which came last; Stripe's current state can.
        stripe_account_refresh(account=account)
    else:
        stripe_account_apply(account_id=account.account_id, data=data, as_of=event.created)
    return StripeEventStatus.PROCESSED


# Transfers and connected-account payouts --------------------------------------------------------------------


def transfer_changed(event: StripeEvent) -> str:
    transfer = _object(event)
    key = (transfer.get("metadata") or {}).get("guildhall_key") or ""
    with transaction.atomic():
        row, _created = StripeTransfer.objects.get_or_create(
            transfer_id=transfer["id"],
            defaults={
                "destination": _id_of(transfer.get("destination")),
                "amount": int(transfer["amount"]),
                "currency": transfer["currency"].upper(),
                "transfer_group": transfer.get("transfer_group") or "",
                "guildhall_key": key,
                "synced_at": event.created,
            },
        )
        row = StripeTransfer.objects.select_for_update().get(pk=row.pk)
        reversed_before = row.amount_reversed
        row.amount_reversed = max(row.amount_reversed, int(transfer.get("amount_reversed") or 0))
        row.synced_at = _later(row.synced_at, event.created)
        row.save(update_fields=["amount_reversed", "synced_at", "updated_at"])
        if key:
            Payout.objects.filter(idempotency_key=key, status=GatewayCallStatus.PENDING).update(
                status=GatewayCallStatus.SUCCEEDED, gateway_reference=row.transfer_id, sent_at=timezone.now()
            )
    if row.amount_reversed > reversed_before:
        logger.warning(
            "Stripe transfer %s to %s was reversed (%s of %s %s): the ledger still shows it paid out",
            row.transfer_id,
            row.destination,
            row.amount_reversed,
            row.amount,
            row.currency,
        )
    return StripeEventStatus.PROCESSED


PAYOUT_RANK = {"pending": 0, "in_transit": 1, "paid": 2, "failed": 2, "canceled": 2}


def connected_payout_changed(event: StripeEvent) -> str:
    if not event.account:
        return StripeEventStatus.IGNORED  # the platform's own bank payouts are not the marketplace's business
    payout = _object(event)
    status = payout.get("status") or ""
    with transaction.atomic():
        row, created = StripeConnectedPayout.objects.get_or_create(
            payout_id=payout["id"],
            defaults={
                "account": event.account,
                "amount": int(payout["amount"]),
                "currency": payout["currency"].upper(),
                "status": status,
                "arrival_date": _seconds(payout.get("arrival_date")),
                "synced_at": event.created,
            },
        )
        if not created:
            row = StripeConnectedPayout.objects.select_for_update().get(pk=row.pk)
            rank, held = PAYOUT_RANK.get(status, 0), PAYOUT_RANK.get(row.status, 0)
            if rank > held or (rank == held and held < 2 and event.created >= row.synced_at):
                row.status = status
                row.arrival_date = _seconds(payout.get("arrival_date")) or row.arrival_date
            row.synced_at = _later(row.synced_at, event.created)
            row.save(update_fields=["status", "arrival_date", "synced_at", "updated_at"])
    return StripeEventStatus.PROCESSED


HANDLERS: dict[str, Callable[[StripeEvent], str]] = {
    "payment_intent.succeeded": payment_intent_succeeded,
    "payment_intent.payment_failed": payment_intent_failed,
    "charge.refunded": charge_refunded,
    "charge.refund.updated": refund_changed,
    "refund.created": refund_changed,
    "refund.updated": refund_changed,
    "account.updated": account_updated,
    "transfer.created": transfer_changed,
    "transfer.updated": transfer_changed,
    "transfer.reversed": transfer_changed,
    "payout.created": connected_payout_changed,
    "payout.updated": connected_payout_changed,
    "payout.paid": connected_payout_changed,
    "payout.failed": connected_payout_changed,
    "payout.canceled": connected_payout_changed,
}


def stripe_event_process(*, event_id: int) -> str:
    """Applies one stored event (see the module docstring); returns its status. Raises when it could not,
    having recorded the attempt."""
    event = StripeEvent.objects.get(pk=event_id)
    if event.status in DONE:
        return event.status
    handler = HANDLERS.get(event.type)
    try:
        outcome = handler(event) if handler else StripeEventStatus.IGNORED
    except Exception as error:
        StripeEvent.objects.filter(pk=event_id).exclude(status__in=DONE).update(
            status=StripeEventStatus.FAILED, attempts=F("attempts") + 1, last_error=repr(error)[:2000]
        )
        raise
    StripeEvent.objects.filter(pk=event_id).exclude(status__in=DONE).update(
        status=outcome, attempts=F("attempts") + 1, last_error="", processed_at=timezone.now()
    )
    return outcome


@shared_task(bind=True, name="orders.stripe_event_process", acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def stripe_event_process_task(self, event_id: int) -> None:
    try:
        stripe_event_process(event_id=event_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            logger.exception("Stripe event %s still fails after %s retries", event_id, self.max_retries)
            return
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 3600)) from error


@shared_task(name="orders.stripe_events_retry")
def stripe_events_retry() -> int:
    """Queues stored events whose processing has not succeeded after a while (a lost queue message, a worker
    that died, or retries used up)."""
    due = StripeEvent.objects.filter(
        status__in=[StripeEventStatus.RECEIVED, StripeEventStatus.FAILED],
        received_at__lte=timezone.now() - SWEEP_AFTER,
        attempts__lt=SWEEP_MAX_ATTEMPTS,
    ).values_list("pk", flat=True)
    queued = 0
    for event_id in due:
        stripe_event_process_task.delay(event_id)
        queued += 1
    return queued
