"""Trust levels: what a member has earned by taking part, and what it lets them do.

Modelled on Discourse's trust levels (https://blog.discourse.org/2018/06/understanding-discourse-trust-levels/),
with the marketplace counting too: an order completed or a good review received says as much about a member as
reading the forum does, so levels 1 to 3 can each be reached by one of two paths.

Requirements per level (all of one path must be met, and the level below must be held):

| level | path | requirements |
|---|---|---|
| 1 Basic | forum | member for 1 day; entered 5 topics; read 30 posts |
| 1 Basic | marketplace | member for 1 day; 1 completed order |
| 2 Member | forum | member for 7 days; visited on 15 days; entered 20 topics; read 100 posts; |
| | | gave 1 reaction; received 1 reaction; replied in 3 topics |
| 2 Member | marketplace | member for 7 days; visited on 10 days; 3 completed orders; 1 good review |
| 3 Regular | forum, last 100 days | visited on 50 days; entered 25 topics; read 300 posts; gave 30 reactions; |
| | | received 20 reactions; replied in 10 topics; no silence or suspension |
| 3 Regular | marketplace, last 100 days | visited on 50 days; read 100 posts; received 10 reactions; |
| | | 10 completed orders; 5 good reviews; no silence or suspension |
| 4 Leader | - | granted by a moderator (a locked level), never computed |

"Entered a topic" is having a read marker on it (`TopicRead`); "posts read" is the sum of the read markers, so a
member who opened a 40-post topic and scrolled to the end read 40 posts. A "good review" is 4 or 5 stars, published
and not hidden (`orders.hooks.member_marketplace_counts`). Days visited come from `MemberVisit`, written at most once
a day per member by `community.middleware.MemberActivityMiddleware`.

Promotion and demotion:
- A level is reached as soon as it is computed: nightly (`trust_levels_refresh`, Celery beat) and whenever the
  member opens their trust page.
- Levels 1 and 2 are never lost. Level 3 is lost (down to 2) when the last 100 days fall below its bar, but not in
  the first 14 days after reaching it, as in Discourse. A silence or suspension in the window also costs level 3.
- A moderator can lock a member at any level (4 only this way); a locked level is neither promoted nor demoted
  until the lock is lifted.

What each level allows is `ALLOWANCES` below: new members (level 0) have caps on links, images and mentions per post,
posts, topics and messages per day, and their flags count for nothing on their own; flags from higher levels weigh
more. Everyone keeps the hourly limits of the forum and messaging services.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.models import (
    Member,
    MemberTrust,
    MemberVisit,
    Post,
    Reaction,
    Sanction,
    TopicRead,
    TrustLevel,
)

REGULAR_WINDOW = timedelta(days=100)
REGULAR_GRACE = timedelta(days=14)
DEFAULT_MARKETPLACE_COUNTS = "community.trust.marketplace_counts_none"


# --- The rules -------------------------------------------------------------------------------------------------------

METRIC_LABELS = {
    "days_since_joined": gettext_lazy("Days since you joined"),
    "days_visited": gettext_lazy("Days visited"),
    "topics_entered": gettext_lazy("Topics entered"),
    "posts_read": gettext_lazy("Posts read"),
    "reactions_given": gettext_lazy("Reactions given"),
    "reactions_received": gettext_lazy("Reactions received"),
    "replies": gettext_lazy("Replies written"),
    "orders_completed": gettext_lazy("Orders completed"),
    "good_reviews": gettext_lazy("Good reviews received"),
    "sanctions": gettext_lazy("Silences or suspensions"),
}


@dataclass(frozen=True)
class Requirement:
    metric: str
    amount: int
    # "at most" requirements (no sanctions) are met while the figure stays at or under the amount.
    at_most: bool = False

    def met(self, figures: dict[str, int]) -> bool:
        value = figures.get(self.metric, 0)
        return value <= self.amount if self.at_most else value >= self.amount


@dataclass(frozen=True)
class Path:
    name: str
    requirements: tuple[Requirement, ...]
    # Level 3 counts the last 100 days only.
    windowed: bool = False

    def met(self, figures: dict[str, int]) -> bool:
        return all(requirement.met(figures) for requirement in self.requirements)


R = Requirement
RULES: dict[int, tuple[Path, ...]] = {
    TrustLevel.BASIC: (
        Path("forum", (R("days_since_joined", 1), R("topics_entered", 5), R("posts_read", 30))),
        Path("marketplace", (R("days_since_joined", 1), R("orders_completed", 1))),
    ),
    TrustLevel.MEMBER: (
        Path(
            "forum",
            (
                R("days_since_joined", 7),
                R("days_visited", 15),
                R("topics_entered", 20),
                R("posts_read", 100),
                R("reactions_given", 1),
                R("reactions_received", 1),
                R("replies", 3),
            ),
        ),
        Path(
            "marketplace",
            (R("days_since_joined", 7), R("days_visited", 10), R("orders_completed", 3), R("good_reviews", 1)),
        ),
    ),
    TrustLevel.REGULAR: (
        Path(
            "forum",
            (
                R("days_visited", 50),
                R("topics_entered", 25),
                R("posts_read", 300),
                R("reactions_given", 30),
                R("reactions_received", 20),
                R("replies", 10),
                R("sanctions", 0, at_most=True),
            ),
            windowed=True,
        ),
        Path(
            "marketplace",
            (
                R("days_visited", 50),
                R("posts_read", 100),
                R("reactions_received", 10),
                R("orders_completed", 10),
                R("good_reviews", 5),
                R("sanctions", 0, at_most=True),
            ),
            windowed=True,
        ),
    ),
}


@dataclass(frozen=True)
class Allowance:
    """What a level allows. None: no cap beyond the limits everyone has."""

    links_per_post: int | None
    images_per_post: int | None
    mentions_per_post: int
    posts_per_day: int | None
    topics_per_day: int | None
    messages_per_day: int | None
    flags_per_day: int
    # A post is hidden when the summed weight of its open flags reaches FLAG_WEIGHT_TO_HIDE; level 0 weighs nothing.
    flag_weight: float
    summary: tuple[str, ...] = field(default=())


FLAG_WEIGHT_TO_HIDE = 3.0
MODERATOR_FLAG_WEIGHT = 3.0

ALLOWANCES: dict[int, Allowance] = {
    TrustLevel.NEW: Allowance(
        links_per_post=2,
        images_per_post=1,
        mentions_per_post=2,
        posts_per_day=10,
        topics_per_day=3,
        messages_per_day=50,
        flags_per_day=5,
        flag_weight=0.0,
        summary=(
            gettext_lazy("Up to 2 links, 1 image and 2 mentions in a post"),
            gettext_lazy("Up to 3 topics and 10 posts a day"),
            gettext_lazy("Up to 50 private messages a day"),
            gettext_lazy("Flags are read by moderators but do not hide posts"),
        ),
    ),
    TrustLevel.BASIC: Allowance(
        links_per_post=10,
        images_per_post=10,
        mentions_per_post=10,
        posts_per_day=None,
        topics_per_day=None,
        messages_per_day=None,
        flags_per_day=10,
        flag_weight=1.0,
        summary=(
            gettext_lazy("Up to 10 links, 10 images and 10 mentions in a post"),
            gettext_lazy("No daily cap on topics, posts or messages (hourly limits still apply)"),
            gettext_lazy("Flags count towards hiding a post (weight 1)"),
        ),
    ),
    TrustLevel.MEMBER: Allowance(
        links_per_post=None,
        images_per_post=None,
        mentions_per_post=10,
        posts_per_day=None,
        topics_per_day=None,
        messages_per_day=None,
        flags_per_day=20,
        flag_weight=1.0,
        summary=(
            gettext_lazy("Any number of links and images"),
            gettext_lazy("Up to 20 flags a day (weight 1)"),
        ),
    ),
    TrustLevel.REGULAR: Allowance(
        links_per_post=None,
        images_per_post=None,
        mentions_per_post=10,
        posts_per_day=None,
        topics_per_day=None,
        messages_per_day=None,
        flags_per_day=30,
        flag_weight=1.5,
        summary=(gettext_lazy("Flags weigh 1.5: two regulars' flags hide a post"),),
    ),
    TrustLevel.LEADER: Allowance(
        links_per_post=None,
        images_per_post=None,
        mentions_per_post=10,
        posts_per_day=None,
        topics_per_day=None,
        messages_per_day=None,
        flags_per_day=50,
        flag_weight=2.0,
        summary=(gettext_lazy("Flags weigh 2, and leaders are asked to help moderators"),),
    ),
}


# --- Figures ---------------------------------------------------------------------------------------------------------


def marketplace_counts_none(*, member_id: int, since=None) -> dict[str, int]:
    """The default until settings.TRUST_MARKETPLACE_COUNTS points at the orders app."""
    return {"orders_completed": 0, "good_reviews": 0}


def _marketplace_counts(member_id: int, since: datetime | None) -> dict[str, int]:
    counts: Callable[..., dict[str, int]] = import_string(
        getattr(settings, "TRUST_MARKETPLACE_COUNTS", DEFAULT_MARKETPLACE_COUNTS)
    )
    return counts(member_id=member_id, since=since)


def trust_figures(*, member: Member, since: datetime | None = None, now: datetime | None = None) -> dict[str, int]:
    """The member's activity, all time or since a moment. About ten queries; run nightly, not per request."""
    now = now or timezone.now()
    reads = TopicRead.objects.filter(member=member)
    visits = MemberVisit.objects.filter(member=member)
    given = Reaction.objects.filter(member=member)
    received = Reaction.objects.filter(post__author=member).exclude(member=member)
    replies = Post.objects.filter(author=member, number__gt=1)
    sanctions = Sanction.objects.filter(member=member)
    if since is not None:
        reads = reads.filter(updated_at__gte=since)
        visits = visits.filter(day__gte=since.date())
        given = given.filter(created_at__gte=since)
        received = received.filter(created_at__gte=since)
        replies = replies.filter(created_at__gte=since)
        sanctions = sanctions.filter(ends_at__gte=since)
    read = reads.aggregate(topics=Count("id"), posts=Sum("last_read_number"))
    figures = {
        "days_since_joined": max((now - member.date_joined).days, 0),
        "days_visited": visits.count(),
        "topics_entered": read["topics"] or 0,
        "posts_read": read["posts"] or 0,
        "reactions_given": given.count(),
        "reactions_received": received.count(),
        "replies": replies.values("topic").distinct().count(),
        "sanctions": sanctions.count(),
    }
    figures.update(_marketplace_counts(member.pk, since))
    return figures


