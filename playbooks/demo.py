"""Demo playbooks for `seed_demo`: two published playbooks for new sellers of handmade goods, each with steps, a
checklist and a description template, and the welcome series that leads through them.

Idempotent: playbooks are found by slug under the playbook index and the series by title, so a second run creates
nothing. Demo content skips the peer review on purpose (it is seeded, not written by a facilitator).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from community.models import SellerStage
from listings.demo import seed_categories
from playbooks.models import (
    BusinessModel,
    PlaybookIndexPage,
    PlaybookPage,
    Region,
    WelcomeSeries,
    WelcomeSeriesItem,
)

SERIES_TITLE = "Your first month on Guildhall"


def _block(kind: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "value": value, "id": str(uuid.uuid4())}


def _checklist(title: str, items: list[str]) -> dict[str, Any]:
    return _block("checklist", {"title": title, "items": [_block("item", item) for item in items]})


PLAYBOOKS: list[dict[str, Any]] = [
    {
        "slug": "your-first-listing-that-sells",
        "title": "Your first listing that sells",
        "intro": "For makers listing for the first time: photos, a description buyers trust, and a fair price.",
        "categories": ["goods"],
        "business_models": ["handmade", "resale"],
        "tags": ["listing", "photos"],
        "body": [
            _block(
                "step",
                {
                    "title": "Photograph it in daylight",
                    "text": "<p>Stand by a window, use a plain background and take the front, a close-up of the "
                    "detail and the piece in use. Show any wear honestly.</p>",
                },
            ),
            _block(
                "step",
                {
                    "title": "Say what it is in the first two lines",
                    "text": "<p>Buyers read the first two lines of a description in search results: what it is, "
                    "what it is made of and how big it is.</p>",
                },
            ),
            _block(
                "callout",
                {"tone": "tip", "text": "<p>Reply to questions within a day: quick replies win first sales.</p>"},
            ),
            _checklist(
                "Before you publish",
                [
                    "Three photos or more, in daylight",
                    "Size and materials in the description",
                    "Postage or collection explained",
                    "Price checked against similar listings",
                ],
            ),
            _block(
                "description_template",
                {
                    "title": "Handmade item",
                    "text": "{title}, made by hand by {seller_name} in {place}.\n\n"
                    "What it is made of: [materials]\nSize: [size]\nPrice: {price}\n\n"
                    "Collection in {place}, or posted to you.",
                },
            ),
            _block(
                "pathway",
                {
                    "kind": "joint_testing",
                    "text": "Two makers testing each other's pieces before a launch catch problems buyers would "
                    "otherwise find.",
                    "link_page": None,
                },
            ),
        ],
    },
    {
        "slug": "pricing-handmade-ceramics",
        "title": "Pricing handmade ceramics",
        "intro": "A way to price mugs, bowls and plates that pays for your clay, kiln time and hours.",
        "categories": ["ceramics"],
        "business_models": ["handmade"],
        "tags": ["pricing"],
        "body": [
            _block(
                "step",
                {
                    "title": "Add up your materials and firing",
                    "text": "<p>Clay, glaze and a share of each kiln firing, per piece.</p>",
                },
            ),
            _block(
                "step",
                {
                    "title": "Pay yourself for your hours",
                    "text": "<p>Time each stage once (throwing, trimming, glazing) and use an hourly rate you "
                    "would accept from anyone else.</p>",
                },
            ),
            _checklist(
                "Check your price",
                ["Materials and firing covered", "Your hours paid", "Platform commission included"],
            ),
            _block(
                "example",
                {
                    "title": "A 350 ml mug",
                    "text": "<p>Clay and glaze £2.10, firing £1.40, 40 minutes at £15 an hour £10: about "
                    "£16 before commission.</p>",
                },
            ),
            _block(
                "description_template",
                {
                    "title": "Ceramic piece",
                    "text": "{title}, hand-thrown by {seller_name}.\n\n- Capacity: [capacity]\n- Food safe: yes\n"
                    "- Dishwasher safe: [yes or no]\n\n{price}, collection in {place}.",
                },
            ),
        ],
    },
    {
        "slug": "orders-buyers-remember",
        "title": "Orders buyers remember",
        "intro": "Packing, handing over and answering buyers: the small things that earn five-star reviews.",
        "categories": [],
        "business_models": ["handmade", "resale"],
        "tags": ["fulfilment", "messaging"],
        "in_series": False,
        "body": [
            _block(
                "fulfilment_tip",
                {
                    "title": "Tell the buyer it is on its way",
                    "order_kind": "item",
                    "advice": "Pack it the day the order comes in and send a short note: buyers who know when to "
                    "expect a parcel rarely open a dispute.",
                    "text": "Hello {buyer_name}, your {title} is packed and leaves {place} today. "
                    "Tracking: [tracking number]. Thank you! {seller_name}",
                },
            ),
            _block(
                "fulfilment_tip",
                {
                    "title": "Confirm the booking the day before",
                    "order_kind": "booking",
                    "advice": "A reminder the day before halves no-shows; say where to meet and what to bring.",
                    "text": "Hello {buyer_name}, looking forward to {title} tomorrow. We meet at [meeting point]. "
                    "{seller_name}",
                },
            ),
            _block(
                "reply_template",
                {
                    "title": "Thanks for your question",
                    "text": "Hello {buyer_name}, thank you for asking about {title}. [Your answer.] "
                    "You can buy it here on Guildhall whenever you are ready. {seller_name}",
                },
            ),
            _block(
                "callout",
                {"tone": "info", "text": "<p>Keep payment and contact on Guildhall until the order is paid.</p>"},
            ),
        ],
    },
]


def _index_page() -> PlaybookIndexPage:
    index = PlaybookIndexPage.objects.first()
    if index is None:
        raise RuntimeError("The playbook index page is missing: run the migrations (playbooks 0002).")
    return index


@transaction.atomic
def seed_playbooks(author: Any = None) -> dict[str, PlaybookPage]:
    """Creates and publishes the demo playbooks (the third with fulfilment tips and a reply template) and the
    welcome series for new sellers; returns them by slug. Playbooks that exist already are left as they are."""
    categories = seed_categories()
    index = _index_page()
    business_models = {row.kind: row for row in BusinessModel.objects.all()}
    pages: dict[str, PlaybookPage] = {}
    for definition in PLAYBOOKS:
        page = PlaybookPage.objects.child_of(index).filter(slug=definition["slug"]).first()
        if page is None:
            page = PlaybookPage(
                title=definition["title"],
                slug=definition["slug"],
                intro=definition["intro"],
                body=definition["body"],
                seller_stage=SellerStage.NEW,
                owner=author,
                live=False,
            )
            page.categories = [categories[slug] for slug in definition["categories"]]
            page.business_models = [business_models[kind] for kind in definition["business_models"]]
            page.tags.add(*definition["tags"])
            index.add_child(instance=page)
            revision = page.save_revision(user=author, log_action=True)
            revision.publish(user=author, skip_permission_checks=True)
            page.refresh_from_db()
        pages[definition["slug"]] = page
    Region.objects.get_or_create(slug="everywhere-online", defaults={"name": "Online, anywhere"})
    series, created = WelcomeSeries.objects.get_or_create(
        title=SERIES_TITLE,
        defaults={
            "seller_stage": SellerStage.NEW,
            "intro": "Two short playbooks for your first weeks: a first listing that sells, and a fair price.",
        },
    )
    if created:
        in_series = [definition for definition in PLAYBOOKS if definition.get("in_series", True)]
        for order, definition in enumerate(in_series):
            WelcomeSeriesItem.objects.create(series=series, page=pages[definition["slug"]], sort_order=order)
    return pages
