"""Writes for the forums: topics and posts, edits, reactions, accepted answers, pinning and closing, watching,
reading, and flags.

Trust (the rules and their table are in `community.trust`):
- What a member may write depends on their trust level: a new member (level 0) has caps on links, images and
  mentions per post and on topics and posts a day; a post over a cap is refused whole with a message saying why and
  how to progress (rather than silently stripped). Everyone writes at most 30 posts an hour.
- A flag weighs by the flagger's level (level 0: nothing; moderators: enough alone). A post is hidden at once,
  pending a moderator, when its open flags weigh `trust.FLAG_WEIGHT_TO_HIDE`; a member's flags per day are capped
  by level, and one who hits the cap is noted in the moderation log. A moderator who agrees keeps it hidden; one who
  disagrees restores it; both are logged (`community.moderation`).
- Silenced and suspended members cannot write (`community.moderation.sanction_post_check`).
- Moderating (pin, close, resolve flags) is for staff and members with the moderator role; ambassadors moderating
  their region come later.

Markdown is rendered and sanitised once, when a post is written, with `listings.markdown` (raw HTML off, then nh3),
so a `<script>` stays inert text. Notifications go through `community.notifications.services.notification_send`, which
pushes them live after commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, timedelta

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community import moderation, trust
from community.forums import selectors
from community.models import (
    Flag,
    FlagReason,
    FlagStatus,
    ForumCategory,
    HiddenReason,
    LessonResult,
    Member,
    Mention,
    NotificationKind,
    Post,
    PostRevision,
    Profile,
    Reaction,
    ReactionKind,
    Topic,
    TopicKind,
    TopicRead,
    TopicWatch,
    WatchLevel,
)
from community.notifications.services import notification_send
from listings.markdown import markdown_render

TITLE_MIN_CHARS = 5
TITLE_MAX_CHARS = 150
BODY_MAX_CHARS = 20_000
FEEDBACK_MAX_CHARS = 280
FEEDBACK_ASPECTS = ("photos", "title", "description", "price")
MAX_TAGS = 5
TAG_MAX_CHARS = 30
MAX_LINKED = 5
POSTS_PER_HOUR = 30


class RateLimited(ValidationError):
    """Too many topics or posts; the API answers 429, the pages show the message."""


# --- Checks --------------------------------------------------------------------------------------------------------


def _category_access_check(category: ForumCategory, member: Member) -> None:
    if not selectors.category_visible_to(category, member):
        raise PermissionDenied(_("This category is not open to you."))


def _moderator_check(member: Member) -> None:
    if not selectors.member_can_moderate(member):
        raise PermissionDenied(_("Only moderators can do this."))


def _body_clean(body: str, *, author: Member, allow_empty: bool = False) -> str:
    body = (body or "").strip()
    if not body and not allow_empty:
        raise ValidationError({"body": _("Write something first.")})
    if len(body) > BODY_MAX_CHARS:
        raise ValidationError(
            {
                "body": _("Keep the post under %(limit)s characters (it has %(count)s).")
                % {"limit": f"{BODY_MAX_CHARS:,}", "count": f"{len(body):,}"}
            }
        )
    trust.post_content_check(author=author, body=body)
    return body


def _title_clean(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) < TITLE_MIN_CHARS:
        raise ValidationError({"title": _("Give the topic a title of at least %(count)s characters.") % {"count": 5}})
    if len(title) > TITLE_MAX_CHARS:
        raise ValidationError({"title": _("Keep the title under %(count)s characters.") % {"count": TITLE_MAX_CHARS}})
    return title


def _tags_clean(tags: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags or ():
        tag = slugify(str(tag))[:TAG_MAX_CHARS]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": _("Use up to %(count)s tags.") % {"count": MAX_TAGS}})
    return cleaned


def _playbook_urls_clean(urls: Iterable[str]) -> list[str]:
    validate = URLValidator(schemes=["http", "https"])
    cleaned: list[str] = []
    for url in urls or ():
        url = str(url).strip()
        if not url:
            continue
        if not url.startswith("/") or url.startswith("//"):
            try:
                validate(url)
            except ValidationError as error:
                raise ValidationError(
                    {"playbook_urls": _("“%(url)s” is not a web address.") % {"url": url[:80]}}
                ) from error
        cleaned.append(url[:300])
    if len(cleaned) > MAX_LINKED:
        raise ValidationError({"playbook_urls": _("Link up to %(count)s playbooks.") % {"count": MAX_LINKED}})
    return cleaned


def _feedback_clean(topic: Topic, feedback: dict | None) -> dict[str, str]:
    feedback = {key: " ".join(str(value or "").split()) for key, value in (feedback or {}).items()}
    feedback = {key: value for key, value in feedback.items() if value}
    if not feedback:
        return {}
    if topic.kind != TopicKind.REVIEW:
        raise ValidationError({"feedback": _("Structured feedback is for peer reviews of a listing.")})
    unknown = set(feedback) - set(FEEDBACK_ASPECTS)
    if unknown:
        raise ValidationError({"feedback": _("Give feedback on the photos, title, description or price.")})
    for key, value in feedback.items():
        if len(value) > FEEDBACK_MAX_CHARS:
            raise ValidationError(
                {f"feedback_{key}": _("Keep it under %(count)s characters.") % {"count": FEEDBACK_MAX_CHARS}}
            )
    return {key: feedback[key] for key in FEEDBACK_ASPECTS if key in feedback}


def _post_rate_check(author: Member) -> None:
    now = timezone.now()
    if Post.objects.filter(author=author, created_at__gte=now - timedelta(hours=1)).count() >= POSTS_PER_HOUR:
        raise RateLimited(
            {
                "body": _("You have written %(count)s posts in the last hour. Take a break and try again later.")
                % {"count": POSTS_PER_HOUR}
            }
        )
    limit = trust.allowance_for(author).posts_per_day
    if limit is not None:
        day = Post.objects.filter(author=author, created_at__gte=now - timedelta(days=1)).count()
        if day >= limit:
            raise RateLimited(
                {"body": trust.daily_limit_message(what="posts", limit=limit, level=trust.member_trust_level(author))}
            )


def _topic_rate_check(author: Member) -> None:
    limit = trust.allowance_for(author).topics_per_day
    if limit is None:
        return
    since = timezone.now() - timedelta(days=1)
    if Topic.objects.filter(author=author, created_at__gte=since).count() >= limit:
        raise RateLimited(
            {"title": trust.daily_limit_message(what="topics", limit=limit, level=trust.member_trust_level(author))}
        )


def _lock_member(member: Member) -> None:
    # One member's writes run one at a time, so the rate limits count exactly.
    Member.objects.select_for_update().filter(pk=member.pk).first()


# --- Mentions ------------------------------------------------------------------------------------------------------

_MENTION_ID = re.compile(r"(?<![\w\[/@])@member-(\d{1,12})\b")
# "@Sam Seller" and the like: up to four words after the @ are candidates for a display name; the longest that is
# one member's name wins.
_MENTION_NAME = re.compile(r"(?<![\w\[/@])@(\w[\w'.-]*(?:[ ][\w'.-]+){0,3})")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#<>!|~])")


def _name_candidates(words: str) -> list[str]:
    parts = words.split(" ")
    return [" ".join(parts[:n]).rstrip(".'-").lower() for n in range(len(parts), 0, -1)]


def _mention_link(member: Member) -> str:
    name = _MARKDOWN_SPECIAL.sub(r"\\\1", str(member.display_name))
    return f"[@{name}]({member.get_absolute_url()})"


def mentions_resolve(body: str) -> tuple[str, list[Member]]:
    """The body with each @mention of an existing member turned into a link to their profile, and the members, in
    order. A display name two members share is ambiguous and left as text: `@member-<id>` always works."""
    ids = {int(match) for match in _MENTION_ID.findall(body)}
    candidates: set[str] = set()
    for match in _MENTION_NAME.finditer(body):
        if not match.group(1).startswith("member-"):
            candidates.update(_name_candidates(match.group(1)))
    by_id = selectors.members_by_ids(ids) if ids else {}
    by_name: dict[str, Member | None] = {}
    if candidates:
        profiles = (
            Profile.objects.annotate(lower_name=Lower("display_name"))
            .filter(lower_name__in=candidates, member__is_active=True, member__deleted_at__isnull=True)
            .select_related("member__profile")
        )
        for profile in profiles:
            by_name[profile.lower_name] = None if profile.lower_name in by_name else profile.member
    found: list[Member] = []

    def remember(member: Member) -> None:
        if member.pk not in {m.pk for m in found}:
            found.append(member)

    def link_id(match: re.Match) -> str:
        member = by_id.get(int(match.group(1)))
        if member is None:
            return match.group(0)
        remember(member)
        return _mention_link(member)

    def link_name(match: re.Match) -> str:
        words = match.group(1)
        parts = words.split(" ")
        for n in range(len(parts), 0, -1):
            candidate = " ".join(parts[:n]).rstrip(".'-")
            member = by_name.get(candidate.lower())
            if member is not None:
                remember(member)
                rest = " ".join(parts[:n])[len(candidate) :] + words[len(" ".join(parts[:n])) :]
                return _mention_link(member) + rest
        return match.group(0)

    linked = _MENTION_ID.sub(link_id, body)
    linked = _MENTION_NAME.sub(link_name, linked)
    return linked, found


def _render(body: str) -> tuple[str, list[Member]]:
    linked, mentioned = mentions_resolve(body)
    return markdown_render(linked), mentioned


def _search_vector_update(post: Post, *, title: str = "") -> None:
    if connection.vendor != "postgresql":
        return
    Post.objects.filter(pk=post.pk).update(
        search_vector=SearchVector(Value(title), weight="A", config="english")
        + SearchVector("body", weight="B", config="english")
    )


# --- Notifications -------------------------------------------------------------------------------------------------


def _notify_post(*, post: Post, topic: Topic, author: Member, mentioned: Sequence[Member], quote: Post | None) -> None:
    """One notification per member for a new post: mentioned, else quoted, else (topic author or watching) a reply.
    A muted topic tells its member nothing; members who cannot see the category are never told."""
    watches = dict(TopicWatch.objects.filter(topic=topic).values_list("member_id", "level"))
    reasons: dict[int, str] = {}
    for member in mentioned:
        reasons.setdefault(member.pk, "mention")
    if quote is not None:
        reasons.setdefault(quote.author_id, "quote")
    if post.number > 1:
        reasons.setdefault(topic.author_id, "reply")
        for member_id, level in watches.items():
            if level == WatchLevel.WATCHING:
                reasons.setdefault(member_id, "reply")
    reasons.pop(author.pk, None)
    reasons = {member_id: why for member_id, why in reasons.items() if watches.get(member_id) != WatchLevel.MUTED}
    if not reasons:
        return
    members = selectors.members_by_ids(reasons)
    texts = {
        "mention": _("%(name)s mentioned you in “%(title)s”"),
        "quote": _("%(name)s quoted you in “%(title)s”"),
        "reply": _("%(name)s replied to “%(title)s”"),
    }
    url = post.get_absolute_url()
    for member_id, why in reasons.items():
        member = members.get(member_id)
        if member is None or not selectors.category_visible_to(topic.category, member):
            continue
        text = texts[why] % {"name": author.display_name, "title": topic.title}
        notification_send(member=member, kind=NotificationKind.FORUMS, text=text, url=url)


# --- Topics and posts ----------------------------------------------------------------------------------------------


def _post_add(
    *, topic: Topic, author: Member, body: str, quote: Post | None = None, feedback: dict | None = None
) -> Post:
    """Appends a post to a topic locked by the caller: numbers it, renders it, records mentions, keeps the topic's
    counters and tells who should know."""
    now = timezone.now()
    body_html, mentioned = _render(body)
    trust.mentions_check(author=author, count=len([member for member in mentioned if member.pk != author.pk]))
    number = topic.post_count + 1
    post = Post.objects.create(
        topic=topic,
        author=author,
        number=number,
        body=body,
        body_html=body_html,
        quote=quote,
        feedback=feedback or {},
        created_at=now,
    )
    mentioned = [member for member in mentioned if member.pk != author.pk]
    Mention.objects.bulk_create([Mention(post=post, member=member) for member in mentioned])
    _search_vector_update(post, title=topic.title if number == 1 else "")
    topic.post_count = number
    topic.reply_count = number - 1
    topic.last_activity_at = now
    topic.last_poster = author
    topic.save(update_fields=["post_count", "reply_count", "last_activity_at", "last_poster"])
    TopicRead.objects.update_or_create(
        member=author, topic=topic, defaults={"last_read_number": number, "updated_at": now}
    )
    _notify_post(post=post, topic=topic, author=author, mentioned=mentioned, quote=quote)
    return post


def _lesson_clean(
    *, kind: str, hypothesis: str, tried: str, result: str, figures: str, linked_listings, playbook_urls
) -> dict:
    lesson = {
        "hypothesis": (hypothesis or "").strip(),
        "tried": (tried or "").strip(),
        "result": (result or "").strip(),
        "figures": (figures or "").strip(),
    }
    listings = list(linked_listings or ())
    urls = _playbook_urls_clean(playbook_urls)
    if kind != TopicKind.LESSON:
        if any(lesson.values()) or listings or urls:
            raise ValidationError({"kind": _("Hypothesis, result, figures and links belong to lessons learned.")})
        return {**lesson, "listings": [], "playbook_urls": []}
    errors: dict[str, str] = {}
    if not lesson["hypothesis"]:
        errors["hypothesis"] = _("Say what you expected to happen.")
    if not lesson["tried"]:
        errors["tried"] = _("Say what you tried.")
    if lesson["result"] not in LessonResult.values:
        errors["result"] = _("Say whether it worked, failed or had mixed results.")
    limits = {"hypothesis": 2000, "tried": 4000, "figures": 2000}
    for field, limit in limits.items():
        if len(lesson[field]) > limit:
            errors[field] = _("Keep it under %(count)s characters.") % {"count": limit}
    if len(listings) > MAX_LINKED:
        errors["linked_listings"] = _("Link up to %(count)s listings.") % {"count": MAX_LINKED}
    if any(not listing.is_public for listing in listings):
        errors["linked_listings"] = _("Link published listings only.")
    if errors:
        raise ValidationError(errors)
    return {**lesson, "listings": listings, "playbook_urls": urls}


def _review_listing_check(*, kind: str, author: Member, review_listing) -> None:
    if kind != TopicKind.REVIEW:
        if review_listing is not None:
            raise ValidationError({"review_listing": _("Only a peer review is about one of your listings.")})
        return
    if review_listing is None:
        raise ValidationError({"review_listing": _("Choose the listing you want feedback on.")})
    if review_listing.seller_id != author.pk:
        raise ValidationError({"review_listing": _("You can ask for a review of your own listings only.")})
    if not review_listing.is_public:
        raise ValidationError({"review_listing": _("Publish the listing before asking for a review.")})


@transaction.atomic
def topic_create(
    *,
    author: Member,
    category: ForumCategory,
    title: str,
    body: str,
    kind: str = TopicKind.DISCUSSION,
    tags: Iterable[str] = (),
    hypothesis: str = "",
    tried: str = "",
    result: str = "",
    figures: str = "",
    linked_listings: Iterable = (),
    playbook_urls: Iterable[str] = (),
    review_listing=None,
) -> Topic:
    """Opens a topic with its first post; the author watches it."""
    moderation.sanction_post_check(author)
    _category_access_check(category, author)
    if kind not in TopicKind.values:
        raise ValidationError({"kind": _("Choose a discussion, a question, a lesson learned or a review.")})
    title = _title_clean(title)
    body = _body_clean(body, author=author)
    tags = _tags_clean(tags)
    lesson = _lesson_clean(
        kind=kind,
        hypothesis=hypothesis,
        tried=tried,
        result=result,
        figures=figures,
        linked_listings=linked_listings,
        playbook_urls=playbook_urls,
    )
    _review_listing_check(kind=kind, author=author, review_listing=review_listing)
    _lock_member(author)
    _topic_rate_check(author)
    _post_rate_check(author)
    now = timezone.now()
    topic = Topic.objects.create(
        category=category,
        author=author,
        title=title,
        kind=kind,
        hypothesis=lesson["hypothesis"],
        tried=lesson["tried"],
        result=lesson["result"],
        figures=lesson["figures"],
        playbook_urls=lesson["playbook_urls"],
        review_listing=review_listing if kind == TopicKind.REVIEW else None,
        created_at=now,
        last_activity_at=now,
        last_poster=author,
    )
    if tags:
        topic.tags.set(tags)
    if lesson["listings"]:
        topic.linked_listings.set(lesson["listings"])
    TopicWatch.objects.create(member=author, topic=topic, level=WatchLevel.WATCHING)
    _post_add(topic=topic, author=author, body=body)
    return topic


@transaction.atomic
def post_create(
    *, topic: Topic, author: Member, body: str, quote: Post | None = None, feedback: dict | None = None
) -> Post:
    """Replies to a topic. Closed topics take replies from moderators only."""
    moderation.sanction_post_check(author)
    _category_access_check(topic.category, author)
    if topic.closed and not selectors.member_can_moderate(author):
        raise ValidationError({"body": _("This topic is closed to new replies.")})
    feedback = _feedback_clean(topic, feedback)
    body = _body_clean(body, author=author, allow_empty=bool(feedback))
    if quote is not None and (quote.topic_id != topic.pk or quote.hidden):
        raise ValidationError({"quote": _("You can quote a visible post of this topic only.")})
    _lock_member(author)
    _post_rate_check(author)
    locked = Topic.objects.select_for_update().select_related("category").get(pk=topic.pk)
    post = _post_add(topic=locked, author=author, body=body, quote=quote, feedback=feedback)
    topic.post_count, topic.reply_count, topic.last_activity_at = (
        locked.post_count,
        locked.reply_count,
        locked.last_activity_at,
    )
    return post


@transaction.atomic
def post_edit(*, post: Post, editor: Member, body: str, feedback: dict | None = None) -> Post:
    """The author rewrites their post; what it said before is kept as a revision. Members mentioned for the first
    time are told; those mentioned before are not told again."""
    if post.author_id != editor.pk:
        raise PermissionDenied(_("Only the author can edit a post."))
    moderation.sanction_post_check(editor)
    post = Post.objects.select_for_update().select_related("topic__category").get(pk=post.pk)
    _category_access_check(post.topic.category, editor)
    if post.topic.closed and not selectors.member_can_moderate(editor):
        raise ValidationError({"body": _("This topic is closed: its posts can no longer be edited.")})
    new_feedback = _feedback_clean(post.topic, feedback) if feedback is not None else post.feedback
    body = _body_clean(body, author=editor, allow_empty=bool(new_feedback) and post.number > 1)
    if body == post.body and new_feedback == post.feedback:
        return post
    now = timezone.now()
    PostRevision.objects.create(post=post, body=post.body, edited_by=editor, created_at=now)
    body_html, mentioned = _render(body)
    trust.mentions_check(author=editor, count=len([member for member in mentioned if member.pk != editor.pk]))
    already = set(Mention.objects.filter(post=post).values_list("member_id", flat=True))
    fresh = [member for member in mentioned if member.pk not in already and member.pk != editor.pk]
    post.body, post.body_html, post.feedback, post.edited_at = body, body_html, new_feedback, now
    post.save(update_fields=["body", "body_html", "feedback", "edited_at"])
    Mention.objects.bulk_create([Mention(post=post, member=member) for member in fresh])
    _search_vector_update(post, title=post.topic.title if post.number == 1 else "")
    if fresh:
        _notify_post(post=post, topic=post.topic, author=editor, mentioned=fresh, quote=None)
    return post


# --- Reactions and answers ---------------------------------------------------------------------------------------


@transaction.atomic
def reaction_toggle(*, post: Post, member: Member, kind: str) -> bool:
    """Adds the member's reaction of this kind, or takes it back. Returns whether it is now there."""
    if kind not in ReactionKind.values:
        raise ValidationError({"kind": _("Unknown reaction.")})
    moderation.sanction_act_check(member)
    _category_access_check(post.topic.category, member)
    if post.author_id == member.pk:
        raise ValidationError({"kind": _("You cannot react to your own post.")})
    if post.hidden:
        raise ValidationError({"kind": _("This post is hidden.")})
    deleted, _rows = Reaction.objects.filter(post=post, member=member, kind=kind).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Reaction.objects.create(post=post, member=member, kind=kind)
    except IntegrityError:
        pass  # A double click raced us: the reaction is there either way.
    return True