@dataclass
class TrustComputation:
    level: int
    figures: dict[str, int]
    window_figures: dict[str, int]


def trust_level_compute(*, member: Member, now: datetime | None = None) -> TrustComputation:
    """The level the member's activity earns (ignoring locks and the rules on keeping a level): the highest level
    whose requirements, and those of every level below it, are met by one of its paths."""
    now = now or timezone.now()
    figures = trust_figures(member=member, now=now)
    window = trust_figures(member=member, since=now - REGULAR_WINDOW, now=now)
    level = TrustLevel.NEW
    for candidate in (TrustLevel.BASIC, TrustLevel.MEMBER, TrustLevel.REGULAR):
        if not any(path.met(window if path.windowed else figures) for path in RULES[candidate]):
            break
        level = candidate
    return TrustComputation(level=int(level), figures=figures, window_figures=window)


# --- Applying it -------------------------------------------------------------------------------------------------


def _level_after(*, stored: MemberTrust, computed: int, now: datetime) -> int:
    """Promotion at once; levels 1 and 2 are kept; level 3 is lost after its grace period; 4 comes from a lock."""
    if stored.locked_level is not None:
        return stored.locked_level
    current = stored.level
    if computed >= current:
        return computed
    if current == TrustLevel.REGULAR and now - stored.level_since >= REGULAR_GRACE:
        return max(computed, TrustLevel.MEMBER)
    return current


