"""Playbook test data: pages built the way the CMS builds them (add_child, save_revision, publish)."""

from __future__ import annotations

import uuid
from itertools import count
from typing import Any

from community.models import Member, Role
from community.services import role_grant
from playbooks.models import BusinessModel, PlaybookIndexPage, PlaybookPage
from tests.factories import MemberFactory

_sequence = count(1)


def block(kind: str, value: Any, block_id: str | None = None) -> dict[str, Any]:
    return {"type": kind, "value": value, "id": block_id or str(uuid.uuid4())}


def step(title: str = "Photograph in daylight", text: str = "<p>Use a window.</p>", block_id: str | None = None):
    return block("step", {"title": title, "text": text}, block_id)


def checklist(title: str = "Before you publish", items: tuple[str, ...] = ("Photos", "Price"), block_id=None):
    return block(
        "checklist",
        {"title": title, "items": [{"type": "item", "value": item, "id": f"item{n}"} for n, item in enumerate(items)]},
        block_id,
    )


def description_template(
    title: str = "Handmade item", text: str = "{title} by {seller_name} in {place}", block_id=None
):
    return block("description_template", {"title": title, "text": text}, block_id)


def index_page() -> PlaybookIndexPage:
    return PlaybookIndexPage.objects.get()


def facilitator(**kwargs) -> Member:
    """A member whom staff made a facilitator, through the community service (joins the Facilitators group)."""
    staff = MemberFactory(is_staff=True)
    member = MemberFactory(**kwargs)
    role_grant(member=member, role=Role.FACILITATOR, granted_by=staff)
    return Member.objects.get(pk=member.pk)


def playbook(
    *,
    title: str | None = None,
    body: list[dict] | None = None,
    owner: Member | None = None,
    intro: str = "A short guide for sellers.",
    categories: list = (),
    regions: list = (),
    business: list[str] = (),
    stage: str = "",
    tags: list[str] = (),
    publish: bool = True,
) -> PlaybookPage:
    n = next(_sequence)
    title = title or f"Playbook {n}"
    page = PlaybookPage(
        title=title,
        slug=f"playbook-{n}",
        intro=intro,
        body=body if body is not None else [step(), checklist(), description_template()],
        seller_stage=stage,
        owner=owner,
        live=False,
    )
    page.categories = list(categories)
    page.regions = list(regions)
    page.business_models = list(BusinessModel.objects.filter(kind__in=business))
    if tags:
        page.tags.add(*tags)
    index_page().add_child(instance=page)
    revision = page.save_revision(user=owner)
    if publish:
        revision.publish(user=None)
    return PlaybookPage.objects.get(pk=page.pk)
