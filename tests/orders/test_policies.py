"""Cancellation policies at their boundaries (pure functions: no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from orders.policies import FULL, HALF, NONE, buyer_refund_amount, buyer_refund_bps

START = datetime(2031, 6, 20, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("policy", "before_start", "share"),
    [
        ("flexible", timedelta(days=3), FULL),
        ("flexible", timedelta(hours=24), FULL),
        ("flexible", timedelta(hours=24) - SECOND, NONE),
        ("flexible", timedelta(0), NONE),
        ("moderate", timedelta(days=5), FULL),
        ("moderate", timedelta(days=5) - SECOND, HALF),
        ("moderate", timedelta(hours=1), HALF),
        ("strict", timedelta(days=30), HALF),
        ("strict", timedelta(days=7), HALF),
        ("strict", timedelta(days=7) - SECOND, NONE),
    ],
)
def test_a_buyer_cancelling_a_booking_gets_the_policys_share(policy, before_start, share):
    assert buyer_refund_bps(policy=policy, kind="booking", starts_at=START, now=START - before_start) == share


def test_after_the_start_moderate_still_refunds_half():
    assert buyer_refund_bps(policy="moderate", kind="booking", starts_at=START, now=START + SECOND) == HALF


@pytest.mark.parametrize("policy", ["flexible", "moderate", "strict"])
def test_items_are_refunded_in_full_until_delivered_whatever_the_policy(policy):
    now = START
    assert buyer_refund_bps(policy=policy, kind="item", now=now, delivered=False) == FULL
    assert buyer_refund_bps(policy=policy, kind="item", now=now, delivered=True) == NONE


@pytest.mark.parametrize(("total", "refund"), [(5040, 2520), (5041, 2521), (1, 1), (3, 2)])
def test_half_refunds_round_half_up(total, refund):
    assert (
        buyer_refund_amount(total=total, policy="moderate", kind="booking", starts_at=START, now=START - SECOND)
        == refund
    )


def test_a_booking_needs_its_start():
    with pytest.raises(ValueError):
        buyer_refund_bps(policy="strict", kind="booking", now=START)
