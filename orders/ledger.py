"""The escrow ledger: double-entry and append-only.

Every money movement is one `LedgerTransaction` whose entries sum to zero in each currency. Balances are derived
(the sum of an account's entries), never stored. Posting:

- names the movement with an idempotency key: posting the same key again returns the first transaction;
- locks the accounts it touches (in primary-key order, so two postings never deadlock) and refuses to take an
  escrow or seller-payable account below zero;
- never changes a posted row (see orders.models.append_only).

The sign convention: money moves from the account that gets the negative entry to the one that gets the positive
entry, e.g. a charge is buyer funding -total, escrow +total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Sum

from community.models import Member
from orders.models import (
    NON_NEGATIVE_KINDS,
    Account,
    AccountKind,
    Entry,
    LedgerTransaction,
    Order,
    TransactionKind,
)


class LedgerError(Exception):
    """A posting that would break the ledger's rules (unbalanced, or an account going negative)."""


# --- Accounts ---------------------------------------------------------------------------------------------


def account_get(*, kind: str, currency: str, owner: Member | None = None, order: Order | None = None) -> Account:
    """The account for (kind, scope, currency), created on first use."""
    account, _created = Account.objects.get_or_create(
        kind=kind,
        currency=currency,
        owner_id=owner.pk if owner is not None else None,
        order_id=order.pk if order is not None else None,
    )
    return account


def escrow_account(*, order: Order) -> Account:
    return account_get(kind=AccountKind.ESCROW, currency=order.currency, order=order)


# --- Balances ---------------------------------------------------------------------------------------------


def account_balance(*, account: Account) -> int:
    return Entry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0


def escrow_balance(*, order: Order) -> int:
    return (
        Entry.objects.filter(account__kind=AccountKind.ESCROW, account__order=order).aggregate(total=Sum("amount"))[
            "total"
        ]
        or 0
    )


def member_balance(*, member: Member, kind: str, currency: str) -> int:
    return (
        Entry.objects.filter(account__kind=kind, account__owner=member, account__currency=currency).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )


# --- Posting ----------------------------------------------------------------------------------------------


@transaction.atomic
def ledger_post(
    *,
    kind: str,
    legs: Sequence[tuple[Account, int]],
    idempotency_key: str,
    order: Order | None = None,
    memo: str = "",
) -> LedgerTransaction:
    """Posts one balanced transaction of (account, signed amount) legs, or returns the one already posted under
    `idempotency_key`."""
    if not idempotency_key:
        raise LedgerError("A posting needs an idempotency key.")
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing

    amounts: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    for account, amount in legs:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise LedgerError(f"Amounts are integers in minor units, not {type(amount).__name__}.")
        amounts[account.pk] += amount
        accounts[account.pk] = account
    amounts = {pk: amount for pk, amount in amounts.items() if amount != 0}
    if len(amounts) < 2:
        raise LedgerError("A transaction moves money between at least two accounts.")
    per_currency: dict[str, int] = defaultdict(int)
    for pk, amount in amounts.items():
        per_currency[accounts[pk].currency] += amount
    unbalanced = {currency: total for currency, total in per_currency.items() if total != 0}
    if unbalanced:
        raise LedgerError(f"Entries must sum to zero in each currency: {unbalanced}.")

    locked = list(Account.objects.select_for_update().filter(pk__in=amounts).order_by("pk"))
    # A posting with the same key may have committed while this one waited for the locks.
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    guarded = [account.pk for account in locked if account.kind in NON_NEGATIVE_KINDS and amounts[account.pk] < 0]
    if guarded:
        balances = dict(
            Entry.objects.filter(account_id__in=guarded)
            .values("account_id")
            .annotate(total=Sum("amount"))
            .values_list("account_id", "total")
        )
        for pk in guarded:
            if balances.get(pk, 0) + amounts[pk] < 0:
                raise LedgerError(f"{accounts[pk]} holds {balances.get(pk, 0)}; it cannot pay out {-amounts[pk]}.")

    try:
        with transaction.atomic():
            posted = LedgerTransaction.objects.create(
                kind=kind, order=order, memo=memo[:255], idempotency_key=idempotency_key
            )
    except IntegrityError:
        return LedgerTransaction.objects.get(idempotency_key=idempotency_key)
    Entry.objects.bulk_create(
        [Entry(transaction=posted, account_id=pk, amount=amount) for pk, amount in sorted(amounts.items())]
    )
    return posted


