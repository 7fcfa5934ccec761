"""The ledger's invariants, checked over the whole ledger (`manage.py ledger_check`).

Every query runs in the database, so the check costs a few scans whatever the size of the ledger. Balances are
sums of entries (positive = money held by the account), so "payable balances equal their entries" holds by
construction; what can go wrong is checked here:

1. every transaction balances: its entries sum to zero in each currency;
2. no escrow or seller-payable account ever went negative, at any point in its history (so no payout or
   release ever took more than was there);
3. the escrow of a closed order (released, declined, expired, cancelled, resolved) is zero;
4. the whole ledger sums to zero in each currency.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Sum, Window

from orders.models import CLOSED_STATES, NON_NEGATIVE_KINDS, Account, AccountKind, Entry


@dataclass(frozen=True)
class Problem:
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


def ledger_problems(*, limit: int = 50) -> list[Problem]:
    """Every broken invariant, naming the rows (at most `limit` per invariant)."""
    problems: list[Problem] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.transaction_id, a.currency, SUM(e.amount) FROM orders_entry e "
            "JOIN orders_account a ON a.id = e.account_id GROUP BY e.transaction_id, a.currency "
            "HAVING SUM(e.amount) <> 0 ORDER BY e.transaction_id LIMIT %s",
            [limit],
        )
        problems += [
            Problem("unbalanced transaction", f"transaction {tx} sums to {total} {currency}")
            for tx, currency, total in cursor.fetchall()
        ]
        history = (
            Entry.objects.filter(account__kind__in=NON_NEGATIVE_KINDS)
            .annotate(
                running=Window(Sum("amount"), partition_by=[F("account_id")], order_by=[F("transaction_id"), F("id")])
            )
            .filter(running__lt=0)
            .order_by("account_id", "transaction_id")
            .values_list("account_id", "account__kind", "transaction_id", "running")[:limit]
        )
        problems += [
            Problem("negative balance", f"{kind} account {account} fell to {running} at transaction {tx}")
            for account, kind, tx, running in history
        ]
        still_held = (
            Account.objects.filter(kind=AccountKind.ESCROW, order__state__in=CLOSED_STATES)
            .annotate(held=Sum("entries__amount"))
            .exclude(held=0)
            .exclude(held__isnull=True)
            .order_by("order_id")
            .values_list("order_id", "order__state", "held")[:limit]
        )
        problems += [
            Problem("closed order still holds escrow", f"order {order} ({state}) holds {held}")
            for order, state, held in still_held
        ]
        cursor.execute(
            "SELECT a.currency, SUM(e.amount) FROM orders_entry e JOIN orders_account a ON a.id = e.account_id "
            "GROUP BY a.currency HAVING SUM(e.amount) <> 0"
        )
        problems += [
            Problem("ledger does not sum to zero", f"{currency}: {total}") for currency, total in cursor.fetchall()
        ]
    return problems
