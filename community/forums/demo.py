"""Demo forum content: categories by topic, region and product area, and one thread of each kind with replies,
written by the demo members of `hub.management.commands.seed_demo` through the services. Idempotent: a category or
topic that exists (by slug or title) is left as it is."""

from __future__ import annotations

from django.db import transaction

from community.forums import services
from community.models import CategoryFacet, CategoryVisibility, ForumCategory, Member, Role, Topic, TopicKind

DEMO_DOMAIN = "demo.guildhall.test"

CATEGORIES = [
    ("getting-started", "Getting started", CategoryFacet.TOPIC, "Your first listings, photos and prices.", {}),
    ("lessons-learned", "Lessons learned", CategoryFacet.TOPIC, "Experiments sellers ran, and what happened.", {}),
    ("listing-reviews", "Listing reviews", CategoryFacet.TOPIC, "Ask other sellers to review a listing.", {}),
    ("uk-north", "North of England", CategoryFacet.REGION, "Meetups and markets in the north.", {}),
    ("ceramics", "Ceramics and pottery", CategoryFacet.PRODUCT_AREA, "Clay, glazes, kilns and shipping.", {}),
    (
        "moderators",
        "Moderators' room",
        CategoryFacet.TOPIC,
        "For moderators only.",
        {"visibility": CategoryVisibility.ROLE, "role": Role.MODERATOR},
    ),
]


def _member(local: str) -> Member | None:
    return Member.objects.filter(email=f"{local}@{DEMO_DOMAIN}").first()


def seed_forums() -> int:
    """Creates what is missing; returns how many topics were created."""
    with transaction.atomic():
        categories = {}
        for position, (slug, name, facet, description, extra) in enumerate(CATEGORIES):
            categories[slug], _created = ForumCategory.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "facet": facet, "description": description, "position": position, **extra},
            )
        sam, selma, bea, max_, ana, mo = (
            _member(local) for local in ("seller", "seller2", "buyer", "mentor", "ambassador", "moderator")
        )
        if not all((sam, selma, bea, max_, ana)):
            return 0
        created = 0

        def thread(cat: str, author: Member, title: str, body: str, replies, **kwargs) -> Topic | None:
            nonlocal created
            if Topic.objects.filter(category=categories[cat], title=title).exists():
                return None
            topic = services.topic_create(author=author, category=categories[cat], title=title, body=body, **kwargs)
            created += 1
            posts = [topic.posts.get()]
            for replier, text, extra in replies:
                quote = posts[extra.pop("quote")] if "quote" in extra else None
                posts.append(services.post_create(topic=topic, author=replier, body=text, quote=quote, **extra))
            return topic

        question = thread(
            "ceramics",
            selma,
            "How do you ship mugs without breakage?",
            "Two of my last five mugs arrived chipped. What packaging do you use?",
            [
                (max_, "Double-box them: 5 cm of padding on every side, and a *fragile* label.", {}),
                (sam, f"What @member-{max_.pk} said. I also wrap handles separately.", {"quote": 1}),
            ],
            kind=TopicKind.QUESTION,
            tags=["shipping", "packaging"],
        )
        if question is not None:
            services.answer_accept(topic=question, post=question.posts.get(number=2), member=selma)
            services.reaction_toggle(post=question.posts.get(number=2), member=selma, kind="thanks")
        thread(
            "getting-started",
            bea,
            "What makes you trust a new seller?",
            "As a buyer I look at photos first. What do other buyers check?",
            [(ana, "Verified badges and quick replies to messages.", {})],
            tags=["trust"],
        )
        thread(
            "lessons-learned",
            sam,
            "Daylight photos doubled my listing views",
            "I reshot every listing next to a north-facing window. Details below.",
            [(selma, "Trying this weekend, thanks!", {})],
            kind=TopicKind.LESSON,
            hypothesis="Brighter, truer photos get more clicks from search.",
            tried="Reshot 12 listings in daylight with a white card as reflector.",
            result="worked",
            figures="Views per week: 120 before, 260 after. Sales: 3 → 5.",
            playbook_urls=["/playbooks/"],
            tags=["photos"],
        )
        listing = sam.listings.filter(status="published").order_by("pk").first()
        if listing is not None:
            thread(
                "listing-reviews",
                sam,
                f"Review my listing: {listing.title}"[:150],
                "Be honest: what would make you buy it?",
                [
                    (
                        max_,
                        "Nice piece overall.",
                        {"feedback": {"photos": "Add one with a hand for scale.", "price": "Fair for handmade."}},
                    )
                ],
                kind=TopicKind.REVIEW,
                review_listing=listing,
            )
        if mo is not None:
            thread("moderators", mo, "Flag queue rota", "Who covers weekends this month?", [])
        return created
