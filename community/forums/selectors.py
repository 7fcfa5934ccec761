"""Reads for the forums. A category a member may not see, and its topics and posts, do not exist for them (404).

Lists cost a fixed number of queries whatever their length: authors, badges, reaction counts, the member's own
reactions and unread counts come in the same queries (annotations and prefetches), never one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404

from community.models import (
    CategoryVisibility,
    Flag,
    FlagStatus,
    ForumCategory,
    Member,
    Post,
    Reaction,
    ReactionKind,
    Role,
    RoleGrant,
    Topic,
    TopicRead,
    TopicWatch,
    Verification,
    VerificationStatus,
    WatchLevel,
)

TOPICS_PER_PAGE = 30
SEARCH_RESULTS = 50


# --- Who may see and do what ---------------------------------------------------------------------------------------


def member_can_moderate(member) -> bool:
    """Staff and members with the moderator role. Ambassadors moderating their region come later."""
    if not getattr(member, "is_authenticated", False):
        return False
    if member.is_staff:
        return True
    return member.has_role(Role.MODERATOR)  # the signed-in member's grants come prefetched


def _visible_categories_q(member) -> Q:
    public = Q(visibility=CategoryVisibility.PUBLIC)
    if not getattr(member, "is_authenticated", False):
        return public
    if member_can_moderate(member):
        return Q()
    roles = RoleGrant.objects.filter(member_id=member.pk).values("role")
    invited = ForumCategory.members.through.objects.filter(member_id=member.pk).values("forumcategory_id")
    return (
        public
        | Q(visibility=CategoryVisibility.MEMBERS)
        | Q(visibility=CategoryVisibility.ROLE, role__in=roles)
        | Q(visibility=CategoryVisibility.PRIVATE, pk__in=invited)
    )


def category_visible_to(category: ForumCategory, member) -> bool:
    if category.visibility == CategoryVisibility.PUBLIC:
        return True
    return ForumCategory.objects.filter(_visible_categories_q(member), pk=category.pk).exists()


# --- Categories --------------------------------------------------------------------------------------------------


def categories_for(*, member) -> QuerySet[ForumCategory]:
    """The categories the member may see, each with its topic count and last activity, in one query."""
    return (
        ForumCategory.objects.filter(_visible_categories_q(member))
        .annotate(topic_count=Count("topics"), last_activity_at=Max("topics__last_activity_at"))
        .order_by("facet", "position", "name")
    )


def category_get_for(*, slug: str, member) -> ForumCategory:
    category = ForumCategory.objects.filter(_visible_categories_q(member), slug=slug).first()
    if category is None:
        raise Http404
    return category


def category_topics(*, category: ForumCategory, member) -> QuerySet[Topic]:
    """Pinned topics first, then by last activity; each with its author, last poster, tags and the member's unread
    count (posts after the last one they read; every post when they never opened the topic)."""
    topics = (
        Topic.objects.filter(category=category)
        .select_related("category", "author__profile", "last_poster__profile")
        .prefetch_related("tags", _approved_badges("author__verifications"))
        .order_by("-pinned", "-last_activity_at", "-id")
    )
    if not getattr(member, "is_authenticated", False):
        return topics.annotate(unread=Value(0, output_field=IntegerField()), read_before=Value(False))
    last_read = TopicRead.objects.filter(topic_id=OuterRef("pk"), member_id=member.pk).values("last_read_number")[:1]
    return topics.annotate(
        read_before=Exists(last_read),
        unread=Greatest(F("post_count") - Coalesce(Subquery(last_read, output_field=IntegerField()), 0), 0),
    )


# --- Topics and posts --------------------------------------------------------------------------------------------


def topic_get_for(*, topic_id: int, member) -> Topic:
    topic = (
        Topic.objects.select_related("category", "author__profile", "review_listing", "accepted_answer")
        .prefetch_related("tags", "linked_listings")
        .filter(pk=topic_id)
        .first()
    )
    if topic is None or not category_visible_to(topic.category, member):
        raise Http404
    return topic


def post_get_for(*, post_id: int, member) -> Post:
    post = Post.objects.select_related("topic__category", "author__profile").filter(pk=post_id).first()
    if post is None or not category_visible_to(post.topic.category, member):
        raise Http404
    return post


def _approved_badges(path: str) -> Prefetch:
    return Prefetch(
        path,
        queryset=Verification.objects.filter(status=VerificationStatus.APPROVED).only("id", "member_id", "kind"),
        to_attr="approved_verifications",
    )


def topic_posts(*, topic: Topic, member) -> QuerySet[Post]:
    """The topic's posts in order, with authors and their badges, quoted posts, reaction counts per kind and which
    kinds the member gave (`mine_<kind>`): two queries for a page of any size."""
    posts = (
        Post.objects.filter(topic=topic)
        .select_related("author__profile", "quote__author__profile")
        .prefetch_related(_approved_badges("author__verifications"))
        .order_by("number")
    )
    annotations = {
        f"count_{kind}": Count("reactions", filter=Q(reactions__kind=kind), distinct=True)
        for kind in ReactionKind.values
    }
    posts = posts.annotate(**annotations)
    if getattr(member, "is_authenticated", False):
        posts = posts.annotate(
            **{
                f"mine_{kind}": Exists(Reaction.objects.filter(post_id=OuterRef("pk"), member_id=member.pk, kind=kind))
                for kind in ReactionKind.values
            }
        )
    return posts


@dataclass(frozen=True)
class ReactionCount:
    kind: str
    label: str
    count: int
    mine: bool


def post_reactions(post: Post) -> list[ReactionCount]:
    """What a post's reaction buttons show, read from the annotations of `topic_posts`."""
    return [
        ReactionCount(
            kind=kind,
            label=str(label),
            count=getattr(post, f"count_{kind}", 0),
            mine=bool(getattr(post, f"mine_{kind}", False)),
        )
        for kind, label in ReactionKind.choices
    ]