# --- The movements the marketplace makes ------------------------------------------------------------------


def escrow_fund(*, order: Order, amount: int, idempotency_key: str) -> LedgerTransaction:
    """The buyer's payment arrives: buyer funding → the order's escrow."""
    _positive(amount)
    funding = account_get(kind=AccountKind.BUYER_FUNDING, currency=order.currency, owner=order.buyer)
    return ledger_post(
        kind=TransactionKind.CHARGE,
        legs=[(funding, -amount), (escrow_account(order=order), amount)],
        idempotency_key=idempotency_key,
        order=order,
        memo=f"Payment for order {order.reference}",
    )


def escrow_refund(*, order: Order, amount: int, idempotency_key: str, memo: str = "") -> LedgerTransaction:
    """Money goes back to the buyer: the order's escrow → the buyer's refunds."""
    _positive(amount)
    refunds = account_get(kind=AccountKind.REFUNDS, currency=order.currency, owner=order.buyer)
    return ledger_post(
        kind=TransactionKind.REFUND,
        legs=[(escrow_account(order=order), -amount), (refunds, amount)],
        idempotency_key=idempotency_key,
        order=order,
        memo=memo or f"Refund for order {order.reference}",
    )


def escrow_release(
    *, order: Order, shares: Sequence[tuple[Member, int]], platform_amount: int, idempotency_key: str
) -> LedgerTransaction:
    """The order's escrow → each payee's payable balance (the seller, or the co-creators sharing the revenue)
    and the platform's revenue (commission and buyer fee)."""
    if platform_amount < 0 or any(amount < 0 for _member, amount in shares):
        raise LedgerError("A release pays out non-negative amounts.")
    released = platform_amount + sum(amount for _member, amount in shares)
    _positive(released)
    legs: list[tuple[Account, int]] = [(escrow_account(order=order), -released)]
    for member, amount in shares:
        if amount:
            legs.append((account_get(kind=AccountKind.SELLER_PAYABLE, currency=order.currency, owner=member), amount))
    if platform_amount:
        legs.append((account_get(kind=AccountKind.PLATFORM_REVENUE, currency=order.currency), platform_amount))
    return ledger_post(
        kind=TransactionKind.RELEASE,
        legs=legs,
        idempotency_key=idempotency_key,
        order=order,
        memo=f"Release of order {order.reference}",
    )


def processor_fee_record(*, order: Order, amount: int, idempotency_key: str) -> LedgerTransaction:
    """What the processor kept from a charge is paid out of the platform's revenue."""
    _positive(amount)
    return ledger_post(
        kind=TransactionKind.PROCESSOR_FEE,
        legs=[
            (account_get(kind=AccountKind.PLATFORM_REVENUE, currency=order.currency), -amount),
            (account_get(kind=AccountKind.PROCESSOR_FEES, currency=order.currency), amount),
        ],
        idempotency_key=idempotency_key,
        order=order,
        memo=f"Processor fee for order {order.reference}",
    )


def payable_pay_out(*, seller: Member, currency: str, amount: int, idempotency_key: str) -> LedgerTransaction:
    """A seller's payable balance → paid out."""
    _positive(amount)
    return ledger_post(
        kind=TransactionKind.PAYOUT,
        legs=[
            (account_get(kind=AccountKind.SELLER_PAYABLE, currency=currency, owner=seller), -amount),
            (account_get(kind=AccountKind.SELLER_PAID_OUT, currency=currency, owner=seller), amount),
        ],
        idempotency_key=idempotency_key,
        memo=f"Payout to member {seller.pk}",
    )


def payout_reverse(*, seller: Member, currency: str, amount: int, idempotency_key: str) -> LedgerTransaction:
    """A payout the gateway could not make: paid out → back to the seller's payable balance."""
    _positive(amount)
    return ledger_post(
        kind=TransactionKind.PAYOUT_REVERSAL,
        legs=[
            (account_get(kind=AccountKind.SELLER_PAID_OUT, currency=currency, owner=seller), -amount),
            (account_get(kind=AccountKind.SELLER_PAYABLE, currency=currency, owner=seller), amount),
        ],
        idempotency_key=idempotency_key,
        memo=f"Failed payout returned to member {seller.pk}",
    )


def _positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LedgerError(f"Expected a positive integer amount in minor units, got {amount!r}.")
