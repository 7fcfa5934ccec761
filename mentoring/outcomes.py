"""Reads for a mentee's outcomes: their shop's figures now, at the mentorship's start and end, and beside the median
of their peers (sellers at the same stage), for the insight page.

The figures, for one seller:
- `conversion`: completed sales per published listing. Listing views are not tracked, so this is sales per
  listing rather than sales per view.
- `review_average` and `review_count`: buyers' reviews of the seller (published, not hidden).
- `defect_rate`: the order defect rate, a percentage, defined once in `orders.hooks.seller_order_stats`.
- `days_to_first_sale`: days from the seller's first published listing to their first completed sale.

Orders' data is read only through `orders.hooks.seller_order_stats`; listings' through the listings model.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Min, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Member, Profile
from listings.models import Listing, ListingStatus
from mentoring.models import Mentorship, OutcomeSnapshot, SnapshotKind
from orders.hooks import seller_order_stats

# Fewer peers than this with a figure, and the median is not shown: it would say too much about too few sellers.
MIN_PEERS = 5
PEER_LIMIT = 2000  # the most recent sellers at the stage that the medians are taken over

METRICS = ("conversion", "review_average", "review_count", "defect_rate", "days_to_first_sale")
METRIC_LABELS = {
    "conversion": _("Conversion (sales per published listing)"),
    "review_average": _("Review average"),
    "review_count": _("Reviews"),
    "defect_rate": _("Order defect rate"),
    "days_to_first_sale": _("Days from first listing to first sale"),
}


@dataclass(frozen=True)
class SellerOutcome:
    listings: int
    sales: int
    conversion: Decimal | None
    review_count: int
    review_average: Decimal | None
    defect_rate: Decimal | None
    defect_window: int
    days_to_first_sale: int | None

    @classmethod
    def from_snapshot(cls, snapshot: OutcomeSnapshot) -> SellerOutcome:
        return cls(**{field: getattr(snapshot, field) for field in cls.__dataclass_fields__})


def seller_outcomes(*, member_ids: list[int]) -> dict[int, SellerOutcome]:
    """The figures of each seller now: two queries for listings, three for orders, whatever the number."""
    ids = sorted(set(member_ids))
    listed = {
        row["seller_id"]: row
        for row in Listing.objects.filter(seller_id__in=ids)
        .values("seller_id")
        .annotate(published=Count("pk", filter=Q(status=ListingStatus.PUBLISHED)), first_at=Min("published_at"))
        .order_by()
    }
    orders = seller_order_stats(seller_ids=ids)
    outcomes = {}
    for member_id in ids:
        stats, listing = orders[member_id], listed.get(member_id, {})
        published = listing.get("published", 0)
        first_at = listing.get("first_at")
        days = None
        if stats.first_sale_at and first_at:
            days = max(0, (stats.first_sale_at - first_at).days)
        outcomes[member_id] = SellerOutcome(
            listings=published,
            sales=stats.sales,
            conversion=(Decimal(stats.sales) / published).quantize(Decimal("0.01")) if published else None,
            review_count=stats.review_count,
            review_average=stats.review_average,
            defect_rate=stats.defect_rate,
            defect_window=stats.defect_window,
            days_to_first_sale=days,
        )
    return outcomes


def seller_outcome(*, member: Member) -> SellerOutcome:
    return seller_outcomes(member_ids=[member.pk])[member.pk]


@dataclass(frozen=True)
class PeerMedian:
    value: Decimal | None  # None when fewer than MIN_PEERS peers have the figure
    peers: int  # peers with the figure


def _median(values: list) -> Decimal | None:
    if len(values) < MIN_PEERS:
        return None
    return Decimal(str(statistics.median(values))).quantize(Decimal("0.01"))


def peer_medians(*, stage: str, exclude_member_id: int) -> dict[str, PeerMedian]:
    """The median of each figure over sellers at `stage` (members of that stage with a published listing), without
    the mentee. Hidden (None) for a figure fewer than `MIN_PEERS` peers have."""
    peer_ids = list(
        Profile.objects.filter(seller_stage=stage, member__is_active=True)
        .exclude(member_id=exclude_member_id)
        .filter(member__listings__status=ListingStatus.PUBLISHED)
        .values_list("member_id", flat=True)
        .distinct()
        .order_by("-member_id")[:PEER_LIMIT]
    )
    outcomes = seller_outcomes(member_ids=peer_ids).values()
    medians = {}
    for metric in METRICS:
        values = [getattr(outcome, metric) for outcome in outcomes if getattr(outcome, metric) is not None]
        medians[metric] = PeerMedian(value=_median(values), peers=len(values))
    return medians


@dataclass(frozen=True)
class InsightRow:
    metric: str
    start: object
    latest: object
    peer_median: PeerMedian | None

    @property
    def label(self) -> str:
        return str(METRIC_LABELS[self.metric])


@dataclass(frozen=True)
class Insight:
    mentorship: Mentorship
    viewer_is_mentee: bool
    start: SellerOutcome | None  # None: the mentorship started before snapshots were kept
    start_at: object
    latest: SellerOutcome
    latest_at: object
    latest_is_end: bool
    peers: dict[str, PeerMedian]
    stage: str

    @property
    def rows(self) -> list[InsightRow]:
        return [
            InsightRow(
                metric=metric,
                start=getattr(self.start, metric) if self.start else None,
                latest=getattr(self.latest, metric),
                peer_median=self.peers.get(metric),
            )
            for metric in METRICS
        ]


def mentorship_insight(*, pk: int, member: Member) -> Insight:
    """The mentee's figures at the start and now (or at the end), beside their peers' medians.

    The mentee always sees their own; the mentor only while the mentee consents; anyone else, staff included,
    gets 404, the same answer as for a mentorship that does not exist."""
    mentorship = Mentorship.objects.select_related("mentee__profile", "mentor", "track").filter(pk=pk).first()
    if mentorship is None:
        raise Http404
    is_mentee = mentorship.mentee_id == member.pk
    if not (is_mentee or (mentorship.mentor_id == member.pk and mentorship.insight_consent)):
        raise Http404
    snapshots = {snapshot.kind: snapshot for snapshot in mentorship.snapshots.all()}
    start, end = snapshots.get(SnapshotKind.START), snapshots.get(SnapshotKind.END)
    latest = SellerOutcome.from_snapshot(end) if end else seller_outcome(member=mentorship.mentee)
    stage = getattr(getattr(mentorship.mentee, "profile", None), "seller_stage", "") or mentorship.track.stage
    return Insight(
        mentorship=mentorship,
        viewer_is_mentee=is_mentee,
        start=SellerOutcome.from_snapshot(start) if start else None,
        start_at=start.taken_at if start else None,
        latest=latest,
        latest_at=end.taken_at if end else timezone.now(),
        latest_is_end=end is not None,
        peers=peer_medians(stage=stage, exclude_member_id=mentorship.mentee_id),
        stage=stage,
    )