def post_with_reactions(*, post: Post, member) -> Post:
    """One post annotated as `topic_posts` annotates a page of them (after a reaction is toggled)."""
    return topic_posts(topic=post.topic, member=member).get(pk=post.pk)


def topic_watch_level(*, topic: Topic, member) -> str:
    if not getattr(member, "is_authenticated", False):
        return WatchLevel.NORMAL
    level = TopicWatch.objects.filter(topic=topic, member_id=member.pk).values_list("level", flat=True).first()
    return level or WatchLevel.NORMAL


def topic_last_read(*, topic: Topic, member) -> int:
    if not getattr(member, "is_authenticated", False):
        return 0
    read = TopicRead.objects.filter(topic=topic, member_id=member.pk).values_list("last_read_number", flat=True)
    return read.first() or 0


# --- Search ------------------------------------------------------------------------------------------------------


def forum_search(*, query: str, member, limit: int = SEARCH_RESULTS) -> list[Post]:
    """Posts (with their topics) whose body, or whose topic's title, matches, in categories the member sees.
    PostgreSQL ranks by full-text match on the GIN-indexed vector; SQLite falls back to `icontains`."""
    query = (query or "").strip()[:200]
    if not query:
        return []
    visible = ForumCategory.objects.filter(_visible_categories_q(member)).values("pk")
    posts = Post.objects.filter(topic__category__in=visible, hidden=False).select_related(
        "topic__category", "author__profile"
    )
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(query, search_type="websearch", config="english")
        posts = posts.filter(search_vector=tsquery).annotate(rank=SearchRank(F("search_vector"), tsquery))
        posts = posts.order_by("-rank", "-created_at")
    else:
        posts = posts.filter(Q(body__icontains=query) | Q(number=1, topic__title__icontains=query))
        posts = posts.order_by("-created_at")
    return list(posts[:limit])


# --- Moderation --------------------------------------------------------------------------------------------------


def flags_open() -> QuerySet[Flag]:
    """Open flags, oldest first, with the post, its topic and both members."""
    return (
        Flag.objects.filter(status=FlagStatus.OPEN)
        .select_related("post__topic__category", "post__author__profile", "flagger__profile")
        .prefetch_related(_approved_badges("flagger__verifications"), _approved_badges("post__author__verifications"))
        .order_by("created_at", "id")
    )


def members_by_ids(ids) -> dict[int, Member]:
    return {member.pk: member for member in Member.objects.filter(pk__in=ids, is_active=True, deleted_at__isnull=True)}
