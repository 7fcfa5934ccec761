"""Stripe Connect Express: sellers onboard to get paid, and released money moves to their connected accounts.

Onboarding: the seller asks to set up payouts; we create their Express account once (`type=express`, able to
receive transfers) and send them to Stripe's hosted onboarding through a single-use account link, whose
`refresh_url` (the link expired or was used) makes a new link and whose `return_url` brings them back here, where
we ask Stripe for the account's state. From then on the `account.updated` webhook (orders.webhooks) keeps
`charges_enabled`, `payouts_enabled` and `details_submitted` current. Nothing is sent to a seller before
`payouts_enabled` (orders.gateways.stripe refuses and the money stays in their balance).

Release: `order_transfers_send` (queued after each release of a stripe order commits) transfers each payee's
released share to their connected account with the order's `transfer_group` and an idempotency key naming the
order and the payee, moving it from payable to paid out in the ledger first, as `payout_create` does. A payee whose
payouts are not enabled keeps the share in their payable balance; when Stripe enables them (`account.updated`, or
the seller coming back from onboarding) `stripe_transfers_resume` sends what waited.

The pages live under /payouts/stripe/ and exist only while the stripe gateway is in use.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from community.models import Member
from orders.gateways import GatewayError, TransferResult, gateway_get
from orders.gateways import stripe as stripe_gateway
from orders.ledger import LedgerError, payable_pay_out, payout_reverse
from orders.models import (
    AccountKind,
    Entry,
    GatewayCallStatus,
    LedgerTransaction,
    Order,
    Payout,
    StripeAccount,
)

logger = logging.getLogger(__name__)


# --- Accounts ---------------------------------------------------------------------------------------------


def _whole_second(moment: datetime) -> datetime:
    """Stripe stamps events in whole seconds; our own reads are stamped the same way so the two compare."""
    return moment.replace(microsecond=0)


def stripe_account_apply(*, account_id: str, data: dict[str, Any], as_of: datetime) -> StripeAccount | None:
    """Copies Stripe's description of a connected account onto ours, unless ours is newer (`as_of` earlier than
    `synced_at`: a late event). Returns the account, or None when it is not one of ours."""
    requirements = data.get("requirements") or {}
    with transaction.atomic():
        account = StripeAccount.objects.select_for_update().filter(account_id=account_id).first()
        if account is None:
            return None
        if account.synced_at is not None and as_of < account.synced_at:
            return account
        enabled_now = bool(data.get("payouts_enabled")) and not account.payouts_enabled
        account.charges_enabled = bool(data.get("charges_enabled"))
        account.payouts_enabled = bool(data.get("payouts_enabled"))
        account.details_submitted = bool(data.get("details_submitted"))
        account.requirements_due = list(requirements.get("currently_due") or [])
        account.disabled_reason = (requirements.get("disabled_reason") or "")[:100]
        account.synced_at = as_of
        account.save(
            update_fields=[
                "charges_enabled",
                "payouts_enabled",
                "details_submitted",
                "requirements_due",
                "disabled_reason",
                "synced_at",
                "updated_at",
            ]
        )
        if enabled_now:
            # Releases that waited for this (order_transfers_send skipped the share) are transferred now.
            member_id = account.member_id
            transaction.on_commit(lambda: stripe_transfers_resume_task.delay(member_id), robust=True)
    return account


def stripe_account_refresh(*, account: StripeAccount) -> StripeAccount:
    """Asks Stripe for the account's state now and keeps it (the seller came back from onboarding, or a payout
    would otherwise be refused on a state a webhook is about to change)."""
    as_of = _whole_second(timezone.now())
    data = stripe_gateway.account_retrieve(account.account_id)
    return stripe_account_apply(account_id=account.account_id, data=data, as_of=as_of) or account


def stripe_account_get_or_create(*, member: Member) -> StripeAccount:
    """The member's connected account, created at Stripe on first use. The idempotency key names the member, so a
    repeated or concurrent request within Stripe's 24 hours gets the same account back."""
    account = StripeAccount.objects.filter(member=member).first()
    if account is not None:
        return account
    data = stripe_gateway.account_create(member=member, idempotency_key=f"member:{member.pk}:stripe-account")
    try:
        with transaction.atomic():
            account = StripeAccount.objects.create(member=member, account_id=data["id"])
    except IntegrityError:
        account = StripeAccount.objects.get(member=member)
    return stripe_account_apply(account_id=account.account_id, data=data, as_of=_whole_second(timezone.now()))


def stripe_onboarding_url(*, member: Member, refresh_url: str, return_url: str) -> str:
    """Where to send the member to onboard (or to carry on onboarding): a new single-use account link."""
    account = stripe_account_get_or_create(member=member)
    return stripe_gateway.account_link_create(
        account_id=account.account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        idempotency_key=f"{account.account_id}:account-link:{uuid.uuid4().hex}",
    )


