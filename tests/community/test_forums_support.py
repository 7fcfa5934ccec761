"""What the forum tests share: members who joined long ago at trust level 1 (so the level-0 limits stay out of the
way), categories and topics made through the services. No tests of its own."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from community.forums import services
from community.models import CategoryVisibility, ForumCategory, MemberTrust, Role, RoleGrant, TrustLevel
from tests.community.factories import MemberFactory

_count = iter(range(1, 1_000_000))


def member(name: str | None = None, *, new: bool = False, **kwargs):
    """A member who joined a month ago and holds trust level 1 (or, with new=True, joined just now at level 0)."""
    created = MemberFactory(display_name=name, **kwargs)
    if not new:
        created.date_joined = timezone.now() - timedelta(days=30)
        created.save(update_fields=["date_joined"])
        MemberTrust.objects.create(member=created, level=TrustLevel.BASIC)
    return created


def moderator(name: str = "Mo Moderator"):
    created = member(name)
    RoleGrant.objects.create(member=created, role=Role.MODERATOR)
    return created


def category(name: str | None = None, **kwargs) -> ForumCategory:
    n = next(_count)
    name = name or f"Selling tips {n}"
    return ForumCategory.objects.create(name=name, slug=f"cat-{n}", **kwargs)


def private_category(*invited) -> ForumCategory:
    created = category("Back room", visibility=CategoryVisibility.PRIVATE)
    created.members.add(*invited)
    return created


def topic(
    author, cat=None, *, title: str = "How do you price handmade mugs?", body: str = "Asking for a friend.", **kw
):
    return services.topic_create(author=author, category=cat or category(), title=title, body=body, **kw)


def reply(topic, author, body: str = "Start from your costs, then look at similar listings.", **kw):
    return services.post_create(topic=topic, author=author, body=body, **kw)
