"""The one interface every payment gateway implements, and the results it returns.

Every call that moves money takes an idempotency key: calling again with the same key returns the first result
and moves nothing twice (Stripe: the `Idempotency-Key` header; offline: a stored record). Amounts are integers in
minor units. A gateway answers a refused payment with a result (status `declined` and a message for the buyer);
it raises `GatewayError` only when it could not get an answer (network, misconfiguration), which callers retry
with the same key.

The marketplace follows Stripe Connect's "separate charges and transfers": the platform charges the buyer and
holds the money (escrow in orders.ledger); `transfer` moves money to a seller's connected account (grouped by the
order's transfer group); `payout` pays a seller what they are owed (Stripe: a transfer to their connected
account, which Stripe then pays out to their bank).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from community.models import Member


class GatewayError(Exception):
    """No answer from the gateway: the call may or may not have happened; retry with the same key."""


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"  # the buyer must authenticate (3-D Secure), then `charge_confirm`
    DECLINED = "declined"
    FAILED = "failed"


@dataclass(frozen=True)
class ChargeResult:
    status: PaymentStatus
    reference: str  # the gateway's id for the charge; "" when it refused before creating one
    amount: int
    currency: str
    fee: int = 0  # what the processor keeps from the charge, same currency
    message: str = ""  # for the buyer, when declined
    client_secret: str = ""  # for requires_action: what the browser needs to authenticate

    @property
    def succeeded(self) -> bool:
        return self.status == PaymentStatus.SUCCEEDED


@dataclass(frozen=True)
class RefundResult:
    status: PaymentStatus
    reference: str
    amount: int
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == PaymentStatus.SUCCEEDED


@dataclass(frozen=True)
class TransferResult:
    status: PaymentStatus
    reference: str
    amount: int
    currency: str
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == PaymentStatus.SUCCEEDED


@dataclass(frozen=True)
class PayoutResult:
    status: PaymentStatus
    reference: str
    amount: int
    currency: str
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == PaymentStatus.SUCCEEDED


class PaymentGateway(ABC):
    name: ClassVar[str]

    @abstractmethod
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
        """Charges the buyer's payment method; the money lands in the platform's balance."""

    @abstractmethod
    def charge_confirm(self, *, reference: str, idempotency_key: str) -> ChargeResult:
        """Completes a charge that required action, once the buyer has authenticated."""

    @abstractmethod
    def refund(self, *, charge_reference: str, amount: int, idempotency_key: str) -> RefundResult:
        """Returns `amount` of a charge to the buyer (several partial refunds may follow one charge)."""

    @abstractmethod
    def transfer(
        self, *, seller: Member, amount: int, currency: str, transfer_group: str, idempotency_key: str
    ) -> TransferResult:
        """Moves money from the platform's balance to the seller's account, tied to an order's transfer group."""

    @abstractmethod
    def payout(self, *, seller: Member, amount: int, currency: str, idempotency_key: str) -> PayoutResult:
        """Pays the seller `amount` they are owed."""