@transaction.atomic
def answer_accept(*, topic: Topic, post: Post, member: Member) -> Topic:
    """The question's author marks a reply as the answer (replacing any earlier one); its author is told."""
    topic = Topic.objects.select_for_update().select_related("category").get(pk=topic.pk)
    if topic.author_id != member.pk:
        raise PermissionDenied(_("Only the person who asked can accept an answer."))
    if topic.kind != TopicKind.QUESTION:
        raise ValidationError({"post": _("Only questions have accepted answers.")})
    if post.topic_id != topic.pk or post.number == 1 or post.hidden:
        raise ValidationError({"post": _("Accept a visible reply to this question.")})
    if topic.accepted_answer_id == post.pk:
        return topic
    topic.accepted_answer = post
    topic.save(update_fields=["accepted_answer"])
    if post.author_id != member.pk:
        notification_send(
            member=post.author,
            kind=NotificationKind.FORUMS,
            text=_("%(name)s accepted your answer to “%(title)s”")
            % {"name": member.display_name, "title": topic.title},
            url=post.get_absolute_url(),
        )
    return topic


# --- Moderation of topics ------------------------------------------------------------------------------------------


@transaction.atomic
def topic_pin(*, topic: Topic, member: Member, pinned: bool = True) -> Topic:
    # Ambassadors pin in their region's categories during their term (community.live.selectors).
    from community.live.selectors import ambassador_may_pin

    if not ambassador_may_pin(member=member, category_id=topic.category_id):
        _moderator_check(member)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    topic.pinned = pinned
    topic.save(update_fields=["pinned"])
    return topic


