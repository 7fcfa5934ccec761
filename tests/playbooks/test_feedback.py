"""Feedback: one changeable vote per member and playbook, escaped comments, a rate limit, and the facilitators'
queue in the CMS."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from playbooks.models import PlaybookFeedback
from playbooks.services import FEEDBACK_RATE, FeedbackRateLimited, feedback_resolve, feedback_submit
from tests.factories import MemberFactory
from tests.playbooks.factories import playbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide():
    return playbook(title="Pricing mugs")


def test_one_vote_per_member_and_page_which_they_can_change(guide):
    member = MemberFactory()
    first = feedback_submit(member=member, page=guide, helpful=True)
    second = feedback_submit(member=member, page=guide, helpful=False, comment="Missing postage costs")
    assert first.pk == second.pk
    assert PlaybookFeedback.objects.count() == 1
    assert (second.helpful, second.comment) == (False, "Missing postage costs")


def test_a_changed_comment_goes_back_into_the_queue(guide, author):
    feedback = feedback_submit(member=MemberFactory(), page=guide, helpful=False, comment="Too short")
    feedback_resolve(feedback=feedback, resolved_by=author)
    feedback.refresh_from_db()
    assert not feedback.is_open and feedback.resolved_by == author
    same = feedback_submit(member=feedback.member, page=guide, helpful=True, comment="Too short")
    assert same.resolved_at is not None  # only the vote changed
    changed = feedback_submit(member=feedback.member, page=guide, helpful=True, comment="Better now, thanks")
    assert changed.is_open


def test_members_vote_through_the_page(client, guide):
    member = MemberFactory()
    client.force_login(member)
    response = client.post(guide.url + "feedback/", {"helpful": "yes", "comment": "Clear steps"})
    assert response.status_code == 302 and response["Location"] == guide.url + "#feedback"
    html = client.get(guide.url).content.decode()
    assert "You said it helped." in html and "1 of 1 member found it helpful." in html
    assert client.post(guide.url + "feedback/", {"helpful": "maybe"}).status_code == 400


def test_visitors_are_asked_to_sign_in(client, guide):
    response = client.post(guide.url + "feedback/", {"helpful": "yes"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not PlaybookFeedback.objects.exists()


def test_feedback_is_rate_limited(client, guide):
    member = MemberFactory()
    limit, _window = FEEDBACK_RATE
    for n in range(limit):
        feedback_submit(member=member, page=guide, helpful=bool(n % 2), comment=f"Thought {n}")
    with pytest.raises(FeedbackRateLimited):
        feedback_submit(member=member, page=guide, helpful=True, comment="One more")
    client.force_login(member)
    assert client.post(guide.url + "feedback/", {"helpful": "yes", "comment": "again"}).status_code == 429


def test_comments_are_stored_as_text_and_escaped_in_the_queue(client, guide, author):
    hostile = '<script>alert("x")</script>\x00<b>bold</b>'
    feedback_submit(member=MemberFactory(), page=guide, helpful=False, comment=hostile)
    stored = PlaybookFeedback.objects.get()
    assert stored.comment == '<script>alert("x")</script><b>bold</b>'
    client.force_login(author)
    html = client.get(reverse("playbooks_feedback_queue")).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    assert '<script>alert("x")' not in html


def test_only_facilitators_see_the_queue_and_resolve(client, guide, author):
    feedback = feedback_submit(member=MemberFactory(), page=guide, helpful=False, comment="Add photos")
    member = MemberFactory()
    with pytest.raises(PermissionDenied):
        feedback_resolve(feedback=feedback, resolved_by=member)
    client.force_login(member)
    assert client.get(reverse("playbooks_feedback_queue")).status_code in (302, 403)
    # a facilitator sees the open comment and resolves it
    client.force_login(author)
    queue = client.get(reverse("playbooks_feedback_queue"))
    assert queue.status_code == 200 and "Add photos" in queue.content.decode()
    response = client.post(reverse("playbooks_feedback_resolve", args=[feedback.pk]), {"resolved": "1"})
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.resolved_by == author and not feedback.is_open
    assert "Add photos" not in client.get(reverse("playbooks_feedback_queue")).content.decode()
    assert "Add photos" in client.get(reverse("playbooks_feedback_queue") + "?status=resolved").content.decode()
