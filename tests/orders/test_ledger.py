import pytest
from django.db import DatabaseError, connection, transaction

from orders import ledger
from orders.models import Account, AccountKind, AppendOnlyError, Entry, LedgerTransaction
from orders.selectors import ledger_totals
from tests.markers import postgresql_only
from tests.orders.factories import MemberFactory, order_row

pytestmark = pytest.mark.django_db


def test_a_payment_moves_money_from_the_buyer_into_the_orders_escrow():
    # given
    order = order_row(subtotal=10_000)
    # when
    posted = ledger.escrow_fund(order=order, amount=10_500, idempotency_key="charge-1")
    # then
    assert ledger.escrow_balance(order=order) == 10_500
    assert ledger.member_balance(member=order.buyer, kind=AccountKind.BUYER_FUNDING, currency="GBP") == -10_500
    assert sum(posted.entries.values_list("amount", flat=True)) == 0
    assert ledger_totals() == {"GBP": 0}


def test_an_unbalanced_posting_is_refused_and_writes_nothing():
    order = order_row()
    escrow = ledger.escrow_account(order=order)
    revenue = ledger.account_get(kind=AccountKind.PLATFORM_REVENUE, currency="GBP")
    with pytest.raises(ledger.LedgerError, match="sum to zero"):
        ledger.ledger_post(kind="charge", legs=[(escrow, 100), (revenue, -99)], idempotency_key="k")
    assert not LedgerTransaction.objects.exists()


def test_entries_in_two_currencies_must_each_balance():
    member = MemberFactory()
    gbp = ledger.account_get(kind=AccountKind.SELLER_PAYABLE, currency="GBP", owner=member)
    eur = ledger.account_get(kind=AccountKind.SELLER_PAID_OUT, currency="EUR", owner=member)
    with pytest.raises(ledger.LedgerError, match="each currency"):
        ledger.ledger_post(kind="payout", legs=[(gbp, -100), (eur, 100)], idempotency_key="fx")


def test_amounts_must_be_integers():
    order = order_row()
    with pytest.raises(ledger.LedgerError):
        ledger.escrow_fund(order=order, amount=10.5, idempotency_key="float")


def test_escrow_cannot_pay_out_more_than_it_holds():
    # given
    order = order_row()
    ledger.escrow_fund(order=order, amount=1000, idempotency_key="in")
    # when / then
    with pytest.raises(ledger.LedgerError, match="cannot pay out"):
        ledger.escrow_refund(order=order, amount=1001, idempotency_key="too-much")
    assert ledger.escrow_balance(order=order) == 1000
    ledger.escrow_refund(order=order, amount=1000, idempotency_key="all")
    assert ledger.escrow_balance(order=order) == 0


def test_a_seller_cannot_be_paid_out_more_than_they_are_owed():
    seller = MemberFactory()
    with pytest.raises(ledger.LedgerError):
        ledger.payable_pay_out(seller=seller, currency="GBP", amount=1, idempotency_key="nothing-owed")


def test_posting_the_same_idempotency_key_twice_moves_the_money_once():
    order = order_row()
    first = ledger.escrow_fund(order=order, amount=700, idempotency_key="same")
    second = ledger.escrow_fund(order=order, amount=700, idempotency_key="same")
    assert first.pk == second.pk
    assert ledger.escrow_balance(order=order) == 700
    assert LedgerTransaction.objects.count() == 1


def test_a_release_splits_between_payees_and_the_platform():
    # given
    order = order_row(subtotal=10_000)
    ledger.escrow_fund(order=order, amount=10_500, idempotency_key="in")
    alice, bob = MemberFactory(), MemberFactory()
    # when
    ledger.escrow_release(order=order, shares=[(alice, 6000), (bob, 3000)], platform_amount=1500, idempotency_key="out")
    # then
    assert ledger.escrow_balance(order=order) == 0
    assert ledger.member_balance(member=alice, kind=AccountKind.SELLER_PAYABLE, currency="GBP") == 6000
    assert ledger.member_balance(member=bob, kind=AccountKind.SELLER_PAYABLE, currency="GBP") == 3000
    revenue = ledger.account_get(kind=AccountKind.PLATFORM_REVENUE, currency="GBP")
    assert ledger.account_balance(account=revenue) == 1500
    assert ledger_totals() == {"GBP": 0}


def test_posted_rows_cannot_be_changed_or_deleted_through_django():
    order = order_row()
    posted = ledger.escrow_fund(order=order, amount=500, idempotency_key="in")
    entry = posted.entries.first()
    entry.amount = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        posted.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(AppendOnlyError):
        LedgerTransaction.objects.all().delete()
    assert Entry.objects.get(pk=entry.pk).amount in {-500, 500}


@postgresql_only("the append-only trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE orders_entry SET amount = amount * 2",
        "DELETE FROM orders_entry",
        "UPDATE orders_ledgertransaction SET memo = 'edited'",
        "DELETE FROM orders_ledgertransaction",
    ],
)
def test_postgresql_refuses_raw_updates_and_deletes_of_the_ledger(sql):
    order = order_row()
    ledger.escrow_fund(order=order, amount=500, idempotency_key="in")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert sorted(Entry.objects.values_list("amount", flat=True)) == [-500, 500]


def test_an_account_scope_must_match_its_kind():
    with pytest.raises(DatabaseError), transaction.atomic():
        Account.objects.create(kind=AccountKind.ESCROW, currency="GBP")  # an escrow belongs to an order
