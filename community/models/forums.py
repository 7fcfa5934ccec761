"""Forums: categories, topics (discussions, questions, lessons learned, peer reviews of a listing), posts with their
edit history, reactions, watching and reading, mentions and flags.

Posts are numbered within their topic (1 is the opening post). Topics keep their `post_count`, `reply_count` and
last activity, written by `community.forums.services` under a lock on the topic row, so that category pages list
topics, and unread counts (`post_count` minus the member's `TopicRead.last_read_number`), without counting posts.
A post keeps the Markdown its author typed and the sanitised HTML made from it once, at write time.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from .members import Role

POSTS_PER_PAGE = 20


class CategoryFacet(models.TextChoices):
    TOPIC = "topic", _("By topic")
    REGION = "region", _("By region")
    PRODUCT_AREA = "product_area", _("By product area")


class CategoryVisibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    MEMBERS = "members", _("Signed-in members")
    ROLE = "role", _("Members with a role")
    PRIVATE = "private", _("Invited members only")


class ForumCategory(models.Model):
    """Where topics live. A role-restricted category is open to members holding `role`; a private one to the
    members listed in `members`. Staff and moderators see every category."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    facet = models.CharField(_("grouped"), max_length=16, choices=CategoryFacet.choices, default=CategoryFacet.TOPIC)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    visibility = models.CharField(
        _("visible to"), max_length=8, choices=CategoryVisibility.choices, default=CategoryVisibility.PUBLIC
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="private_forum_categories", verbose_name=_("members")
    )

    class Meta:
        ordering = ["facet", "position", "name"]
        verbose_name = _("forum category")
        verbose_name_plural = _("forum categories")
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="role") | ~Q(role=""), name="forum_category_role_when_restricted"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forums:category", kwargs={"slug": self.slug})


class TopicKind(models.TextChoices):
    DISCUSSION = "discussion", _("Discussion")
    QUESTION = "question", _("Question")
    LESSON = "lesson", _("Lesson learned")
    REVIEW = "review", _("Peer review of a listing")


class LessonResult(models.TextChoices):
    WORKED = "worked", _("It worked")
    FAILED = "failed", _("It failed")
    MIXED = "mixed", _("Mixed results")


class Topic(models.Model):
    category = models.ForeignKey(ForumCategory, on_delete=models.PROTECT, related_name="topics")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_topics")
    title = models.CharField(_("title"), max_length=150)
    kind = models.CharField(_("kind"), max_length=12, choices=TopicKind.choices, default=TopicKind.DISCUSSION)
    # A question's accepted answer (one of its posts, never the opening post).
    accepted_answer = models.ForeignKey(
        "community.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A lesson learned.
    hypothesis = models.TextField(_("hypothesis"), max_length=2000, blank=True)
    tried = models.TextField(_("what was tried"), max_length=4000, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=LessonResult.choices, blank=True)
    figures = models.TextField(_("figures"), max_length=2000, blank=True)
    linked_listings = models.ManyToManyField(
        "listings.Listing", blank=True, related_name="forum_lessons", verbose_name=_("linked listings")
    )
    playbook_urls = models.JSONField(_("linked playbooks"), default=list, blank=True)
    # A peer review: one of the author's own published listings.
    review_listing = models.ForeignKey(
        "listings.Listing", on_delete=models.PROTECT, null=True, blank=True, related_name="forum_reviews"
    )
    tags = TaggableManager(blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    closed = models.BooleanField(_("closed"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    post_count = models.PositiveIntegerField(default=0, editable=False)
    reply_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-pinned", "-last_activity_at", "-id"]
        indexes = [
            models.Index(fields=["category", "-pinned", "-last_activity_at"]),
            models.Index(fields=["author", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="review", review_listing__isnull=False) | ~Q(kind="review"),
                name="forum_review_has_listing",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forums:topic", kwargs={"pk": self.pk})

    @property
    def is_question(self) -> bool:
        return self.kind == TopicKind.QUESTION

    @property
    def is_lesson(self) -> bool:
        return self.kind == TopicKind.LESSON

    @property
    def is_review(self) -> bool:
        return self.kind == TopicKind.REVIEW


class HiddenReason(models.TextChoices):
    FLAGS = "flags", _("Hidden after flags from members")
    MODERATOR = "moderator", _("Hidden by a moderator")


class Post(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts")
    number = models.PositiveIntegerField(editable=False)
    body = models.TextField(_("post"), max_length=20_000, help_text=_("Markdown."))
    body_html = models.TextField(editable=False, help_text=_("The body rendered and sanitised."))
    quote = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # A reply to a peer review: short texts keyed by aspect (photos, title, description, price).
    feedback = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=10, choices=HiddenReason.choices, blank=True)
    # PostgreSQL full-text vector of the body (and of the topic title on the opening post); GIN index in 0004.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["topic", "number"]
        constraints = [models.UniqueConstraint(fields=["topic", "number"], name="forum_post_number_unique")]
        indexes = [models.Index(fields=["author", "created_at"])]

    def __str__(self) -> str:
        return f"{self.topic_id}#{self.number}"

    def get_absolute_url(self) -> str:
        url = reverse("forums:topic", kwargs={"pk": self.topic_id})
        page = self.page_number
        return f"{url}?page={page}#post-{self.number}" if page > 1 else f"{url}#post-{self.number}"

    @property
    def page_number(self) -> int:
        return (self.number - 1) // POSTS_PER_PAGE + 1


class PostRevision(models.Model):
    """What a post said before an edit; append-only, so moderators can see what changed."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"Revision of {self.post_id}"


class ReactionKind(models.TextChoices):
    LIKE = "like", _("Like")
    THANKS = "thanks", _("Thanks")
    INSIGHTFUL = "insightful", _("Insightful")


class Reaction(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reactions")
    kind = models.CharField(max_length=12, choices=ReactionKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "member", "kind"], name="forum_reaction_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.post_id}"


class WatchLevel(models.TextChoices):
    WATCHING = "watching", _("Watching")
    NORMAL = "normal", _("Normal")
    MUTED = "muted", _("Muted")


class TopicWatch(models.Model):
    """Watching: told about every reply. Normal: told when mentioned or quoted (and about replies to one's own
    topic). Muted: told about nothing but mentions."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_watches")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="watches")
    level = models.CharField(max_length=8, choices=WatchLevel.choices, default=WatchLevel.WATCHING)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "topic"], name="forum_watch_unique")]
        indexes = [models.Index(fields=["topic", "level"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.level} {self.topic_id}"


class TopicRead(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reads")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="reads")
    last_read_number = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "topic"], name="forum_read_unique")]

    def __str__(self) -> str:
        return f"{self.member_id} read {self.topic_id} to {self.last_read_number}"


class Mention(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_mentions")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="forum_mention_unique")]

    def __str__(self) -> str:
        return f"@{self.member_id} in {self.post_id}"


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    OFF_TOPIC = "off_topic", _("Off-topic")
    INAPPROPRIATE = "inappropriate", _("Inappropriate")
    OTHER = "other", _("Something else")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    AGREED = "agreed", _("Agreed")
    DISAGREED = "disagreed", _("Disagreed")


class Flag(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    flagger = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_flags")
    reason = models.CharField(_("reason"), max_length=16, choices=FlagReason.choices)
    text = models.TextField(_("details"), max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["post", "flagger"], name="forum_flag_once_per_member")]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Flag {self.reason} on {self.post_id}"
