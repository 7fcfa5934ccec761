"""What the live session tests share: hosts, members and sessions made through the services. No tests of its own."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from community.live import services
from community.models import AmbassadorTerm, CategoryFacet, ForumCategory, Role, RoleGrant
from tests.community.test_forums_support import member

_count = iter(range(1, 1_000_000))


def host(name: str = "Fay Facilitator", role: str = Role.FACILITATOR):
    created = member(name)
    RoleGrant.objects.create(member=created, role=role)
    return created


def region(name: str = "North of England") -> ForumCategory:
    n = next(_count)
    return ForumCategory.objects.create(name=name, slug=f"region-{n}", facet=CategoryFacet.REGION)


def ambassador(name: str = "Ana Ambassador", *, where: ForumCategory | None = None, days_left: int = 30):
    created = member(name)
    RoleGrant.objects.create(member=created, role=Role.AMBASSADOR)
    today = timezone.localdate()
    AmbassadorTerm.objects.create(
        member=created,
        region=where or region(),
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=days_left),
    )
    return created


def session(by=None, *, title: str = "Pricing Q&A", in_hours: float = 48, **kwargs):
    return services.session_schedule(
        host=by or host(), title=title, starts_at=timezone.now() + timedelta(hours=in_hours), **kwargs
    )
