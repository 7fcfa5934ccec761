"""Peer review of playbooks: a second facilitator approves a draft before it goes live.

Wagtail's GroupApprovalTask lets any member of the group act on a task, the submitter included (its get_actions
and on_action check group membership only), so a facilitator could approve their own playbook. PeerApprovalTask
refuses every review action (approve, request changes) to the member who submitted the page and to its author
(the page owner), in the admin's buttons (get_actions) and in the domain (on_action).

Facilitators hold Wagtail's publish permission from the home page down, which would let them skip the review
with the editor's "Publish" button. PlaybookPage and PlaybookIndexPage therefore answer permission checks with
the testers below: for anyone but a superuser, a playbook publishes only while a peer approval is being applied
(the approving reviewer publishes the approved revision, as Wagtail's workflow does), never directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail.models import AbstractGroupApprovalTask, PagePermissionTester

_peer_approval: ContextVar[tuple[int, int] | None] = ContextVar("playbook_peer_approval", default=None)

REVIEW_ACTIONS = {"approve", "reject"}


class SelfApprovalRefused(PermissionDenied):
    pass


@contextmanager
def peer_approval(*, page_id: int, reviewer_id: int) -> Iterator[None]:
    """Marks the publish that a workflow finish performs for this page as the reviewer's approved publish."""
    token = _peer_approval.set((int(page_id), int(reviewer_id)))
    try:
        yield
    finally:
        _peer_approval.reset(token)


def peer_approval_active(*, page_id: int, user_id: int) -> bool:
    return _peer_approval.get() == (int(page_id), int(user_id))


def page_authors(page, workflow_state=None) -> set[int]:
    """Who may not review this page's submission: the member who submitted it and the page's author."""
    authors = {page.owner_id} if getattr(page, "owner_id", None) else set()
    state = workflow_state if workflow_state is not None else page.current_workflow_state
    if state is not None and state.requested_by_id:
        authors.add(state.requested_by_id)
    return authors


class PeerApprovalTask(AbstractGroupApprovalTask):
    """A group approval in which nobody reviews their own work."""

    class Meta:
        verbose_name = _("Peer approval task")
        verbose_name_plural = _("Peer approval tasks")

    @classmethod
    def get_description(cls):
        return _("Members of the chosen groups approve, except the member who submitted the page and its author")

    def get_actions(self, obj, user):
        if not getattr(user, "pk", None) or user.pk in page_authors(obj):
            return []
        return super().get_actions(obj, user)

    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name in REVIEW_ACTIONS:
            if not (user.is_superuser or self._user_in_groups(user)):
                raise PermissionDenied(_("Only a member of the reviewing group can review this page."))
            page = task_state.workflow_state.content_object
            if user.pk in page_authors(page, task_state.workflow_state):
                raise SelfApprovalRefused(_("Another facilitator must review your playbook."))
            with peer_approval(page_id=page.pk, reviewer_id=user.pk):
                return super().on_action(task_state, user, action_name, **kwargs)
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        return super().get_task_states_user_can_moderate(user, **kwargs).exclude(workflow_state__requested_by=user)


class PlaybookPermissionTester(PagePermissionTester):
    """Facilitators edit, submit and unpublish playbooks; only a peer approval publishes one."""

    def can_publish(self):
        if not super().can_publish():
            return False
        return self.user.is_superuser or peer_approval_active(page_id=self.page.pk, user_id=self.user.pk)


class PlaybookIndexPermissionTester(PagePermissionTester):
    """No "Publish" when creating a playbook: new playbooks are saved as drafts and submitted for review."""

    def can_publish_subpage(self):
        return self.user.is_superuser and super().can_publish_subpage()
