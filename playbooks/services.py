"""Writes for playbooks: ticking welcome steps, recording template use, feedback and its resolution."""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from playbooks.models import PlaybookFeedback, PlaybookPage, TemplateUse, TemplateUseContext, WelcomeProgress

FEEDBACK_COMMENT_MAX = 1000
# At most this many feedback submissions per member in the window: enough to change one's mind, not to flood
# the facilitators' queue.
FEEDBACK_RATE = (5, 10 * 60)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FeedbackRateLimited(PermissionDenied):
    pass


def _require_member(member: Any) -> None:
    if member is None or not getattr(member, "is_authenticated", False) or not member.is_active:
        raise PermissionDenied(_("Sign in first."))


def _require_live(page: PlaybookPage) -> None:
    if not page.live:
        raise ValidationError(_("This playbook is not published."))


# --- Welcome progress ---------------------------------------------------------------------------------------


@transaction.atomic
def welcome_step_toggle(*, member: Any, page: PlaybookPage, step: str, done: bool | None = None) -> bool:
    """Ticks or unticks one step (a step block's id, or a checklist item's key) of a live playbook for a member.

    With `done` given the call is idempotent (a form resubmitted twice leaves the same state); without it the
    step flips. Returns whether the step is now done.
    """
    _require_member(member)
    _require_live(page)
    if step not in {item.key for item in page.steps}:
        raise ValidationError({"step": _("This playbook has no such step.")})
    existing = WelcomeProgress.objects.select_for_update().filter(member=member, page=page, step_key=step)
    currently_done = existing.exists()
    target = (not currently_done) if done is None else done
    if target and not currently_done:
        try:
            with transaction.atomic():
                WelcomeProgress.objects.create(member=member, page=page, step_key=step)
        except IntegrityError:
            pass  # ticked by a simultaneous request: the step is done either way
    elif not target and currently_done:
        existing.delete()
    return target


# --- Template use -------------------------------------------------------------------------------------------


# Which blocks each context may record: the listing form inserts description templates, the order page copies
# fulfilment tips' messages, the conversation page inserts reply templates; the playbook page copies any of them.
TEMPLATE_BLOCKS_BY_CONTEXT = {
    TemplateUseContext.LISTING_FORM: {"description_template"},
    TemplateUseContext.ORDER_PAGE: {"fulfilment_tip"},
    TemplateUseContext.MESSAGING: {"reply_template"},
    TemplateUseContext.PLAYBOOK_PAGE: {"description_template", "fulfilment_tip", "reply_template"},
}


@transaction.atomic
def template_use_record(
    *,
    member: Any,
    page: PlaybookPage,
    block_id: str,
    context: str = TemplateUseContext.LISTING_FORM,
    listing: Any = None,
) -> TemplateUse:
    """Records that `member` used the template `block_id` of the live playbook `page`: a description template in
    the listing form (context "listing_form"), a fulfilment tip's message on an order page ("order_page"), a reply
    template in a conversation with a buyer ("messaging"), or any of them copied on the playbook page
    ("playbook_page"). `listing`, if given, must be the member's own."""
    _require_member(member)
    _require_live(page)
    if context not in TemplateUseContext.values:
        raise ValidationError({"context": _("Unknown context.")})
    allowed = TEMPLATE_BLOCKS_BY_CONTEXT[TemplateUseContext(context)]
    template_ids = {str(child.id) for child in page.body if child.block_type in allowed}
    if block_id not in template_ids:
        raise ValidationError({"block_id": _("This playbook has no such template.")})
    if listing is not None and listing.seller_id != member.pk:
        raise PermissionDenied(_("That listing is not yours."))
    return TemplateUse.objects.create(member=member, page=page, block_id=block_id, context=context, listing=listing)


# --- Feedback -----------------------------------------------------------------------------------------------


def feedback_comment_clean(comment: str) -> str:
    """Plain text: control characters removed, whitespace trimmed. HTML stays as typed and is escaped on display."""
    return _CONTROL_CHARACTERS.sub("", comment or "").strip()


def _feedback_rate_check(member: Any) -> None:
    limit, window = FEEDBACK_RATE
    key = f"playbooks:feedback:{member.pk}"
    cache.add(key, 0, timeout=window)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        used = 1
    if used > limit:
        raise FeedbackRateLimited(_("You have sent a lot of feedback in a short while. Please try again later."))


@transaction.atomic
def feedback_submit(*, member: Any, page: PlaybookPage, helpful: bool, comment: str = "") -> PlaybookFeedback:
    """A member's vote and comment on a live playbook: one per member and page; a second call changes it. A new
    or changed comment goes back into the facilitators' queue."""
    _require_member(member)
    _require_live(page)
    comment = feedback_comment_clean(comment)
    if len(comment) > FEEDBACK_COMMENT_MAX:
        raise ValidationError(
            {"comment": _("Keep it under %(max)d characters, please.") % {"max": FEEDBACK_COMMENT_MAX}}
        )
    _feedback_rate_check(member)
    feedback = PlaybookFeedback.objects.select_for_update().filter(member=member, page=page).first()
    if feedback is None:
        try:
            with transaction.atomic():
                return PlaybookFeedback.objects.create(member=member, page=page, helpful=bool(helpful), comment=comment)
        except IntegrityError:
            feedback = PlaybookFeedback.objects.select_for_update().get(member=member, page=page)
    fields = ["helpful", "updated_at"]
    feedback.helpful = bool(helpful)
    if comment != feedback.comment:
        feedback.comment = comment
        feedback.resolved_at = None
        feedback.resolved_by = None
        fields += ["comment", "resolved_at", "resolved_by"]
    feedback.save(update_fields=fields)
    return feedback


def can_review_feedback(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm("playbooks.change_playbookfeedback")


@transaction.atomic
def feedback_resolve(*, feedback: PlaybookFeedback, resolved_by: Any, resolved: bool = True) -> PlaybookFeedback:
    """A facilitator marks feedback handled (or reopens it)."""
    if not can_review_feedback(resolved_by):
        raise PermissionDenied(_("Only facilitators resolve feedback."))
    feedback = PlaybookFeedback.objects.select_for_update().get(pk=feedback.pk)
    if resolved and feedback.resolved_at is None:
        feedback.resolved_at = timezone.now()
        feedback.resolved_by = resolved_by
    elif not resolved:
        feedback.resolved_at = None
        feedback.resolved_by = None
    feedback.save(update_fields=["resolved_at", "resolved_by"])
    return feedback
