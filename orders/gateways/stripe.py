"""The `stripe` gateway: Stripe Connect, separate charges and transfers. The platform charges the buyer and holds
the money (escrow in orders.ledger); released money moves to the seller's Connect Express account by transfer.

How the interface maps to Stripe. Every POST carries the idempotency key the caller passes (`Idempotency-Key`), and
its metadata carries it too (`guildhall_key`), so a webhook can name the row a call carried out:

| interface        | Stripe                                                                                         |
|------------------|------------------------------------------------------------------------------------------------|
| `charge`         | `POST /v1/payment_intents` with amount, currency, the payment method, `confirm=true`, card only, |
|                  | the order's `transfer_group`. succeeded → SUCCEEDED with Stripe's fee (the charge's balance    |
|                  | transaction); requires_action (3-D Secure) → REQUIRES_ACTION with the client secret; a card   |
|                  | error (402) → DECLINED with the decline message; another refusal (400) → FAILED.              |
| (pay page)       | `payment_intent_create`: a PaymentIntent with the order's amount and `transfer_group`, not     |
|                  | confirmed: the buyer confirms it in Stripe's Payment Element (Stripe.js) with its client      |
|                  | secret; the return view and the webhooks read the outcome back from Stripe.                   |
| `charge_confirm` | The buyer authenticated in the browser with the client secret, and Stripe confirmed the       |
|                  | PaymentIntent there: `GET` it, and `POST …/confirm` only if it still waits for confirmation.   |
| `refund`         | `POST /v1/refunds` with the PaymentIntent and the amount; a partial refund is one refund each. |
| `transfer`       | `POST /v1/transfers` to the seller's connected account with the order's `transfer_group`, and  |
|                  | the order's charge as `source_transaction` (the transfer waits for the charge's funds).       |
| `payout`         | Stripe pays connected accounts out to their bank on its own schedule, so for the marketplace a |
|                  | payout *is* a transfer to the connected account (`POST /v1/transfers`, no transfer group);     |
|                  | the bank payouts that follow arrive as `payout.paid` events (orders.webhooks records them).    |

Money goes to a seller only once their connected account has `payouts_enabled` (orders.models.StripeAccount,
kept by the onboarding pages and the `account.updated` webhook): before that, `transfer` and `payout` answer
FAILED with a message and call nothing, and `payout_send` books the money back to the seller's balance. A release's
transfer (orders.connect.order_transfers_send) does not even try: the share waits in the payable balance until
`account.updated` enables payouts.

No answer (network, 5xx, rate limit, bad API key, a key reused with other parameters) raises GatewayError; the
caller retries with the same key, and Stripe replays the first answer. The client retries network errors twice
itself, with the same key.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.models import Member
from orders.gateways.base import (
    ChargeResult,
    GatewayError,
    PaymentGateway,
    PaymentStatus,
    PayoutResult,
    RefundResult,
    TransferResult,
)
from orders.models import Order, StripeAccount

DEFAULT_API_BASE = stripe.DEFAULT_API_BASE
NETWORK_RETRIES = 2
# Asked for on every PaymentIntent we read: Stripe's fee is on the charge's balance transaction.
EXPAND_FEE = ["latest_charge.balance_transaction"]

# Stripe's decline codes, in words we can translate; anything else shows Stripe's own message.
DECLINE_MESSAGES = {
    "card_declined": gettext_lazy("Your card was declined."),
    "generic_decline": gettext_lazy("Your card was declined."),
    "insufficient_funds": gettext_lazy("Your card has insufficient funds."),
    "expired_card": gettext_lazy("Your card has expired."),
    "incorrect_cvc": gettext_lazy("Your card’s security code is incorrect."),
    "processing_error": gettext_lazy("Your card could not be processed. Try again in a moment."),
    "payment_intent_authentication_failure": gettext_lazy(
        "Your card was not authenticated. Try again, or use another card."
    ),
}


# --- The client -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(api_key, base_addresses={"api": api_base}, max_network_retries=NETWORK_RETRIES)


def stripe_client() -> stripe.StripeClient:
    """A client for the configured account; `STRIPE_API_BASE` points it at a fake Stripe server in tests."""
    api_key = getattr(settings, "STRIPE_SECRET_KEY", "")
    if not api_key:
        raise ImproperlyConfigured("The stripe gateway needs STRIPE_SECRET_KEY.")
    return _client(api_key, getattr(settings, "STRIPE_API_BASE", "") or DEFAULT_API_BASE)


@contextmanager
def _answer() -> Iterator[None]:
    """Turns "Stripe did not answer" into GatewayError. Refusals (card and request errors) pass through, for the
    caller to turn into a result."""
    try:
        yield
    except (stripe.CardError, stripe.InvalidRequestError):
        raise
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe did not answer: {error.user_message or error}") from error


def _options(idempotency_key: str) -> dict[str, Any]:
    if not idempotency_key:
        raise GatewayError("Every call that moves money needs an idempotency key.")
    return {"idempotency_key": idempotency_key}


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _id_of(value: Any) -> str:
    """An expandable field: Stripe sends an id, or the object when it is expanded."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _refusal_message(error: stripe.StripeError) -> str:
    body = (error.json_body or {}).get("error", {}) if isinstance(error.json_body, dict) else {}
    code = body.get("decline_code") or body.get("code") or ""
    if code in DECLINE_MESSAGES:
        return str(DECLINE_MESSAGES[code])
    return error.user_message or _("The payment did not go through.")


