"""Invariants of the escrow ledger under random sequences of operations (hypothesis).

Two levels: the ledger's own movements (fund, refund, release with splits, payout, replayed keys), where the test
keeps a model of what every balance should be; and the order services (checkout, partial refunds, cancellations
by either party, delivery, completion, disputes, payouts), where only the invariants are checked. Each example
runs in a savepoint that is rolled back, so examples do not see each other's money.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from community.models import RoleGrant
from orders import ledger, services
from orders.models import CLOSED_STATES, AccountKind, Entry, LedgerTransaction, Order
from tests.orders.factories import MemberFactory, item_listing, order_row

pytestmark = pytest.mark.django_db

N_ORDERS = 3
N_MEMBERS = 3


class Rollback(Exception):
    pass


def assert_ledger_invariants() -> None:
    # every transaction balances per currency
    unbalanced = (
        Entry.objects.values("transaction_id", "account__currency").annotate(total=Sum("amount")).exclude(total=0)
    )
    assert not unbalanced.exists()
    # all balances together add up to zero in each currency
    assert all(
        total == 0
        for total in Entry.objects.values("account__currency").annotate(t=Sum("amount")).values_list("t", flat=True)
    )
    # no escrow or payable account is negative
    negative = (
        Entry.objects.filter(account__kind__in=[AccountKind.ESCROW, AccountKind.SELLER_PAYABLE])
        .values("account_id")
        .annotate(total=Sum("amount"))
        .filter(total__lt=0)
    )
    assert not negative.exists()
    # and `manage.py ledger_check` agrees (it also checks every account's history and closed orders' escrow)
    from orders.ledger_check import ledger_problems

    assert ledger_problems() == []


# --- The ledger's own movements -------------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=50_000)
operation = st.one_of(
    st.tuples(st.just("fund"), st.integers(0, N_ORDERS - 1), amounts),
    st.tuples(st.just("refund"), st.integers(0, N_ORDERS - 1), amounts),
    st.tuples(
        st.just("release"),
        st.integers(0, N_ORDERS - 1),
        st.lists(st.integers(0, 10), min_size=N_MEMBERS, max_size=N_MEMBERS),  # weights of each payee
        st.integers(0, 10_000),  # platform's share, in basis points
    ),
    st.tuples(st.just("payout"), st.integers(0, N_MEMBERS - 1), amounts),
    st.tuples(st.just("close"), st.integers(0, N_ORDERS - 1), st.integers(0, 10_000)),
    st.tuples(st.just("replay"), st.integers(0, 1000)),
)


@pytest.fixture
def parties():
    members = [MemberFactory() for _ in range(N_MEMBERS)]
    orders = [order_row() for _ in range(N_ORDERS)]
    return members, orders


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_random_ledger_operations_keep_the_books_straight(parties, operations):
    members, orders = parties
    try:
        with transaction.atomic():
            run_ledger_operations(members, orders, operations)
            raise Rollback
    except Rollback:
        pass


def run_ledger_operations(members, orders, operations) -> None:
    escrow = [0] * N_ORDERS
    payable = [0] * N_MEMBERS
    posted: list[tuple[str, object]] = []  # (key, call) of every successful posting, to replay
    closed: set[int] = set()

    def post(key: str, call) -> bool:
        try:
            with transaction.atomic():
                call(key)
        except ledger.LedgerError:
            return False
        posted.append((key, call))
        return True

    for step, op in enumerate(operations):
        key = f"op-{step}"
        kind = op[0]
        if kind == "fund":
            _, i, amount = op
            if post(key, lambda k, o=orders[i], a=amount: ledger.escrow_fund(order=o, amount=a, idempotency_key=k)):
                escrow[i] += amount
        elif kind == "refund":
            _, i, amount = op
            ok = post(key, lambda k, o=orders[i], a=amount: ledger.escrow_refund(order=o, amount=a, idempotency_key=k))
            assert ok == (amount <= escrow[i])
            if ok:
                escrow[i] -= amount
        elif kind == "release":
            _, i, weights, platform_bps = op
            held = escrow[i]
            platform = held * platform_bps // 10_000
            net = held - platform
            parts = split(net, weights)
            shares = [(members[m], parts[m]) for m in range(N_MEMBERS)]
            ok = post(
                key,
                lambda k, o=orders[i], s=shares, p=platform: ledger.escrow_release(
                    order=o, shares=s, platform_amount=p, idempotency_key=k
                ),
            )
            assert ok == (held > 0)
            if ok:
                escrow[i] = 0
                for m in range(N_MEMBERS):
                    payable[m] += parts[m]
        elif kind == "payout":
            _, m, amount = op
            ok = post(
                key,
                lambda k, s=members[m], a=amount: ledger.payable_pay_out(
                    seller=s, currency="GBP", amount=a, idempotency_key=k
                ),
            )
            assert ok == (amount <= payable[m])
            if ok:
                payable[m] -= amount
        elif kind == "close":  # refund part, release the rest: the order's escrow ends at zero
            _, i, refund_bps = op
            refund = escrow[i] * refund_bps // 10_000
            if refund:
                assert post(
                    key + "-refund",
                    lambda k, o=orders[i], a=refund: ledger.escrow_refund(order=o, amount=a, idempotency_key=k),
                )
            rest = escrow[i] - refund
            if rest:
                assert post(
                    key + "-release",
                    lambda k, o=orders[i], a=rest, s=members[0]: ledger.escrow_release(
                        order=o, shares=[(s, a)], platform_amount=0, idempotency_key=k
                    ),
                )
                payable[0] += rest
            escrow[i] = 0
            closed.add(i)
            assert ledger.escrow_balance(order=orders[i]) == 0
        elif kind == "replay" and posted:
            count = LedgerTransaction.objects.count()
            replay_key, call = posted[op[1] % len(posted)]
            call(replay_key)
            assert LedgerTransaction.objects.count() == count  # an idempotency key never posts twice

        assert [ledger.escrow_balance(order=o) for o in orders] == escrow
        assert [
            ledger.member_balance(member=m, kind=AccountKind.SELLER_PAYABLE, currency="GBP") for m in members
        ] == payable
    assert LedgerTransaction.objects.filter(idempotency_key__startswith="op-").count() == len(posted)
    assert_ledger_invariants()


def split(amount: int, weights: list[int]) -> list[int]:
    if sum(weights) == 0:
        weights = [1] + [0] * (len(weights) - 1)
    from orders.payees import amount_split

    return amount_split(amount=amount, weights=weights)


# --- Through the order services -------------------------------------------------------------------------------

service_operation = st.one_of(
    st.tuples(st.just("buy"), st.integers(0, 1), st.sampled_from(["pm_card_visa", "pm_card_chargeDeclined"])),
    st.tuples(st.just("buy"), st.integers(0, 1), st.just("pm_card_visa")),
    st.tuples(st.just("refund_part"), st.integers(0, 3), st.integers(1, 20_000)),
    st.tuples(st.just("cancel"), st.integers(0, 3), st.sampled_from(["buyer", "seller"])),
    st.tuples(st.just("deliver"), st.integers(0, 3)),
    st.tuples(st.just("complete"), st.integers(0, 3)),
    st.tuples(st.just("dispute"), st.integers(0, 3)),
    st.tuples(st.just("resolve"), st.integers(0, 3), st.integers(0, 10_000)),
    st.tuples(st.just("payout"), st.integers(0, 1)),
)


@pytest.fixture
def market():
    sellers = [MemberFactory(), MemberFactory()]
    listings = [
        item_listing(seller=seller, price_amount=price, quantity=50)
        for seller, price in zip(sellers, [2399, 10_001], strict=True)
    ]
    moderator = MemberFactory()
    RoleGrant.objects.create(member=moderator, role="moderator")
    return sellers, listings, MemberFactory(), moderator


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.tuples(st.just("buy"), st.integers(0, 1), st.just("pm_card_visa")),
    operations=st.lists(service_operation, min_size=1, max_size=20),
)
def test_random_order_journeys_keep_the_books_straight(market, first, operations):
    try:
        with transaction.atomic():
            run_service_operations(*market, [first, *operations])
            raise Rollback
    except Rollback:
        pass


def run_service_operations(sellers, listings, buyer, moderator, operations) -> None:
    orders: list[Order] = []

    def pick(index: int) -> Order | None:
        return Order.objects.get(pk=orders[index % len(orders)].pk) if orders else None

    for op in operations:
        kind = op[0]
        order = pick(op[1]) if kind not in {"buy", "payout"} else None
        try:
            with transaction.atomic():
                if kind == "buy":
                    orders.append(
                        services.order_create(buyer=buyer, listing_id=listings[op[1]].pk, payment_method=op[2])
                    )
                elif order is None:
                    continue
                elif kind == "refund_part":
                    services.order_refund(order_id=order.pk, seller=order.seller, amount=op[2])
                elif kind == "cancel":
                    services.order_cancel(order_id=order.pk, actor=order.buyer if op[2] == "buyer" else order.seller)
                elif kind == "deliver":
                    services.order_fulfil(order_id=order.pk, actor=order.seller)
                elif kind == "complete":
                    services.order_complete(order_id=order.pk, actor=order.buyer)
                elif kind == "dispute":
                    services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="Problem")
                elif kind == "resolve":
                    held = ledger.escrow_balance(order=order)
                    services.order_dispute_resolve(
                        order_id=order.pk,
                        moderator=moderator,
                        refund_amount=held * op[2] // 10_000,
                        note="Decided on the evidence.",
                    )
                elif kind == "payout":
                    services.payout_create(seller=sellers[op[1]])
        except (ValidationError, PermissionDenied):
            pass  # refused moves are fine; they must leave the books as they were
        assert_ledger_invariants()

    paid_in: dict[int, int] = defaultdict(int)
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
        money = ledger.escrow_balance(order=order)
        event(f"an order ended {order.state}")
        if order.state in CLOSED_STATES:
            assert money == 0, f"{order.state} order still holds {money}"
        else:
            assert money >= 0
        paid_in[order.buyer_id] += 1
    # what the buyer paid = what is held + refunded + released
    funding = -ledger.member_balance(member=buyer, kind=AccountKind.BUYER_FUNDING, currency="GBP")
    back = ledger.member_balance(member=buyer, kind=AccountKind.REFUNDS, currency="GBP")
    held = sum(ledger.escrow_balance(order=o) for o in orders)
    payables = sum(
        ledger.member_balance(member=s, kind=k, currency="GBP")
        for s in sellers
        for k in (AccountKind.SELLER_PAYABLE, AccountKind.SELLER_PAID_OUT)
    )
    revenue = ledger.account_balance(account=ledger.account_get(kind=AccountKind.PLATFORM_REVENUE, currency="GBP"))
    assert funding == held + back + payables + revenue