@transaction.atomic
def trust_level_apply(*, member: Member, now: datetime | None = None) -> MemberTrust:
    """Recomputes and stores the member's level (promotion or demotion per the module docstring)."""
    now = now or timezone.now()
    result = trust_level_compute(member=member, now=now)
    stored, _created = MemberTrust.objects.select_for_update().get_or_create(
        member=member, defaults={"level": TrustLevel.NEW, "level_since": now}
    )
    level = _level_after(stored=stored, computed=result.level, now=now)
    if level != stored.level:
        stored.level, stored.level_since = level, now
    stored.computed_at = now
    stored.figures = {"all": result.figures, "window": result.window_figures, "computed_level": result.level}
    stored.save(update_fields=["level", "level_since", "computed_at", "figures"])
    member._trust_level = stored.level
    return stored


def member_trust_level(member: Member) -> int:
    """The member's stored level (computed and stored the first time it is asked for); remembered on the instance
    for the rest of the request."""
    cached = getattr(member, "_trust_level", None)
    if cached is not None:
        return cached
    level = MemberTrust.objects.filter(member_id=member.pk).values_list("level", flat=True).first()
    if level is None:
        level = trust_level_apply(member=member).level
    member._trust_level = level
    return level


def allowance_for(member: Member) -> Allowance:
    return ALLOWANCES[member_trust_level(member)]


