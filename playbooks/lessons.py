"""Lessons learned and the playbooks they test.

A lesson-learned forum topic links to the live playbooks it tests (chosen by the lesson's author or a
facilitator; web addresses in the topic's `playbook_urls` that point at a live playbook count too). A facilitator
can promote a lesson into a playbook: a "lesson learned" section, crediting the lesson's author and linking back to
the topic, appended to a new draft revision of the playbook and submitted to the peer review. It never publishes
directly: a second facilitator approves it (see playbooks.models.workflow).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from community.models import Role, Topic, TopicKind
from playbooks.models import LessonPlaybookLink, LessonPromotion, PlaybookPage

MAX_LINKED_PLAYBOOKS = 10


def is_facilitator(member: Any) -> bool:
    if not getattr(member, "is_authenticated", False) or not member.is_active:
        return False
    return bool(member.is_superuser) or member.has_role(Role.FACILITATOR)


def can_link_playbooks(*, member: Any, topic: Topic) -> bool:
    """The lesson's author and facilitators choose the playbooks a lesson tests."""
    if not topic.is_lesson or not getattr(member, "is_authenticated", False):
        return False
    return topic.author_id == member.pk or is_facilitator(member)


def can_promote(*, member: Any, topic: Topic) -> bool:
    return topic.is_lesson and is_facilitator(member)


def _live_playbooks():
    return PlaybookPage.objects.live().public()


# --- Reads ----------------------------------------------------------------------------------------------------


def playbooks_from_urls(urls: Iterable[str]) -> list[PlaybookPage]:
    """The live playbooks that the web addresses in a topic's `playbook_urls` point at (by path)."""
    paths = {urlsplit(str(url)).path.rstrip("/") + "/" for url in urls or [] if url}
    slugs = {path.rstrip("/").rsplit("/", 1)[-1] for path in paths}
    slugs.discard("")
    if not slugs:
        return []
    return [page for page in _live_playbooks().filter(slug__in=slugs) if page.url in paths]


def lesson_playbooks(topic: Topic) -> list[PlaybookPage]:
    """The live playbooks a lesson tests: those linked to it and those its `playbook_urls` point at, by title."""
    linked = list(_live_playbooks().filter(lesson_links__topic=topic))
    seen = {page.pk for page in linked}
    from_urls = [page for page in playbooks_from_urls(topic.playbook_urls) if page.pk not in seen]
    return sorted([*linked, *from_urls], key=lambda page: page.title)


def lesson_promotions(topic: Topic) -> list[LessonPromotion]:
    return list(
        LessonPromotion.objects.filter(topic=topic).select_related("page", "promoted_by__profile").order_by("-pk")
    )


@dataclass(frozen=True)
class LessonSummary:
    topic: Topic
    promoted: bool


def lessons_testing(*, page: PlaybookPage, member: Any, limit: int = 20) -> list[LessonSummary]:
    """The lesson topics that test `page` and that `member` may see (their forum category), newest first.
    Three queries whatever their number."""
    from community.forums.selectors import categories_for

    visible = [category.pk for category in categories_for(member=member)]
    topics = list(
        Topic.objects.filter(kind=TopicKind.LESSON, playbook_links__page=page, category_id__in=visible)
        .select_related("author__profile")
        .order_by("-created_at", "-pk")
        .distinct()[:limit]
    )
    promoted = set(LessonPromotion.objects.filter(page=page, topic__in=topics).values_list("topic_id", flat=True))
    return [LessonSummary(topic=topic, promoted=topic.pk in promoted) for topic in topics]


def lesson_panel(*, topic: Topic, member: Any) -> dict[str, Any]:
    """What a lesson topic shows about playbooks, and which forms its viewer gets."""
    if not topic.is_lesson:
        return {"is_lesson": False}
    linked = lesson_playbooks(topic)
    can_link = can_link_playbooks(member=member, topic=topic)
    promote = can_promote(member=member, topic=topic)
    choices = list(_live_playbooks().order_by("title").only("pk", "title")) if (can_link or promote) else []
    linked_ids = {page.pk for page in linked}
    return {
        "is_lesson": True,
        "linked": linked,
        "promotions": lesson_promotions(topic),
        "can_link": can_link,
        "can_promote": promote,
        "choices": [{"page": page, "linked": page.pk in linked_ids} for page in choices],
        "link_url": reverse("forums:lesson_playbooks", kwargs={"pk": topic.pk}),
        "promote_url": reverse("forums:lesson_promote", kwargs={"pk": topic.pk}),
    }


