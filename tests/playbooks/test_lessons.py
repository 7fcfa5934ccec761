"""Lessons learned and playbooks: a lesson links to the published playbooks it tests (shown on both pages), and a
facilitator promotes a lesson into a playbook draft that a second facilitator reviews; nobody else can."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from wagtail.models import WorkflowState

from community.models import TopicKind
from playbooks import lessons
from playbooks.models import LessonPlaybookLink, LessonPromotion, PlaybookPage
from tests.community.test_forums_support import member, topic
from tests.playbooks.factories import playbook, step

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def lesson(author, **fields):
    values = {
        "kind": TopicKind.LESSON,
        "title": "Daylight photos sell",
        "hypothesis": "Photos by a window sell better",
        "tried": "Reshot ten listings by the window",
        "result": "worked",
        "figures": "Views +40%, two sales in a week",
    }
    return topic(author, **{**values, **fields})


def topic_html(client, lesson_topic) -> str:
    response = client.get(reverse("forums:topic", kwargs={"pk": lesson_topic.pk}))
    assert response.status_code == 200
    return response.content.decode()


# --- Links -----------------------------------------------------------------------------------------------------


def test_the_author_links_published_playbooks_shown_on_the_topic_and_the_playbook(client):
    # given a lesson and two playbooks, one still a draft
    author = member("Ama Maker")
    photos = playbook(title="Photos that sell")
    draft = playbook(title="Unpublished", publish=False)
    story = lesson(author)
    client.force_login(author)
    # the topic offers published playbooks only
    html = topic_html(client, story)
    assert "Photos that sell" in html and "Unpublished" not in html
    # when the author links the published one
    url = reverse("forums:lesson_playbooks", kwargs={"pk": story.pk})
    assert client.post(url, {"playbook": [photos.pk]}).status_code == 302
    # then the topic shows it, and the playbook lists the lesson
    assert f'<a href="{photos.url}">Photos that sell</a>' in topic_html(client, story)
    page_html = client.get(photos.url).content.decode()
    assert "Lessons that tested this playbook" in page_html and "Daylight photos sell" in page_html
    # a draft cannot be linked
    client.post(url, {"playbook": [draft.pk]}, follow=True)
    assert not LessonPlaybookLink.objects.filter(page=draft).exists()
    with pytest.raises(ValidationError):
        lessons.lesson_playbooks_set(member=author, topic=story, pages=[draft])


def test_others_cannot_link_and_get_a_404(client):
    story = lesson(member())
    page = playbook()
    url = reverse("forums:lesson_playbooks", kwargs={"pk": story.pk})
    client.force_login(member())
    assert client.post(url, {"playbook": [page.pk]}).status_code == 404
    with pytest.raises(PermissionDenied):
        lessons.lesson_playbooks_set(member=member(), topic=story, pages=[page])
    assert not LessonPlaybookLink.objects.exists()
    # a facilitator may
    from tests.playbooks.factories import facilitator

    client.force_login(facilitator())
    assert client.post(url, {"playbook": [page.pk]}).status_code == 302
    assert LessonPlaybookLink.objects.get().page_id == page.pk


def test_links_in_the_lessons_playbook_urls_that_point_at_a_live_playbook_count():
    page = playbook(title="Pricing")
    story = lesson(member(), playbook_urls=[f"https://guildhall.test{page.url}", "/playbooks/nothing-here/"])
    assert lessons.lesson_playbooks(story) == [page]


def test_the_playbook_lists_only_lessons_its_reader_may_see(client, django_assert_max_num_queries):
    from tests.community.test_forums_support import private_category

    page = playbook()
    insider = member()
    visible = lesson(member(), title="Open lesson")
    hidden = lesson(insider, cat=private_category(insider), title="Back-room lesson")
    for story in (visible, hidden):
        LessonPlaybookLink.objects.create(topic=story, page=page)
    html = client.get(page.url).content.decode()
    assert "Open lesson" in html and "Back-room lesson" not in html
    # and the list costs the same queries for many lessons
    with django_assert_max_num_queries(200) as few:
        client.get(page.url)
    for n in range(5):
        LessonPlaybookLink.objects.create(topic=lesson(member(), title=f"Lesson {n}"), page=page)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(page.url).content.decode().count("/forum/t/") >= 6


# --- Promotion -------------------------------------------------------------------------------------------------


def test_a_facilitator_promotes_a_lesson_into_a_draft_that_a_second_facilitator_approves(author, reviewer):
    # given a live playbook and a lesson that tested it (with script in its fields)
    page = playbook(title="Photos that sell", owner=author, body=[step()])
    writer = member("Ama Maker")
    story = lesson(writer, figures=f"Views +40% {HOSTILE}")
    live_revision = page.live_revision_id
    # when facilitator A promotes the lesson
    promotion = lessons.lesson_promote(facilitator=author, topic=story, page=page)
    # then a new draft revision holds the lesson, credited, and the live page is unchanged
    page.refresh_from_db()
    assert page.live_revision_id == live_revision and page.has_unpublished_changes
    draft = page.get_latest_revision_as_object()
    added = draft.body[-1]
    assert added.block_type == "lesson_learned" and str(added.id) == promotion.block_id
    assert added.value["author_name"] == "Ama Maker" and added.value["topic_id"] == story.pk
    assert [child.block_type for child in PlaybookPage.objects.get(pk=page.pk).body] == ["step"]
    assert (promotion.promoted_by, promotion.topic, promotion.revision_id) == (author, story, page.latest_revision_id)
    # and it waits in the peer review, which A cannot approve
    state = page.current_workflow_state
    assert state.status == WorkflowState.STATUS_IN_PROGRESS and state.requested_by == author
    task_state, task = state.current_task_state, state.current_task_state.task.specific
    assert task.get_actions(page, author) == []
    with pytest.raises(PermissionDenied):
        task.on_action(task_state, author, "approve")
    # when facilitator B approves, the lesson is published, script inert
    task.on_action(task_state, reviewer, "approve")
    page = PlaybookPage.objects.get(pk=page.pk)
    assert page.live and page.body[-1].block_type == "lesson_learned"
    html = page.body[-1].render()
    assert HOSTILE not in html and "&lt;script&gt;" in html and "Shared by Ama Maker." in html
    assert reverse("forums:topic", kwargs={"pk": story.pk}) in html


def test_promotion_is_for_facilitators_lessons_and_once_per_playbook(author):
    page = playbook(owner=author)
    story = lesson(member())
    with pytest.raises(PermissionDenied):
        lessons.lesson_promote(facilitator=member(), topic=story, page=page)
    with pytest.raises(ValidationError):
        lessons.lesson_promote(facilitator=author, topic=topic(member(), title="Just chatting"), page=page)
    lessons.lesson_promote(facilitator=author, topic=story, page=page)
    with pytest.raises(ValidationError):
        lessons.lesson_promote(facilitator=author, topic=story, page=page)
    assert LessonPromotion.objects.count() == 1


def test_the_promote_action_on_the_topic(client, author):
    page = playbook(title="Photos that sell", owner=author)
    writer = member()
    story = lesson(writer)
    url = reverse("forums:lesson_promote", kwargs={"pk": story.pk})
    # members, the lesson's author included, neither see nor may use it
    for someone in (member(), writer):
        client.force_login(someone)
        assert "Promote into playbook" not in topic_html(client, story)
        assert client.post(url, {"playbook": page.pk}).status_code == 404
    client.logout()
    assert client.post(url, {"playbook": page.pk}).status_code == 302
    assert not LessonPromotion.objects.exists()
    # a facilitator promotes it from the topic
    client.force_login(author)
    assert "Promote into playbook" in topic_html(client, story)
    assert client.get(url).status_code == 405
    response = client.post(url, {"playbook": page.pk}, follow=True)
    html = response.content.decode()
    assert "waiting for a second facilitator" in html
    assert "Promoted to Photos that sell" in html
    assert LessonPromotion.objects.get().promoted_by == author
    # a promotion shows to every reader
    client.force_login(member())
    assert "Promoted to Photos that sell" in topic_html(client, story)


def test_a_discussion_has_no_lesson_panel_and_no_promote_action(client, author):
    discussion = topic(member(), title="Just chatting")
    client.force_login(author)
    assert "Playbooks this lesson tests" not in topic_html(client, discussion)
    url = reverse("forums:lesson_promote", kwargs={"pk": discussion.pk})
    assert client.post(url, {"playbook": playbook().pk}).status_code == 404
