from .append_only import AppendOnlyError
from .gateways import OfflineOperation, OfflineOperationKind
from .ledger import NON_NEGATIVE_KINDS, Account, AccountKind, Entry, LedgerTransaction, TransactionKind
from .orders import (
    CLOSED_STATES,
    RELEASED_HOLD_STATES,
    TRANSITIONS,
    CancelledBy,
    GatewayCallStatus,
    Order,
    OrderEvent,
    OrderPayee,
    OrderReminder,
    OrderState,
    Payout,
    Refund,
    ReminderKind,
)
from .pricing import BPS_DENOMINATOR, CategoryCommission, CommissionConfig, CommissionPromotion, PromotionRule
from .stripe import (
    StripeAccount,
    StripeConnectedPayout,
    StripeEvent,
    StripeEventStatus,
    StripePayment,
    StripeTransfer,
)


__all__ = [
    "BPS_DENOMINATOR",
    "CLOSED_STATES",
    "NON_NEGATIVE_KINDS",
    "RELEASED_HOLD_STATES",
    "TRANSITIONS",
    "Account",
    "AccountKind",
    "AppendOnlyError",
    "CancelledBy",
    "CategoryCommission",
    "CommissionConfig",
    "CommissionPromotion",
    "Entry",
    "GatewayCallStatus",
    "LedgerTransaction",
    "OfflineOperation",
    "OfflineOperationKind",
    "Order",
    "OrderEvent",
    "OrderPayee",
    "OrderReminder",
    "OrderState",
    "Payout",
    "PromotionRule",
    "Refund",
    "ReminderKind",
    "StripeAccount",
    "StripeConnectedPayout",
    "StripeEvent",
    "StripeEventStatus",
    "StripePayment",
    "StripeTransfer",
    "TransactionKind",
]
