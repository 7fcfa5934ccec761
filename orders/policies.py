"""How much of what a buyer paid comes back when the buyer cancels. Pure functions of the policy and the clock.

| policy   | booking: cancelled at or before the cut-off | after the cut-off |
|----------|---------------------------------------------|-------------------|
| flexible | full refund until 24 h before the start     | none              |
| moderate | full refund until 5 days before             | half              |
| strict   | half refund until 7 days before             | none              |

"Until 24 h before" includes the instant exactly 24 h before. Items: a full refund until the seller marks them
delivered, none after (a buyer with a problem opens a dispute). When the seller cancels, the buyer always gets
everything back (orders.services.order_cancel), whatever the policy.

Refunds are a share of the total the buyer paid (buyer fee included), rounded half-up (orders.pricing.bps_of).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from listings.models import CancellationPolicy, ListingKind
from orders.models import BPS_DENOMINATOR
from orders.pricing import bps_of

FULL = BPS_DENOMINATOR
HALF = BPS_DENOMINATOR // 2
NONE = 0

# policy -> (cut-off before the start, share at or before it, share after it)
POLICY_TERMS: dict[str, tuple[timedelta, int, int]] = {
    CancellationPolicy.FLEXIBLE: (timedelta(hours=24), FULL, NONE),
    CancellationPolicy.MODERATE: (timedelta(days=5), FULL, HALF),
    CancellationPolicy.STRICT: (timedelta(days=7), HALF, NONE),
}


def buyer_refund_bps(
    *, policy: str, kind: str, now: datetime, starts_at: datetime | None = None, delivered: bool = False
) -> int:
    """The share of the total (basis points) a buyer cancelling at `now` gets back."""
    if kind == ListingKind.ITEM:
        return NONE if delivered else FULL
    if starts_at is None:
        raise ValueError("A booking's refund depends on its start.")
    cut_off, before, after = POLICY_TERMS[policy]
    return before if now <= starts_at - cut_off else after


def buyer_refund_amount(
    *, total: int, policy: str, kind: str, now: datetime, starts_at: datetime | None = None, delivered: bool = False
) -> int:
    """The refund in minor units for a buyer cancelling at `now` an order of `total`."""
    share = buyer_refund_bps(policy=policy, kind=kind, now=now, starts_at=starts_at, delivered=delivered)
    return bps_of(total, share)