def _intent_of_error(error: stripe.StripeError) -> dict[str, Any]:
    body = error.json_body if isinstance(error.json_body, dict) else {}
    intent = body.get("error", {}).get("payment_intent")
    return intent if isinstance(intent, dict) else {}


# --- Reading Stripe's answers -----------------------------------------------------------------------------


def charge_fee(intent: dict[str, Any]) -> int:
    """Stripe's fee for a PaymentIntent's charge, when its balance transaction was expanded; else 0."""
    charge = intent.get("latest_charge")
    if not isinstance(charge, dict):
        return 0
    transaction = charge.get("balance_transaction")
    if not isinstance(transaction, dict):
        return 0
    return int(transaction.get("fee") or 0)


def charge_result(intent: dict[str, Any]) -> ChargeResult:
    """Our answer for a PaymentIntent in any state (the webhooks read PaymentIntents through this too)."""
    status = intent.get("status")
    fields = {"reference": intent["id"], "amount": int(intent["amount"]), "currency": intent["currency"].upper()}
    if status == "succeeded":
        return ChargeResult(status=PaymentStatus.SUCCEEDED, fee=charge_fee(intent), **fields)
    if status in {"requires_action", "requires_confirmation"}:
        return ChargeResult(
            status=PaymentStatus.REQUIRES_ACTION, client_secret=intent.get("client_secret") or "", **fields
        )
    if status == "processing":
        # Stripe finishes it on its own; the payment_intent.succeeded webhook records it.
        return ChargeResult(status=PaymentStatus.REQUIRES_ACTION, **fields)
    if status == "requires_payment_method":
        error = intent.get("last_payment_error") or {}
        code = error.get("decline_code") or error.get("code") or ""
        message = str(DECLINE_MESSAGES.get(code, "")) or error.get("message") or _("Your card was declined.")
        return ChargeResult(status=PaymentStatus.DECLINED, message=message, **fields)
    if status == "canceled":
        return ChargeResult(status=PaymentStatus.FAILED, message=_("The payment was cancelled."), **fields)
    raise GatewayError(f"PaymentIntent {intent['id']} is {status!r}, which the marketplace never asks for.")


# --- Connect: accounts and links (orders.connect calls these) ---------------------------------------------


def account_create(*, member: Member, idempotency_key: str) -> dict[str, Any]:
    """A Connect Express account for the member, able to receive transfers (the platform charges the buyers)."""
    with _answer():
        account = stripe_client().v1.accounts.create(
            {
                "type": "express",
                "email": member.email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"guildhall_member": str(member.pk)},
            },
            _options(idempotency_key),
        )
    return _plain(account)


def account_retrieve(account_id: str) -> dict[str, Any]:
    with _answer():
        return _plain(stripe_client().v1.accounts.retrieve(account_id))


def account_link_create(*, account_id: str, refresh_url: str, return_url: str, idempotency_key: str) -> str:
    """The single-use URL of Stripe's hosted onboarding. Not stored: it is a bearer token that expires in minutes."""
    with _answer():
        link = stripe_client().v1.account_links.create(
            {
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            },
            _options(idempotency_key),
        )
    return link.url


def login_link_create(*, account_id: str, idempotency_key: str) -> str:
    """A one-time link to the seller's Express dashboard (balance, bank payouts, details)."""
    with _answer():
        link = stripe_client().v1.accounts.login_links.create(account_id, {}, _options(idempotency_key))
    return link.url


