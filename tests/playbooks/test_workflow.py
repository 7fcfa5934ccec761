"""Peer review: a facilitator's playbook goes live only after a second facilitator approves it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from wagtail.actions.publish_revision import PublishPermissionError
from wagtail.models import PageLogEntry, TaskState, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from playbooks.models import PlaybookPage
from tests.factories import MemberFactory
from tests.playbooks.factories import facilitator, index_page, playbook

pytestmark = pytest.mark.django_db


def submit(page: PlaybookPage, member) -> WorkflowState:
    page.save_revision(user=member)
    return page.get_workflow().start(page, member)


def current_task(state: WorkflowState):
    state.refresh_from_db()
    task_state = state.current_task_state
    return task_state, task_state.task.specific


def test_the_submitter_cannot_approve_a_second_facilitator_publishes(author, reviewer):
    # given facilitator A's draft, submitted for review
    page = playbook(title="Shipping fragile pieces", owner=author, publish=False)
    state = submit(page, author)
    task_state, task = current_task(state)
    # then A is offered no review action, and approving anyway is refused
    assert task.get_actions(page, author) == []
    with pytest.raises(PermissionDenied):
        task.on_action(task_state, author, "approve")
    page.refresh_from_db()
    assert not page.live
    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS
    # when facilitator B approves
    assert "approve" in [name for name, _label, _modal in task.get_actions(page, reviewer)]
    task.on_action(task_state, reviewer, "approve")
    # then the playbook is live, approved and published by B, with its revision history kept
    page.refresh_from_db()
    state.refresh_from_db()
    assert page.live
    assert state.status == WorkflowState.STATUS_APPROVED
    assert TaskState.objects.get(pk=task_state.pk).finished_by == reviewer
    assert page.revisions.count() >= 2
    assert page.live_revision == page.get_latest_revision()
    actions = list(PageLogEntry.objects.filter(page=page).values_list("action", "user_id"))
    assert ("wagtail.workflow.start", author.pk) in actions
    assert ("wagtail.workflow.approve", reviewer.pk) in actions
    assert ("wagtail.publish", reviewer.pk) in actions


def test_neither_the_author_nor_whoever_submitted_may_review(author, reviewer):
    # given A's playbook, submitted by facilitator C on A's behalf
    submitter = facilitator()
    page = playbook(owner=author, publish=False)
    state = submit(page, submitter)
    task_state, task = current_task(state)
    for member in (author, submitter):
        assert task.get_actions(page, member) == []
        with pytest.raises(PermissionDenied):
            task.on_action(task_state, member, "reject")
    # B may request changes
    task.on_action(task_state, reviewer, "reject", comment="Add a photo checklist")
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES


def test_a_member_outside_the_group_cannot_review(author):
    page = playbook(owner=author, publish=False)
    task_state, task = current_task(submit(page, author))
    outsider = MemberFactory()
    assert task.get_actions(page, outsider) == []
    with pytest.raises(PermissionDenied):
        task.on_action(task_state, outsider, "approve")


def test_facilitators_cannot_publish_a_playbook_directly(author):
    # given a facilitator (who holds Wagtail's publish permission from the home page down)
    page = playbook(owner=author, publish=False)
    revision = page.save_revision(user=author)
    # then the permission check refuses a direct publish, and new playbooks are not published on creation
    assert not page.permissions_for_user(author).can_publish()
    assert not index_page().permissions_for_user(author).can_publish_subpage()
    assert page.permissions_for_user(author).can_submit_for_moderation()
    with pytest.raises(PublishPermissionError):
        revision.publish(user=author)
    page.refresh_from_db()
    assert not page.live
    # superusers keep the emergency override
    admin = MemberFactory(is_staff=True, is_superuser=True)
    assert page.permissions_for_user(admin).can_publish()


def test_the_editor_offers_submit_not_publish(client, author):
    page = playbook(owner=author, publish=False)
    client.force_login(author)
    html = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert 'name="action-submit"' in html
    assert 'name="action-publish"' not in html


def _page_form(title: str, **extra) -> dict:
    return nested_form_data(
        {
            "title": title,
            "slug": title.lower().replace(" ", "-"),
            "intro": "For new sellers.",
            "seller_stage": "new",
            "tags": "photos",
            "body": streamfield([("step", {"title": "Use daylight", "text": rich_text("<p>By a window.</p>")})]),
            "comments": inline_formset([]),
            **extra,
        }
    )


def test_in_the_cms_a_publish_request_saves_a_draft_and_submit_starts_the_review(client, author, reviewer):
    client.force_login(author)
    add_url = reverse("wagtailadmin_pages:add", args=["playbooks", "playbookpage", index_page().pk])
    # when A forges a "Publish" from the create form
    response = client.post(add_url, {**_page_form("Packing parcels"), "action-publish": "Publish"})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = PlaybookPage.objects.get(slug="packing-parcels")
    # then the page is saved as a draft only
    assert not page.live
    assert page.owner == author
    # when A submits it from the editor
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    response = client.post(edit_url, {**_page_form("Packing parcels"), "action-submit": "Submit"})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.workflow_in_progress
    task_state = page.current_workflow_task_state
    # and forges an approval through the CMS
    approve_url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk])
    refused = client.post(approve_url, {"comment": ""}, follow=True)
    assert "Sorry, you do not have permission" in refused.content.decode()
    page.refresh_from_db()
    assert not page.live
    # then B, a second facilitator, sees it awaiting review on the dashboard and approves it
    client.force_login(reviewer)
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Packing parcels" in dashboard
    assert client.post(approve_url, {"comment": "Clear and useful"}).status_code == 302
    page.refresh_from_db()
    assert page.live
    # and A's own dashboard does not ask A to review it
    assert not [
        state
        for state in task_state.task.specific.get_task_states_user_can_moderate(author)
        if state.pk == task_state.pk
    ]


def test_the_cms_previews_a_new_and_an_edited_playbook(client, author):
    client.force_login(author)
    index = index_page()
    add_preview = reverse("wagtailadmin_pages:preview_on_add", args=["playbooks", "playbookpage", index.pk])
    assert client.post(add_preview, _page_form("Preview me")).json()["is_valid"]
    response = client.get(add_preview)
    assert response.status_code == 200
    assert "Use daylight" in response.content.decode()
    page = playbook(owner=author, publish=False)
    edit_preview = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    assert client.post(edit_preview, _page_form("Edited title")).json()["is_valid"]
    assert "Edited title" in client.get(edit_preview).content.decode()


def test_facilitators_edit_welcome_series_and_regions_in_the_cms(client, author):
    client.force_login(author)
    assert client.get("/cms/snippets/playbooks/welcomeseries/add/").status_code == 200
    assert client.get("/cms/snippets/playbooks/region/").status_code == 200