# --- Writes ---------------------------------------------------------------------------------------------------


@transaction.atomic
def lesson_playbooks_set(*, member: Any, topic: Topic, pages: Iterable[PlaybookPage]) -> list[PlaybookPage]:
    """The lesson's author or a facilitator sets which live playbooks the lesson tests (replacing the links)."""
    if not topic.is_lesson:
        raise ValidationError({"playbooks": _("Only a lesson learned links to the playbooks it tests.")})
    if not can_link_playbooks(member=member, topic=topic):
        raise PermissionDenied(_("Only the lesson's author or a facilitator links playbooks to it."))
    pages = list(dict.fromkeys(pages))
    if len(pages) > MAX_LINKED_PLAYBOOKS:
        raise ValidationError({"playbooks": _("Link up to %(count)d playbooks.") % {"count": MAX_LINKED_PLAYBOOKS}})
    live_ids = set(_live_playbooks().filter(pk__in=[page.pk for page in pages]).values_list("pk", flat=True))
    if any(page.pk not in live_ids for page in pages):
        raise ValidationError({"playbooks": _("Choose published playbooks.")})
    LessonPlaybookLink.objects.filter(topic=topic).exclude(page_id__in=live_ids).delete()
    existing = set(LessonPlaybookLink.objects.filter(topic=topic).values_list("page_id", flat=True))
    for page in pages:
        if page.pk not in existing:
            try:
                with transaction.atomic():
                    LessonPlaybookLink.objects.create(topic=topic, page=page, linked_by=member)
            except IntegrityError:
                pass  # linked by a simultaneous request
    return pages


def lesson_block_value(topic: Topic) -> dict[str, Any]:
    """The "lesson learned" block for a topic: its fields as the member wrote them (escaped when shown)."""
    return {
        "title": topic.title,
        "hypothesis": topic.hypothesis,
        "tried": topic.tried,
        "result": topic.result,
        "figures": topic.figures,
        "author_name": str(topic.author.display_name),
        "topic_id": topic.pk,
    }


@transaction.atomic
def lesson_promote(*, facilitator: Any, topic: Topic, page: PlaybookPage) -> LessonPromotion:
    """Appends the lesson as a "lesson learned" section to a new draft revision of `page` and submits it to the
    page's review workflow (or leaves it for the review already in progress). The live playbook is unchanged until
    a second facilitator approves. A lesson is promoted into a given playbook once."""
    if not is_facilitator(facilitator):
        raise PermissionDenied(_("Only facilitators promote lessons into playbooks."))
    if not topic.is_lesson:
        raise ValidationError({"topic": _("Only a lesson learned can be promoted into a playbook.")})
    if not (topic.hypothesis.strip() and topic.tried.strip() and topic.result):
        raise ValidationError({"topic": _("The lesson needs a hypothesis, what was tried and a result first.")})
    page = PlaybookPage.objects.select_for_update().get(pk=page.pk)
    if not page.permissions_for_user(facilitator).can_edit():
        raise PermissionDenied(_("You cannot edit this playbook."))
    if LessonPromotion.objects.filter(topic=topic, page=page).exists():
        raise ValidationError({"page": _("This lesson is already in that playbook's draft or published text.")})
    draft = page.get_latest_revision_as_object()
    block_id = str(uuid.uuid4())
    body = list(draft.body.raw_data)
    body.append({"type": "lesson_learned", "value": lesson_block_value(topic), "id": block_id})
    draft.body = body
    revision = draft.save_revision(user=facilitator, log_action=True)
    page.refresh_from_db()
    if not page.workflow_in_progress:
        workflow = page.get_workflow()
        if workflow is not None:
            workflow.start(page, facilitator)
    return LessonPromotion.objects.create(
        topic=topic, page=page, revision=revision, block_id=block_id, promoted_by=facilitator
    )