def refunds_of_charge(charge_id: str) -> list[dict[str, Any]]:
    with _answer():
        listing = stripe_client().v1.refunds.list({"charge": charge_id, "limit": 100})
        return [_plain(refund) for refund in listing.auto_paging_iter()]


def payment_intent_retrieve(reference: str) -> dict[str, Any]:
    with _answer():
        return _plain(stripe_client().v1.payment_intents.retrieve(reference, {"expand": EXPAND_FEE}))


def payment_intent_create(
    *, amount: int, currency: str, transfer_group: str, idempotency_key: str, description: str = ""
) -> dict[str, Any]:
    """A PaymentIntent for the pay page's card step: not confirmed here. The buyer's browser confirms it with the
    client secret in Stripe's Payment Element (Stripe.js), and we learn the outcome by reading it back (the
    return view, the webhooks). The amount is the order's, computed on the server."""
    if amount <= 0:
        raise GatewayError("A charge is for a positive amount.")
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency.lower(),
        "payment_method_types": ["card"],
        "transfer_group": transfer_group,
        "metadata": {"guildhall_key": idempotency_key},
    }
    if description:
        params["description"] = description
    try:
        with _answer():
            return _plain(stripe_client().v1.payment_intents.create(params, _options(idempotency_key)))
    except (stripe.CardError, stripe.InvalidRequestError) as error:
        raise GatewayError(f"Stripe refused the PaymentIntent: {error.user_message or error}") from error


# --- The gateway ------------------------------------------------------------------------------------------