def stripe_dashboard_url(*, member: Member) -> str:
    account = StripeAccount.objects.filter(member=member, details_submitted=True).first()
    if account is None:
        raise Http404
    return stripe_gateway.login_link_create(
        account_id=account.account_id, idempotency_key=f"{account.account_id}:login-link:{uuid.uuid4().hex}"
    )


def stripe_payouts_ready(*, member: Member) -> bool:
    return StripeAccount.objects.filter(member=member, payouts_enabled=True).exists()


# --- Release: transfers to connected accounts -------------------------------------------------------------


def _transfer_key(order: Order, member_id: int) -> str:
    return f"order:{order.reference}:transfer:{member_id}"


def _release_credits(order: Order) -> list[Entry]:
    """The payees' shares of the order's release (one payable credit each), oldest payee first."""
    release = LedgerTransaction.objects.filter(idempotency_key=f"order:{order.reference}:release").first()
    if release is None:
        return []
    return list(
        Entry.objects.filter(transaction=release, account__kind=AccountKind.SELLER_PAYABLE, amount__gt=0)
        .select_related("account__owner")
        .order_by("account__owner_id")
    )


def _payouts_ready(member: Member) -> bool:
    """Whether Stripe pays this member now. Asks Stripe when ours says no: the `account.updated` that says yes may
    still be on its way (and when it arrives, `stripe_transfers_resume` sends what waited)."""
    account = StripeAccount.objects.filter(member=member).first()
    if account is None:
        return False
    if not account.payouts_enabled:
        try:
            account = stripe_account_refresh(account=account)
        except GatewayError:
            # Stripe will say so by webhook (retried until processed), and the share is sent then.
            logger.warning("Could not ask Stripe about account %s; its share waits", account.account_id, exc_info=True)
    return account.payouts_enabled


@transaction.atomic
def _order_transfers_book(order: Order, ready: set[int]) -> list[Payout]:
    """One Payout per payee credited by the order's release whose payouts are enabled (`ready`), booked payable →
    paid out (once: keyed). The others' shares stay in their payable balance."""
    payouts = []
    for entry in _release_credits(order):
        key = _transfer_key(order, entry.account.owner_id)
        payout = Payout.objects.filter(idempotency_key=key).first()
        if payout is None:
            if entry.account.owner_id not in ready:
                continue
            try:
                with transaction.atomic():
                    payout = Payout.objects.create(
                        seller=entry.account.owner, amount=entry.amount, currency=order.currency, idempotency_key=key
                    )
                    payable_pay_out(
                        seller=entry.account.owner, currency=order.currency, amount=entry.amount, idempotency_key=key
                    )
            except (LedgerError, IntegrityError):
                # The payee's balance no longer holds the share (a payout already took it to them), or another
                # worker booked this share at the same moment.
                continue
        payouts.append(payout)
    return payouts


def _transfer_record(*, payout_id: int, result: TransferResult) -> Payout:
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


def _transfer_send(order: Order, payout: Payout) -> Payout:
    result = gateway_get(order.gateway).transfer(
        seller=payout.seller,
        amount=payout.amount,
        currency=payout.currency,
        transfer_group=order.transfer_group,
        idempotency_key=payout.idempotency_key,
    )
    return _transfer_record(payout_id=payout.pk, result=result)


def order_transfers_send(*, order_id: int) -> list[Payout]:
    """Sends a released order's shares to the payees' connected accounts, grouped by the order's transfer group.

    Queued after the release commits (services._release_rest: the buyer confirms, the timeout, a cancellation or a
    dispute that releases something) for orders paid through the stripe gateway. Idempotent: each share has one
    Payout row and one idempotency key (`order:<reference>:transfer:<member>`), so a retry or a second release
    attempt transfers nothing twice. A payee whose payouts Stripe has not enabled is skipped: the share stays in
    their payable balance, and is sent when `account.updated` enables payouts (`stripe_transfers_resume`)."""
    order = Order.objects.get(pk=order_id)
    credits = _release_credits(order)
    if not credits:
        return []
    booked = set(
        Payout.objects.filter(
            idempotency_key__in=[_transfer_key(order, entry.account.owner_id) for entry in credits]
        ).values_list("seller_id", flat=True)
    )
    ready = {
        entry.account.owner_id
        for entry in credits
        if entry.account.owner_id not in booked and _payouts_ready(entry.account.owner)
    }
    sent = []
    for payout in _order_transfers_book(order, ready):
        if payout.status == GatewayCallStatus.PENDING:
            payout = _transfer_send(order, payout)
        sent.append(payout)
    return sent


def order_transfer_resend(*, payout_id: int) -> Payout:
    """Sends again a release's transfer still pending (its answer was lost): same order, same key, so Stripe
    answers with the first transfer (orders.tasks.gateway_calls_retry reaches it through `payout_send`)."""
    payout = Payout.objects.select_related("seller").get(pk=payout_id)
    reference = payout.idempotency_key.split(":")[1]
    order = Order.objects.get(reference=reference)
    if payout.status != GatewayCallStatus.PENDING:
        return payout
    return _transfer_send(order, payout)


def is_order_transfer(payout: Payout) -> bool:
    return payout.idempotency_key.startswith("order:") and ":transfer:" in payout.idempotency_key