def trust_levels_refresh(*, now: datetime | None = None) -> int:
    """Recomputes every member who has a stored level or visited in the last 100 days. Idempotent."""
    now = now or timezone.now()
    recent = MemberVisit.objects.filter(day__gte=(now - REGULAR_WINDOW).date()).values("member_id")
    members = Member.objects.filter(Q(trust__isnull=False) | Q(pk__in=recent), is_active=True, deleted_at__isnull=True)
    count = 0
    for member in members.iterator(chunk_size=500):
        trust_level_apply(member=member, now=now)
        count += 1
    return count


@shared_task(name="community.trust_levels_refresh", ignore_result=True)
def trust_levels_refresh_task() -> int:
    return trust_levels_refresh()


@transaction.atomic
def trust_level_lock(*, member: Member, moderator: Member, level: int | None, reason: str = "") -> MemberTrust:
    """Locks the member at `level`; None unlocks, and the member then holds the level their activity earns.
    Moderators only; logged."""
    from community import moderation

    moderation.moderator_check(moderator)
    if level is not None and level not in TrustLevel.values:
        raise ValidationError({"level": _("Choose a trust level from 0 to 4.")})
    stored, _created = MemberTrust.objects.select_for_update().get_or_create(member=member)
    stored.locked_level, stored.locked_by = level, (moderator if level is not None else None)
    if level is not None and stored.level != level:
        stored.level, stored.level_since = level, timezone.now()
    stored.save(update_fields=["locked_level", "locked_by", "level", "level_since"])
    moderation.log_write(
        action="trust_locked",
        actor=moderator,
        member=member,
        reason=reason or (_("Locked at level %(level)s") % {"level": level} if level is not None else _("Lock lifted")),
    )
    if level is None:
        # Unlocked: the member holds what their activity earns, from now on under the usual rules.
        stored.level, stored.level_since = trust_level_compute(member=member).level, timezone.now()
        stored.save(update_fields=["level", "level_since"])
    member._trust_level = stored.level
    return stored


# --- The page -------------------------------------------------------------------------------------------------------


@dataclass
class RequirementProgress:
    label: str
    value: int
    amount: int
    at_most: bool
    met: bool

    @property
    def percent(self) -> int:
        if self.at_most:
            return 100 if self.met else 0
        return 100 if self.amount <= 0 else min(100, round(100 * self.value / self.amount))


@dataclass
class PathProgress:
    name: str
    windowed: bool
    requirements: list[RequirementProgress]

    @property
    def met(self) -> bool:
        return all(requirement.met for requirement in self.requirements)


@dataclass
class TrustProgress:
    level: int
    level_label: str
    locked: bool
    allows: tuple[str, ...]
    next_level: int | None
    next_label: str
    next_allows: tuple[str, ...]
    paths: list[PathProgress]


def trust_progress(*, member: Member) -> TrustProgress:
    """Recomputes the member's level, then their progress to the next one, requirement by requirement."""
    stored = trust_level_apply(member=member)
    figures, window = stored.figures["all"], stored.figures["window"]
    next_level = stored.level + 1 if stored.level < TrustLevel.REGULAR and stored.locked_level is None else None
    paths: list[PathProgress] = []
    for path in RULES.get(next_level, ()) if next_level is not None else ():
        source = window if path.windowed else figures
        paths.append(
            PathProgress(
                name=path.name,
                windowed=path.windowed,
                requirements=[
                    RequirementProgress(
                        label=str(METRIC_LABELS[r.metric]),
                        value=source.get(r.metric, 0),
                        amount=r.amount,
                        at_most=r.at_most,
                        met=r.met(source),
                    )
                    for r in path.requirements
                ],
            )
        )
    return TrustProgress(
        level=stored.level,
        level_label=str(TrustLevel(stored.level).label),
        locked=stored.locked_level is not None,
        allows=tuple(str(text) for text in ALLOWANCES[stored.level].summary),
        next_level=next_level,
        next_label=str(TrustLevel(next_level).label) if next_level is not None else "",
        next_allows=tuple(str(text) for text in ALLOWANCES[next_level].summary) if next_level is not None else (),
        paths=paths,
    )


