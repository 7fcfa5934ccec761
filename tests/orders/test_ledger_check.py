"""`manage.py ledger_check`: quiet on books the services kept, loud (naming the rows) on broken ones."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from orders import ledger
from orders.ledger_check import ledger_problems
from orders.models import Account, AccountKind, LedgerTransaction
from tests.orders import factories as of

pytestmark = pytest.mark.django_db


def funded_order(**fields):
    order = of.order_row(**fields)
    ledger.escrow_fund(order=order, amount=order.total, idempotency_key=f"test:{order.pk}:charge")
    return order


def test_books_kept_by_the_services_pass(capsys):
    order = funded_order()
    ledger.escrow_release(
        order=order,
        shares=[(order.seller, order.seller_net)],
        platform_amount=order.total - order.seller_net,
        idempotency_key=f"test:{order.pk}:release",
    )
    order.state = "released"
    order.save(update_fields=["state"])
    funded_order(state="paid")  # still in escrow, and open: fine
    assert ledger_problems() == []
    call_command("ledger_check")
    assert "Ledger OK" in capsys.readouterr().out


def test_an_unbalanced_transaction_and_a_closed_order_holding_escrow_are_named():
    held = funded_order(state="cancelled")  # cancelled without its refund: money stuck in escrow
    escrow = Account.objects.get(kind=AccountKind.ESCROW, order=held)
    broken = LedgerTransaction.objects.create(kind="charge", idempotency_key="test:broken")
    with connection.cursor() as cursor:  # what a buggy raw write could do: one leg only
        cursor.execute(
            "INSERT INTO orders_entry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
            [broken.pk, escrow.pk, -(10**9)],
        )
    problems = [str(problem) for problem in ledger_problems()]
    assert f"unbalanced transaction: transaction {broken.pk} sums to -1000000000 {held.currency}" in problems
    assert any(p.startswith(f"negative balance: escrow account {escrow.pk} fell to") for p in problems)
    assert any(p.startswith("ledger does not sum to zero") for p in problems)
    with pytest.raises(CommandError, match="ledger invariant violation"):
        call_command("ledger_check")


def test_a_closed_order_still_holding_escrow_is_named():
    held = funded_order(state="cancelled")
    assert [str(p) for p in ledger_problems()] == [
        f"closed order still holds escrow: order {held.pk} (cancelled) holds {held.total}"
    ]
