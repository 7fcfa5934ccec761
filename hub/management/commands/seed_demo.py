"""Fills the site with demo content. Idempotent: running it again changes nothing that is already there."""

from __future__ import annotations

from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.models import Page, Site

from community.forums.demo import seed_forums
from community.live.demo import seed_live
from community.models import Member, Role, RoleGrant, SellerStage
from community.services import profile_update, role_grant, verification_email_record
from hub.models import HomePage, SiteSettings, StandardPage
from listings.demo import seed_listings
from mentoring.demo import seed_mentoring
from orders.demo import seed_orders
from playbooks.demo import seed_playbooks

DEMO_PASSWORD = "guildhall-demo"
# The demo members whose listings `seed_listings` publishes, in the order it expects them.
DEMO_SELLERS = ["seller", "seller2", "mentor", "ambassador"]
DEMO_DOMAIN = "demo.guildhall.test"

# (local part, display name, roles, seller stage, location, staff)
DEMO_MEMBERS: list[tuple[str, str, list[str], str, tuple[str, float, float], bool]] = [
    (
        "admin",
        "Ada Admin",
        [Role.FACILITATOR, Role.MODERATOR],
        SellerStage.NEW,
        ("London", 51.5072, -0.1276),
        True,
    ),
    ("seller", "Sam Seller", [Role.SELLER], SellerStage.GROWING, ("Bristol", 51.4545, -2.5879), False),
    ("seller2", "Selma Second", [Role.SELLER], SellerStage.NEW, ("Leeds", 53.8008, -1.5491), False),
    ("buyer", "Bea Buyer", [Role.BUYER], SellerStage.NEW, ("Manchester", 53.4808, -2.2426), False),
    (
        "mentor",
        "Max Mentor",
        [Role.MENTOR, Role.SELLER],
        SellerStage.ESTABLISHED,
        ("York", 53.96, -1.0873),
        False,
    ),
    (
        "facilitator",
        "Fay Facilitator",
        [Role.FACILITATOR],
        SellerStage.NEW,
        ("Cardiff", 51.4816, -3.1791),
        False,
    ),
    (
        "ambassador",
        "Ana Ambassador",
        [Role.AMBASSADOR, Role.SELLER],
        SellerStage.GROWING,
        ("Madrid", 40.4168, -3.7038),
        False,
    ),
    ("moderator", "Mo Moderator", [Role.MODERATOR], SellerStage.NEW, ("Glasgow", 55.8642, -4.2518), False),
]


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


class Command(BaseCommand):
    help = "Loads demo members and content (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Pass --force to load demo data anyway.")
        with transaction.atomic():
            created = self.seed_members()
            new_listings = self.seed_listings()
            new_orders = seed_orders()
            self.seed_pages()
            mentoring = seed_mentoring(password=DEMO_PASSWORD)
            new_topics = seed_forums()
            new_sessions = seed_live()
            playbooks = len(seed_playbooks(author=Member.objects.get(email=demo_email("facilitator"))))
        self.stdout.write(f"Demo listings: {new_listings} new.")
        self.stdout.write(f"Demo orders: {new_orders} new.")
        self.stdout.write(f"Demo mentoring: {mentoring}.")
        self.stdout.write(f"Demo forum topics: {new_topics} new.")
        self.stdout.write(f"Demo live sessions: {new_sessions} new.")
        self.stdout.write(f"Demo playbooks: {playbooks}.")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new members)."))

    def seed_listings(self) -> int:
        by_email = {m.email: m for m in Member.objects.filter(email__in=[demo_email(x) for x in DEMO_SELLERS])}
        return seed_listings([by_email[demo_email(local)] for local in DEMO_SELLERS if demo_email(local) in by_email])

    def seed_members(self) -> int:
        created_count = 0
        admin = None
        for local, name, roles, stage, (place, lat, lng), staff in DEMO_MEMBERS:
            email = demo_email(local)
            member = Member.objects.filter(email=email).first()
            if member is None:
                member = Member.objects.create_user(
                    email=email, password=DEMO_PASSWORD, is_staff=staff, is_superuser=staff
                )
                created_count += 1
                profile_update(
                    member=member,
                    data={
                        "display_name": name,
                        "bio": f"{name} is a demo member of Guildhall.",
                        "location_name": place,
                        "latitude": Decimal(str(lat)),
                        "longitude": Decimal(str(lng)),
                        "languages": ["en", "es"] if place == "Madrid" else ["en"],
                        "timezone": "Europe/Madrid" if place == "Madrid" else "Europe/London",
                        "seller_stage": stage,
                    },
                )
            EmailAddress.objects.update_or_create(
                user=member, email=email, defaults={"verified": True, "primary": True}
            )
            verification_email_record(member=member)
            if staff:
                admin = member
            for role in roles:
                if role in Role.staff_granted():
                    role_grant(member=member, role=role, granted_by=admin or member)
                else:
                    RoleGrant.objects.get_or_create(member=member, role=role)
        return created_count

    def seed_pages(self) -> None:
        home = HomePage.objects.first()
        if home is None:
            raise CommandError("No home page: run migrations first.")
        if not home.featured:
            home.hero_title = "Buy, sell and grow together"
            home.hero_text = (
                "Guildhall is a marketplace where sellers learn from each other: playbooks, mentors, "
                "micro-teams and live Q&A, next to safe payments held in escrow."
            )
            home.hero_cta_text = "Join Guildhall"
            home.hero_cta_link = "/accounts/signup/"
            home.featured = [
                (
                    "feature",
                    {
                        "title": "Safe payments",
                        "text": "Your money is held in escrow until you confirm delivery.",
                        "link_url": "",
                        "link_text": "",
                    },
                ),
                (
                    "feature",
                    {
                        "title": "Learn from peers",
                        "text": "Playbooks and mentoring tracks written by sellers who have done it.",
                        "link_url": "",
                        "link_text": "",
                    },
                ),
                (
                    "feature",
                    {
                        "title": "Grow as a team",
                        "text": "Join a micro-team to co-create listings and share revenue.",
                        "link_url": "",
                        "link_text": "",
                    },
                ),
            ]
            home.save_revision().publish()
        coc = StandardPage.objects.filter(slug="code-of-conduct").first()
        if coc is None:
            coc = StandardPage(
                title="Code of conduct",
                slug="code-of-conduct",
                introduction="Be kind, be honest, keep deals on Guildhall.",
                body=[
                    (
                        "paragraph",
                        "<p>Treat every member with respect. Describe items truthfully. Keep payments "
                        "and contact on the platform so escrow protects both sides.</p>",
                    ),
                ],
            )
            home.add_child(instance=coc)
            coc.save_revision().publish()
        site = Site.objects.get(is_default_site=True)
        site_settings = SiteSettings.for_site(site)
        if site_settings.code_of_conduct_page_id is None:
            site_settings.code_of_conduct_page = Page.objects.get(pk=coc.pk)
            site_settings.save()