def trust_regular_kept(*, member: Member) -> list[RequirementProgress]:
    """For a level 3 member: the last 100 days against the bar to keep level 3 (the closer of its two paths)."""
    stored = MemberTrust.objects.get(member=member)
    window = stored.figures.get("window", {})
    best = max(RULES[TrustLevel.REGULAR], key=lambda path: sum(r.met(window) for r in path.requirements))
    return [
        RequirementProgress(
            label=str(METRIC_LABELS[r.metric]),
            value=window.get(r.metric, 0),
            amount=r.amount,
            at_most=r.at_most,
            met=r.met(window),
        )
        for r in best.requirements
    ]


# --- Gates -----------------------------------------------------------------------------------------------------------

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[")
_MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")
_BARE_LINK = re.compile(r"(https?://|ftp://|mailto:|www\.)\S+|<[a-z][a-z0-9+.-]*:[^>]*>", re.I)
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*\S+", re.M)


def links_and_images(body: str) -> tuple[int, int]:
    """How many links and images a Markdown body carries (a link's text and its address count once)."""
    images = len(_IMAGE.findall(body))
    rest = _IMAGE.sub(" ", body)
    links = len(_MARKDOWN_LINK.findall(rest)) + len(_REFERENCE.findall(rest))
    rest = _REFERENCE.sub(" ", _MARKDOWN_LINK.sub(" ", rest))
    links += len(_BARE_LINK.findall(rest))
    return links, images


def _how_to_progress() -> str:
    return _("Read topics, react to helpful posts and complete orders to reach the next level: see “Your trust level”.")


def post_content_check(*, author: Member, body: str) -> None:
    """Refuses a post with more links or images than the author's level allows, saying why and how to progress."""
    allowance = allowance_for(author)
    links, images = links_and_images(body)
    level = member_trust_level(author)
    if allowance.links_per_post is not None and links > allowance.links_per_post:
        raise ValidationError(
            {
                "body": _(
                    "At trust level %(level)s a post can have at most %(limit)s links (this one has %(count)s). "
                    "Remove some, or describe the page in words."
                )
                % {"level": level, "limit": allowance.links_per_post, "count": links}
                + " "
                + _how_to_progress()
            }
        )
    if allowance.images_per_post is not None and images > allowance.images_per_post:
        raise ValidationError(
            {
                "body": _("At trust level %(level)s a post can have at most %(limit)s images (this one has %(count)s).")
                % {"level": level, "limit": allowance.images_per_post, "count": images}
                + " "
                + _how_to_progress()
            }
        )


def mentions_check(*, author: Member, count: int) -> None:
    """A mention storm is refused whole, rather than notifying the first few members."""
    allowance = allowance_for(author)
    if count > allowance.mentions_per_post:
        raise ValidationError(
            {
                "body": _(
                    "A post can mention at most %(limit)s members at your trust level (this one mentions %(count)s). "
                    "Mention fewer people; they will still see the topic in the forum."
                )
                % {"limit": allowance.mentions_per_post, "count": count}
            }
        )


def daily_limit_message(*, what: str, limit: int, level: int) -> str:
    texts = {
        "posts": _("At trust level %(level)s you can write %(limit)s posts a day, and you have reached that."),
        "topics": _("At trust level %(level)s you can open %(limit)s topics a day, and you have reached that."),
        "messages": _("At trust level %(level)s you can send %(limit)s messages a day, and you have reached that."),
    }
    return (
        texts[what] % {"level": level, "limit": limit}
        + " "
        + _("You can write again tomorrow.")
        + " "
        + _how_to_progress()
    )


def messages_per_day_check(*, sender: Member, sent_today: Callable[[], int], error: type[ValidationError]) -> None:
    """Refuses a message past the sender's daily cap with `error` (the messaging service's RateLimited)."""
    limit = allowance_for(sender).messages_per_day
    if limit is not None and sent_today() >= limit:
        raise error({"body": daily_limit_message(what="messages", limit=limit, level=member_trust_level(sender))})


def flag_weight(member: Member) -> float:
    from community.forums.selectors import member_can_moderate

    if member_can_moderate(member):
        return MODERATOR_FLAG_WEIGHT
    return allowance_for(member).flag_weight