@transaction.atomic
def topic_close(*, topic: Topic, member: Member, closed: bool = True) -> Topic:
    _moderator_check(member)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    topic.closed = closed
    topic.save(update_fields=["closed"])
    return topic


# --- Watching and reading ------------------------------------------------------------------------------------------


@transaction.atomic
def topic_watch_set(*, topic: Topic, member: Member, level: str) -> TopicWatch:
    if level not in WatchLevel.values:
        raise ValidationError({"level": _("Choose watching, normal or muted.")})
    _category_access_check(topic.category, member)
    watch, _created = TopicWatch.objects.update_or_create(member=member, topic=topic, defaults={"level": level})
    return watch


def topic_read_mark(*, topic: Topic, member: Member, number: int) -> TopicRead:
    """Moves the member's read marker forward to post `number` (never back, never past the last post).

    One statement, run on every topic page a member opens: an upsert that keeps the greater number (PostgreSQL
    and SQLite both speak `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so concurrent tabs cannot move the
    marker back and a page costs one query for it instead of a savepoint, a read and a write."""
    number = max(0, min(int(number), topic.post_count))
    table = connection.ops.quote_name(TopicRead._meta.db_table)
    larger = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (member_id, topic_id, last_read_number, updated_at) VALUES (%s, %s, %s, %s)
            ON CONFLICT (member_id, topic_id) DO UPDATE SET
                updated_at = CASE WHEN excluded.last_read_number > {table}.last_read_number
                    THEN excluded.updated_at ELSE {table}.updated_at END,
                last_read_number = {larger}({table}.last_read_number, excluded.last_read_number)
            RETURNING id, last_read_number, updated_at
            """,  # noqa: S608 - the table name and function are ours, the values are parameters
            [member.pk, topic.pk, number, now],
        )
        pk, last_read_number, updated_at = cursor.fetchone()
    if isinstance(updated_at, str):  # SQLite hands back the stored UTC text
        updated_at = parse_datetime(updated_at)
    if timezone.is_naive(updated_at):
        updated_at = timezone.make_aware(updated_at, UTC)
    return TopicRead(pk=pk, member=member, topic=topic, last_read_number=last_read_number, updated_at=updated_at)


# --- Flags ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def flag_create(*, post: Post, flagger: Member, reason: str, text: str = "") -> Flag:
    """Flags a post for moderators, once per member and within the member's daily cap. When the open flags' summed
    trust weight reaches the threshold the post is hidden at once (see the module docstring); its author is told."""
    moderation.sanction_act_check(flagger)
    _category_access_check(post.topic.category, flagger)
    if reason not in FlagReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    text = (text or "").strip()
    if reason == FlagReason.OTHER and not text:
        raise ValidationError({"text": _("Tell the moderators what is wrong.")})
    if len(text) > 1000:
        raise ValidationError({"text": _("Keep it under %(count)s characters.") % {"count": 1000}})
    if post.author_id == flagger.pk:
        raise ValidationError({"reason": _("You cannot flag your own post.")})
    post = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
    if Flag.objects.filter(post=post, flagger=flagger).exists():
        raise ValidationError({"reason": _("You have already flagged this post. Moderators will look at it.")})
    _lock_member(flagger)
    flags_today = Flag.objects.filter(flagger=flagger, created_at__gte=timezone.now() - timedelta(days=1)).count()
    cap = trust.allowance_for(flagger).flags_per_day
    moderation.flag_cap_check(flags_today=flags_today, cap=cap)
    flag = Flag.objects.create(post=post, flagger=flagger, reason=reason, text=text)
    moderation.flag_cap_note(flagger=flagger, flags_today=flags_today + 1, cap=cap)
    flaggers = selectors.members_by_ids(
        Flag.objects.filter(post=post, status=FlagStatus.OPEN).values_list("flagger_id", flat=True)
    )
    weight = sum(trust.flag_weight(member) for member in flaggers.values())
    if not post.hidden and weight >= trust.FLAG_WEIGHT_TO_HIDE:
        post.hidden = True
        post.hidden_reason = HiddenReason.FLAGS
        post.save(update_fields=["hidden", "hidden_reason"])
        notification_send(
            member=post.author,
            kind=NotificationKind.MODERATION,
            text=_("Your post in “%(title)s” was hidden after flags from members; a moderator will review it.")
            % {"title": post.topic.title},
            url=post.get_absolute_url(),
        )
    return flag


@transaction.atomic
def flag_resolve(*, flag: Flag, moderator: Member, agree: bool) -> Flag:
    """Resolves every open flag on the flag's post together: agreeing hides the post, disagreeing restores it."""
    _moderator_check(moderator)
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != FlagStatus.OPEN:
        raise ValidationError({"status": _("This flag was already resolved.")})
    post = Post.objects.select_for_update().get(pk=flag.post_id)
    now = timezone.now()
    Flag.objects.filter(post=post, status=FlagStatus.OPEN).update(
        status=FlagStatus.AGREED if agree else FlagStatus.DISAGREED, resolved_at=now, resolved_by=moderator
    )
    if agree:
        post.hidden, post.hidden_reason = True, HiddenReason.MODERATOR
    else:
        post.hidden, post.hidden_reason = False, ""
    post.save(update_fields=["hidden", "hidden_reason"])
    moderation.log_write(
        action="hide" if agree else "flag_dismissed",
        actor=moderator,
        member=post.author,
        post=post,
        reason=_("Agreed with the flags") if agree else _("Disagreed with the flags"),
    )
    flag.refresh_from_db()
    return flag


def topic_counters_repair(*, topic_id: int) -> Topic:
    """Recounts a topic's posts and last activity from its posts (for the admin and the repair task)."""
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic_id)
        last = Post.objects.filter(topic=topic).order_by("-number").first()
        topic.post_count = last.number if last else 0
        topic.reply_count = max(topic.post_count - 1, 0)
        if last:
            topic.last_activity_at, topic.last_poster_id = last.created_at, last.author_id
        topic.save(update_fields=["post_count", "reply_count", "last_activity_at", "last_poster"])
        return topic
