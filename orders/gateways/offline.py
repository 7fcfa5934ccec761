"""The offline gateway: the embedded default. No network; Stripe's test payment methods behave as they do there:

| payment method                   | result                                                              |
|----------------------------------|---------------------------------------------------------------------|
| `pm_card_visa`                   | succeeds                                                            |
| `pm_card_chargeDeclined`         | declined: "Your card was declined."                                 |
| `pm_card_authenticationRequired` | requires_action; `charge_confirm` (the buyer authenticated) succeeds |

Anything else is declined. Every operation is stored (orders.models.OfflineOperation) under its idempotency key:
repeating a call returns the stored result; reusing a key with other parameters is an error, as on Stripe.
Transfers and payouts always succeed. No processor fee.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

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
from orders.models import OfflineOperation, OfflineOperationKind

CARD_SUCCEEDS = "pm_card_visa"
CARD_DECLINED = "pm_card_chargeDeclined"
CARD_NEEDS_AUTHENTICATION = "pm_card_authenticationRequired"
TEST_CARDS = (CARD_SUCCEEDS, CARD_DECLINED, CARD_NEEDS_AUTHENTICATION)

_PREFIX = {
    OfflineOperationKind.CHARGE: "ch_offline_",
    OfflineOperationKind.REFUND: "re_offline_",
    OfflineOperationKind.TRANSFER: "tr_offline_",
    OfflineOperationKind.PAYOUT: "po_offline_",
}


def _declined_message(payment_method: str) -> str:
    if payment_method == CARD_DECLINED:
        return _("Your card was declined.")
    return _("This payment method is not accepted here. Use a test card such as %(card)s.") % {"card": CARD_SUCCEEDS}


class OfflineGateway(PaymentGateway):
    name = "offline"

    # --- storage ------------------------------------------------------------------------------------------

    def _recorded(self, idempotency_key: str, kind: str, **expected) -> OfflineOperation | None:
        if not idempotency_key:
            raise GatewayError("Every call that moves money needs an idempotency key.")
        operation = OfflineOperation.objects.filter(idempotency_key=idempotency_key).first()
        if operation is None:
            return None
        actual = {"kind": operation.kind, **{field: getattr(operation, field) for field in expected}}
        if actual != {"kind": kind, **expected}:
            raise GatewayError(f"Idempotency key {idempotency_key!r} was used for a different request.")
        return operation

    def _record(self, *, idempotency_key: str, kind: str, **fields) -> OfflineOperation:
        try:
            with transaction.atomic():
                return OfflineOperation.objects.create(
                    idempotency_key=idempotency_key,
                    kind=kind,
                    reference=_PREFIX[kind] + secrets.token_hex(12),
                    **fields,
                )
        except IntegrityError:
            # The same key raced in from another process: its answer is the answer.
            existing = OfflineOperation.objects.filter(idempotency_key=idempotency_key).first()
            if existing is None:
                raise
            return existing

    @staticmethod
    def _charge_result(operation: OfflineOperation) -> ChargeResult:
        status = PaymentStatus(operation.status)
        return ChargeResult(
            status=status,
            reference=operation.reference,
            amount=operation.amount,
            currency=operation.currency,
            message=operation.message,
            client_secret=f"{operation.reference}_secret" if status == PaymentStatus.REQUIRES_ACTION else "",
        )

    # --- the interface ------------------------------------------------------------------------------------

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
        operation = self._recorded(
            idempotency_key,
            OfflineOperationKind.CHARGE,
            amount=amount,
            currency=currency,
            payment_method=payment_method,
        )
        if operation is None:
            if payment_method == CARD_SUCCEEDS:
                status, message = PaymentStatus.SUCCEEDED, ""
            elif payment_method == CARD_NEEDS_AUTHENTICATION:
                status, message = PaymentStatus.REQUIRES_ACTION, ""
            else:
                status, message = PaymentStatus.DECLINED, _declined_message(payment_method)
            operation = self._record(
                idempotency_key=idempotency_key,
                kind=OfflineOperationKind.CHARGE,
                status=status,
                amount=amount,
                currency=currency,
                payment_method=payment_method,
                transfer_group=transfer_group,
                message=message,
            )
        return self._charge_result(operation)

    def charge_confirm(self, *, reference: str, idempotency_key: str) -> ChargeResult:
        with transaction.atomic():
            operation = (
                OfflineOperation.objects.select_for_update()
                .filter(reference=reference, kind=OfflineOperationKind.CHARGE)
                .first()
            )
            if operation is None:
                raise GatewayError(f"No charge {reference!r}.")
            if operation.status == PaymentStatus.REQUIRES_ACTION:
                operation.status = PaymentStatus.SUCCEEDED
                operation.save(update_fields=["status", "updated_at"])
        return self._charge_result(operation)

    def refund(self, *, charge_reference: str, amount: int, idempotency_key: str) -> RefundResult:
        if amount <= 0:
            raise GatewayError("A refund is for a positive amount.")
        with transaction.atomic():
            charge = (
                OfflineOperation.objects.select_for_update()
                .filter(reference=charge_reference, kind=OfflineOperationKind.CHARGE)
                .first()
            )
            if charge is None:
                raise GatewayError(f"No charge {charge_reference!r}.")
            operation = self._recorded(idempotency_key, OfflineOperationKind.REFUND, amount=amount, charge=charge)
            if operation is None:
                refunded = (
                    charge.refunds.filter(status=PaymentStatus.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0
                )
                if charge.status != PaymentStatus.SUCCEEDED:
                    status, message = PaymentStatus.FAILED, "The charge did not succeed: nothing to refund."
                elif refunded + amount > charge.amount:
                    status, message = (
                        PaymentStatus.FAILED,
                        (f"Refunds would exceed the charge: {refunded} of {charge.amount} already refunded."),
                    )
                else:
                    status, message = PaymentStatus.SUCCEEDED, ""
                operation = self._record(
                    idempotency_key=idempotency_key,
                    kind=OfflineOperationKind.REFUND,
                    status=status,
                    amount=amount,
                    currency=charge.currency,
                    charge=charge,
                    message=message,
                )
        return RefundResult(
            status=PaymentStatus(operation.status),
            reference=operation.reference,
            amount=operation.amount,
            message=operation.message,
        )

    def _send(self, *, kind: str, seller: Member, amount: int, currency: str, idempotency_key: str, group: str = ""):
        if amount <= 0:
            raise GatewayError("A transfer or payout is for a positive amount.")
        operation = self._recorded(idempotency_key, kind, amount=amount, currency=currency, destination=seller)
        if operation is None:
            operation = self._record(
                idempotency_key=idempotency_key,
                kind=kind,
                status=PaymentStatus.SUCCEEDED,
                amount=amount,
                currency=currency,
                destination=seller,
                transfer_group=group,
            )
        return operation

    def transfer(
        self, *, seller: Member, amount: int, currency: str, transfer_group: str, idempotency_key: str
    ) -> TransferResult:
        operation = self._send(
            kind=OfflineOperationKind.TRANSFER,
            seller=seller,
            amount=amount,
            currency=currency,
            idempotency_key=idempotency_key,
            group=transfer_group,
        )
        return TransferResult(
            status=PaymentStatus(operation.status),
            reference=operation.reference,
            amount=operation.amount,
            currency=operation.currency,
        )

    def payout(self, *, seller: Member, amount: int, currency: str, idempotency_key: str) -> PayoutResult:
        operation = self._send(
            kind=OfflineOperationKind.PAYOUT,
            seller=seller,
            amount=amount,
            currency=currency,
            idempotency_key=idempotency_key,
        )
        return PayoutResult(
            status=PaymentStatus(operation.status),
            reference=operation.reference,
            amount=operation.amount,
            currency=operation.currency,
        )