def orders_awaiting_transfer(*, member: Member) -> list[int]:
    """Released stripe orders with a share for `member` that was never transferred (their payouts were not
    enabled at the release)."""
    credited = (
        Entry.objects.filter(
            account__kind=AccountKind.SELLER_PAYABLE,
            account__owner=member,
            amount__gt=0,
            transaction__idempotency_key__endswith=":release",
            transaction__order__gateway=stripe_gateway.StripeGateway.name,
        )
        .values_list("transaction__order_id", "transaction__order__reference")
        .order_by("transaction__order_id")
    )
    sent = set(
        Payout.objects.filter(seller=member, idempotency_key__contains=":transfer:").values_list(
            "idempotency_key", flat=True
        )
    )
    return [
        order_id
        for order_id, reference in credited
        if order_id is not None and f"order:{reference}:transfer:{member.pk}" not in sent
    ]


def stripe_transfers_resume(*, member_id: int) -> int:
    """Stripe enabled a member's payouts: queues the transfers of the releases that waited for it."""
    member = Member.objects.get(pk=member_id)
    order_ids = orders_awaiting_transfer(member=member)
    for order_id in order_ids:
        order_transfers_send_task.delay(order_id)
    return len(order_ids)


@shared_task(name="orders.order_transfers_send", acks_late=True, ignore_result=True)
def order_transfers_send_task(order_id: int) -> None:
    try:
        order_transfers_send(order_id=order_id)
    except GatewayError:
        logger.warning("Transfers of order %s not sent; the retry task will send them again", order_id, exc_info=True)


@shared_task(name="orders.stripe_transfers_resume", acks_late=True, ignore_result=True)
def stripe_transfers_resume_task(member_id: int) -> None:
    stripe_transfers_resume(member_id=member_id)


# --- Pages ------------------------------------------------------------------------------------------------


def _stripe_in_use() -> None:
    if getattr(settings, "PAYMENT_GATEWAY", "offline") != stripe_gateway.StripeGateway.name:
        raise Http404


def _absolute(request: HttpRequest, name: str) -> str:
    return request.build_absolute_uri(reverse(f"stripe_connect:{name}"))


def _onboarding_redirect(request: HttpRequest) -> HttpResponse:
    try:
        url = stripe_onboarding_url(
            member=request.user, refresh_url=_absolute(request, "refresh"), return_url=_absolute(request, "return")
        )
    except GatewayError:
        logger.warning("Stripe onboarding link for member %s failed", request.user.pk, exc_info=True)
        messages.error(request, _("Stripe did not answer. Try again in a moment."))
        return redirect("stripe_connect:status")
    return redirect(url)


@login_required
@require_GET
def payouts_status(request: HttpRequest) -> HttpResponse:
    _stripe_in_use()
    account = StripeAccount.objects.filter(member=request.user).first()
    return render(request, "orders/connect/status.html", {"account": account})


@login_required
@require_POST
def onboarding_start(request: HttpRequest) -> HttpResponse:
    _stripe_in_use()
    return _onboarding_redirect(request)


@login_required
@require_GET
def onboarding_refresh(request: HttpRequest) -> HttpResponse:
    """Stripe sends the seller here when their link expired or was already used: a new link, straight away."""
    _stripe_in_use()
    return _onboarding_redirect(request)


@login_required
@require_GET
def onboarding_return(request: HttpRequest) -> HttpResponse:
    """Stripe sends the seller back here when they leave onboarding, finished or not: ask Stripe which."""
    _stripe_in_use()
    account = StripeAccount.objects.filter(member=request.user).first()
    if account is None:
        return redirect("stripe_connect:status")
    try:
        account = stripe_account_refresh(account=account)
    except GatewayError:
        messages.warning(request, _("We could not check with Stripe just now; this page updates when Stripe tells us."))
        return redirect("stripe_connect:status")
    if account.payouts_enabled:
        messages.success(request, _("You are set up to get paid."))
    elif account.details_submitted:
        messages.info(request, _("Stripe is checking your details; payouts start once it has."))
    else:
        messages.info(request, _("Stripe still needs a few details before you can get paid."))
    return redirect("stripe_connect:status")


@login_required
@require_POST
def dashboard(request: HttpRequest) -> HttpResponse:
    _stripe_in_use()
    try:
        url = stripe_dashboard_url(member=request.user)
    except GatewayError:
        messages.error(request, _("Stripe did not answer. Try again in a moment."))
        return redirect("stripe_connect:status")
    return redirect(url)


app_name = "stripe_connect"

urlpatterns = [
    path("payouts/stripe/", payouts_status, name="status"),
    path("payouts/stripe/start/", onboarding_start, name="start"),
    path("payouts/stripe/refresh/", onboarding_refresh, name="refresh"),
    path("payouts/stripe/return/", onboarding_return, name="return"),
    path("payouts/stripe/dashboard/", dashboard, name="dashboard"),
    path("webhooks/stripe/", include("orders.webhooks")),
]