class StripeGateway(PaymentGateway):
    name = "stripe"

    def charge(
        self,
        *,
        amount: int,
        currency: str,
        payment_method: str,
        idempotency_key: str,
        transfer_group: str = "",
        description: str = "",
    ) -> ChargeResult:
        if amount <= 0:
            raise GatewayError("A charge is for a positive amount.")
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": {"guildhall_key": idempotency_key},
            "expand": EXPAND_FEE,
        }
        if transfer_group:
            params["transfer_group"] = transfer_group
        if description:
            params["description"] = description
        options = _options(idempotency_key)
        try:
            with _answer():
                intent = stripe_client().v1.payment_intents.create(params, options)
        except stripe.CardError as error:
            return ChargeResult(
                status=PaymentStatus.DECLINED,
                reference=_intent_of_error(error).get("id", ""),
                amount=amount,
                currency=currency,
                message=_refusal_message(error),
            )
        except stripe.InvalidRequestError as error:
            if error.param == "payment_method" or error.http_status == 404:
                message = _("This payment method cannot be used. Try another card.")
            else:
                message = error.user_message or _("The payment did not go through.")
            return ChargeResult(
                status=PaymentStatus.FAILED,
                reference=_intent_of_error(error).get("id", ""),
                amount=amount,
                currency=currency,
                message=message,
            )
        return charge_result(_plain(intent))

    def charge_confirm(self, *, reference: str, idempotency_key: str) -> ChargeResult:
        intent = payment_intent_retrieve(reference)
        if intent["status"] == "requires_confirmation":
            try:
                with _answer():
                    intent = _plain(
                        stripe_client().v1.payment_intents.confirm(
                            reference, {"expand": EXPAND_FEE}, _options(idempotency_key)
                        )
                    )
            except stripe.CardError as error:
                intent = _intent_of_error(error) or payment_intent_retrieve(reference)
            except stripe.InvalidRequestError as error:
                raise GatewayError(f"Stripe refused to confirm {reference}: {error.user_message}") from error
        return charge_result(intent)

    def charge_status(self, *, reference: str) -> ChargeResult:
        """What Stripe says about a charge now (for webhooks: an event is a hint, the object is the truth)."""
        return charge_result(payment_intent_retrieve(reference))

    def refund(self, *, charge_reference: str, amount: int, idempotency_key: str) -> RefundResult:
        if amount <= 0:
            raise GatewayError("A refund is for a positive amount.")
        params = {"payment_intent": charge_reference, "amount": amount, "metadata": {"guildhall_key": idempotency_key}}
        try:
            with _answer():
                refund = _plain(stripe_client().v1.refunds.create(params, _options(idempotency_key)))
        except (stripe.CardError, stripe.InvalidRequestError) as error:
            return RefundResult(
                status=PaymentStatus.FAILED, reference="", amount=amount, message=error.user_message or str(error)
            )
        if refund.get("status") in {"failed", "canceled"}:
            return RefundResult(
                status=PaymentStatus.FAILED,
                reference=refund["id"],
                amount=amount,
                message=refund.get("failure_reason") or _("The refund failed."),
            )
        # succeeded, or pending (accepted: a later failure arrives as a webhook)
        return RefundResult(status=PaymentStatus.SUCCEEDED, reference=refund["id"], amount=int(refund["amount"]))

    # --- money to sellers ---------------------------------------------------------------------------------

    @staticmethod
    def _destination(seller: Member) -> tuple[str, str]:
        """The seller's connected account if it can be paid, else ("", why not)."""
        name = {"name": seller.display_name}
        account = StripeAccount.objects.filter(member=seller).first()
        if account is None:
            return "", _("%(name)s has not set up payouts with Stripe yet: nothing was sent.") % name
        if not account.payouts_enabled:
            # The account.updated webhook may be on its way: ask Stripe before refusing.
            from orders.connect import stripe_account_refresh

            account = stripe_account_refresh(account=account)
        if not account.payouts_enabled:
            return "", _("Stripe has not enabled payouts for %(name)s yet: nothing was sent.") % name
        return account.account_id, ""

    @staticmethod
    def _source_transaction(transfer_group: str) -> str:
        """The charge of the order that `transfer_group` names, so the transfer draws on that charge's funds."""
        reference = (
            Order.objects.filter(transfer_group=transfer_group, gateway=StripeGateway.name)
            .values_list("charge_reference", flat=True)
            .first()
        )
        if not reference:
            return ""
        return _id_of(payment_intent_retrieve(reference).get("latest_charge"))

    @staticmethod
    def _transfer_create(params: dict[str, Any], idempotency_key: str) -> tuple[dict[str, Any], str]:
        """The transfer, or ({}, why Stripe refused it)."""
        try:
            with _answer():
                return _plain(stripe_client().v1.transfers.create(params, _options(idempotency_key))), ""
        except (stripe.CardError, stripe.InvalidRequestError) as error:
            return {}, error.user_message or str(error)

    def transfer(
        self, *, seller: Member, amount: int, currency: str, transfer_group: str, idempotency_key: str
    ) -> TransferResult:
        if amount <= 0:
            raise GatewayError("A transfer is for a positive amount.")
        _options(idempotency_key)
        destination, refusal = self._destination(seller)
        if refusal:
            return TransferResult(
                status=PaymentStatus.FAILED, reference="", amount=amount, currency=currency, message=refusal
            )
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "metadata": {"guildhall_key": idempotency_key},
        }
        if transfer_group:
            params["transfer_group"] = transfer_group
            source = self._source_transaction(transfer_group)
            if source:
                params["source_transaction"] = source
        transfer, refusal = self._transfer_create(params, idempotency_key)
        if refusal:
            return TransferResult(
                status=PaymentStatus.FAILED, reference="", amount=amount, currency=currency, message=refusal
            )
        return TransferResult(
            status=PaymentStatus.SUCCEEDED,
            reference=transfer["id"],
            amount=int(transfer["amount"]),
            currency=transfer["currency"].upper(),
        )

    def payout(self, *, seller: Member, amount: int, currency: str, idempotency_key: str) -> PayoutResult:
        """A transfer of the seller's balance to their connected account (see the module docstring)."""
        if amount <= 0:
            raise GatewayError("A payout is for a positive amount.")
        _options(idempotency_key)
        destination, refusal = self._destination(seller)
        if refusal:
            return PayoutResult(
                status=PaymentStatus.FAILED, reference="", amount=amount, currency=currency, message=refusal
            )
        transfer, refusal = self._transfer_create(
            {
                "amount": amount,
                "currency": currency.lower(),
                "destination": destination,
                "description": "Guildhall payout",
                "metadata": {"guildhall_key": idempotency_key},
            },
            idempotency_key,
        )
        if refusal:
            return PayoutResult(
                status=PaymentStatus.FAILED, reference="", amount=amount, currency=currency, message=refusal
            )
        return PayoutResult(
            status=PaymentStatus.SUCCEEDED,
            reference=transfer["id"],
            amount=int(transfer["amount"]),
            currency=transfer["currency"].upper(),
        )
