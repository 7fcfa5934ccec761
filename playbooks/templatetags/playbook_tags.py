"""Learning prompts other apps' pages show: `{% load playbook_tags %}` then `{% fulfilment_tips order %}` on the
seller's view of an order, `{% reply_templates conversation %}` beside a conversation with a buyer, and
`{% lesson_playbooks topic %}` on a forum lesson."""

from __future__ import annotations

from typing import Any

from django import template

from playbooks import lessons, prompts
from playbooks.models import TemplateUseContext

register = template.Library()


def _member(context) -> Any:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


@register.inclusion_tag("playbooks/prompts/_fulfilment_tips.html", takes_context=True)
def fulfilment_tips(context, order) -> dict[str, Any]:
    """The seller's fulfilment tips for `order` (nothing for the buyer or anyone else)."""
    member = _member(context)
    is_seller = member is not None and order.seller_id == member.pk
    return {
        "order": order,
        "tips": prompts.order_fulfilment_tips(order=order) if is_seller else [],
        "record_context": TemplateUseContext.ORDER_PAGE,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("playbooks/prompts/_reply_templates.html", takes_context=True)
def reply_templates(context, conversation) -> dict[str, Any]:
    """Reply templates for the seller in `conversation`, inserted into the message box (never sent by
    themselves)."""
    member = _member(context)
    templates = prompts.conversation_reply_templates(conversation=conversation, member=member) if member else []
    listing = getattr(conversation, "listing", None)
    return {
        "templates": templates,
        "listing_id": listing.pk if listing is not None and member and listing.seller_id == member.pk else None,
        "record_context": TemplateUseContext.MESSAGING,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("playbooks/lessons/_topic_playbooks.html", takes_context=True)
def lesson_playbooks(context, topic) -> dict[str, Any]:
    """On a lesson-learned topic: the playbooks it tests, its promotions, and the forms to link a playbook (its
    author and facilitators) and to promote it (facilitators)."""
    member = _member(context)
    return {
        "topic": topic,
        **lessons.lesson_panel(topic=topic, member=member),
        "csrf_token": context.get("csrf_token"),
    }
