"""The whole journey of issue 6's "Done when", clicked through in Chromium:

1. a facilitator writes a playbook in the CMS, a second facilitator approves it, and it appears in the playbook
   search (the steps of tests/e2e/test_playbooks.py, called from here rather than copied);
2. a new seller follows the welcome series and ticks steps, then inserts a description template in the listing
   form (the category's template: the playbook templates the learning panel is gaining use the same "Insert"
   button);
3. as a mentee they see ranked mentors with the reasons, ask one; the mentor accepts and logs a session;
4. their first sale (a buyer pays at checkout and confirms delivery) completes the first-sale milestone of their
   track, and they share their outcomes with the mentor, who can then read them.

And coaching circles: a facilitator starts one (a size of 9 refused), fills it with four sellers (a fifth is told
it is full), a member posts to the thread and downloads the meetings as an .ics file; an outsider gets 404.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from listings.models import Listing
from mentoring.models import Mentorship, MentorshipState, MilestoneKind, MilestoneProgress
from orders import services as order_services
from orders.models import CommissionConfig, Order, OrderState
from tests.e2e import test_playbooks as playbook_journeys
from tests.e2e.test_mentoring import DESKTOP, PHONE, assert_no_horizontal_scroll, label
from tests.e2e.test_orders import outside_playwright
from tests.factories import PASSWORD, MemberFactory
from tests.listings import factories as listing_factories
from tests.mentoring import factories as f
from tests.orders.factories import item_listing

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MUG_TEMPLATE = {"title": "Handmade mug", "body": "A [size] mug thrown by hand in [clay]. Holds [volume]."}
SESSION_NOTES = "Priced the mugs as a set. Next: photograph them in daylight."


def test_a_facilitators_playbook_is_approved_by_a_second_facilitator_and_found(page: Page, shot, log_in, log_out):
    playbook_journeys.test_a_playbook_is_written_reviewed_by_a_second_facilitator_and_found(page, shot, log_in, log_out)


def test_a_new_seller_learns_lists_finds_a_mentor_and_reaches_the_first_sale_milestone(
    page: Page, shot, log_in, log_out
):
    from playbooks.demo import seed_playbooks

    # given the welcome series, a ceramics category with a description template, a track and three mentors
    seed_playbooks()
    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=0)
    ceramics = listing_factories.category("Mugs and cups")
    ceramics.description_templates = [MUG_TEMPLATE]
    ceramics.save()
    track = f.track("new", name="First steps", description="From an empty shop to your first happy buyer.")
    f.milestone(track, MilestoneKind.FIRST_LISTING, order=1)
    f.milestone(track, MilestoneKind.FIRST_SALE, order=2)
    mentor = f.mentor(categories=[ceramics], skills=["pricing"], zone="Europe/Paris", name="Max Mentor")
    f.mentor(categories=[ceramics], zone="America/New_York", stage="growing", name="Gil Growing")
    f.mentor(skills=["pricing"], zone="Europe/Lisbon", name="Tess Tailor")
    seller = f.mentee(on_track=track, categories=[ceramics], skills=["pricing"], name="Nia New")
    page.set_viewport_size(PHONE)
    log_in(seller.email, PASSWORD)

    # The new seller follows the welcome series and ticks a step.
    page.goto("/playbooks/welcome/")
    expect(page.get_by_role("heading", name="Your first month on Guildhall", level=1)).to_be_visible()
    page.get_by_role("link", name=re.compile("^Start: Your first listing that sells")).click()
    page.get_by_role("button", name=re.compile(r"^Mark as done\s*: Photograph it in daylight$")).click()
    expect(page.get_by_text("1 of 6 steps done")).to_be_visible()
    shot("01-welcome-step-ticked")

    # In the listing form they insert the category's description template.
    page.goto("/sell/new/")
    page.get_by_label(label("Category")).select_option(label="Mugs and cups")
    panel = page.get_by_role("complementary", name="Selling in Mugs and cups")
    description = page.get_by_label(label("Description"))
    description.fill("Speckled glaze.")
    panel.get_by_role("button", name="Insert Handmade mug").click()
    expect(description).to_have_value(f"Speckled glaze.\n\n{MUG_TEMPLATE['body']}")
    assert_no_horizontal_scroll(page)
    shot("02-template-inserted")

    # As a mentee they see mentors ranked with the reasons, and ask the best fit.
    page.goto("/mentoring/find/")
    cards = page.locator(".mentor-list > li")
    expect(cards).to_have_count(3)
    expect(cards.nth(0).get_by_role("heading", level=2)).to_have_text(re.compile(r"1\.\s+Max Mentor"))
    best = cards.nth(0).get_by_role("list", name="Why Max Mentor fits")
    expect(best.get_by_text("1 shared category", exact=True)).to_be_visible()
    expect(best.get_by_text("same language (English)", exact=True)).to_be_visible()
    shot("03-ranked-mentors")
    cards.nth(0).get_by_role("link", name="Ask Max Mentor").click()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request is sent to Max Mentor.")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    log_out()

    # The mentor accepts and logs their first session.
    log_in(mentor.email, PASSWORD)
    page.goto("/mentoring/inbox/")
    page.get_by_role("button", name="Accept Nia New").click()
    expect(page.get_by_text("You are now mentoring Nia New. Plan your first session.")).to_be_visible()
    when = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    page.get_by_label(label("When")).fill(
        f"{when.astimezone(ZoneInfo('Europe/Paris')):%Y-%m-%dT%H:%M}"
    )  # mentor's zone
    page.get_by_label(label("Notes")).fill(SESSION_NOTES)
    page.get_by_role("button", name="Log session").click()
    expect(page.get_by_text("The session is logged.")).to_be_visible()
    expect(page.locator(".state-badge")).to_have_text("Active")
    expect(page.get_by_text("Nia New has not shared their shop's figures.")).to_be_visible()
    shot("04-session-logged")
    mentorship = Mentorship.objects.get()
    assert mentorship.state == MentorshipState.ACTIVE and mentorship.snapshots.filter(kind="start").exists()
    log_out()

    # Their mug is published (test_listings clicks through publishing with photos) and a buyer pays for it.
    listing = item_listing(seller=seller, cat=ceramics, title="Speckled mug", price_amount=2000, quantity=2)
    buyer = MemberFactory(display_name="Bea Buyer")
    log_in(buyer.email, PASSWORD)
    page.goto(f"/orders/checkout/{listing.pk}/?quantity=1")
    page.get_by_role("radio", name="Test card that pays (Visa)").check()
    page.get_by_role("button", name="Pay £21.00").click()
    expect(page.get_by_text("Paid. Guildhall holds your payment")).to_be_visible()
    order = Order.objects.get(buyer=buyer)
    outside_playwright(lambda: order_services.order_fulfil(order_id=order.pk, actor=seller))  # posted
    page.goto(f"/orders/{order.reference}/")
    page.get_by_role("button", name="Confirm all is well and pay the seller").click()
    expect(page.get_by_text("the order is complete and the seller has been paid")).to_be_visible()
    shot("05-first-sale-confirmed")
    assert Order.objects.get(pk=order.pk).state == OrderState.RELEASED
    log_out()

    # The first sale completes the track's milestone.
    page.set_viewport_size(PHONE)
    log_in(seller.email, PASSWORD)
    page.goto("/mentoring/track/")
    expect(page.get_by_text("2 of 2 milestones reached")).to_be_visible()
    sale = page.locator(".milestone.done", has=page.get_by_text("First sale", exact=True))
    expect(sale.get_by_text(re.compile(r"^Reached on "))).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("06-first-sale-milestone")
    assert set(MilestoneProgress.objects.filter(member=seller).values_list("milestone__kind", flat=True)) == {
        MilestoneKind.FIRST_LISTING,
        MilestoneKind.FIRST_SALE,
    }

    # They read their outcomes (one sale on one listing now, none at the start) and share them with the mentor.
    page.goto(mentorship.get_absolute_url())
    page.get_by_role("link", name="See my outcomes").click()
    expect(page.get_by_role("heading", name="My outcomes", level=1)).to_be_visible()
    conversion = page.locator("tr[data-metric='conversion']")
    expect(conversion.locator("td").nth(0)).to_have_text("none yet")
    expect(conversion.locator("td").nth(1)).to_have_text("1.00")
    expect(conversion.locator("td").nth(2)).to_have_text("too few peers to show")
    assert_no_horizontal_scroll(page)
    shot("07-my-outcomes")
    page.get_by_role("button", name="Share with my mentor").click()
    expect(page.get_by_text("Your mentor can now see your shop's figures.")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    log_out()

    log_in(mentor.email, PASSWORD)
    page.goto(mentorship.get_absolute_url())
    page.get_by_role("link", name="See the insight").click()
    expect(page.get_by_role("heading", name="Insight into Nia New's shop", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Stop sharing with my mentor")).to_have_count(0)
    shot("08-mentor-insight")
    assert Listing.objects.filter(seller=seller).count() == 1


def test_a_facilitator_starts_a_coaching_circle_and_a_member_posts_and_saves_the_meetings(
    page: Page, shot, log_in, log_out
):
    from community.models import RoleGrant

    host = f.member(stage="established", name="Fay Facilitator")
    RoleGrant.objects.create(member=host, role="facilitator")
    sellers = [f.member(stage="new", name=name) for name in ("Nia New", "Ola Oak", "Pia Pot", "Quin Quill")]
    late = f.member(stage="new", name="Rex Late")
    page.set_viewport_size(DESKTOP)
    log_in(host.email, PASSWORD)

    # The facilitator starts a circle; a size of 9 is refused with the reason, 4 is accepted.
    page.goto("/mentoring/circles/")
    page.get_by_role("link", name="Start a circle").click()
    page.get_by_label(label("Name")).fill("First sales circle")
    page.get_by_label(label("Seller stage")).select_option("new")
    page.get_by_label(label("Members at most")).fill("9")
    page.get_by_label(label("Meets")).select_option("fortnightly")
    first = (timezone.now() + timedelta(days=7)).astimezone(ZoneInfo("Europe/London"))
    page.get_by_label(label("First meeting")).fill(f"{first:%Y-%m-%d}T18:00")
    page.get_by_label(label("Time zone")).select_option("Europe/London")
    page.get_by_role("button", name="Create circle").click()
    expect(page.get_by_role("alert").get_by_text("A circle has from 4 to 8 members.")).to_be_visible()
    shot("01-size-refused")
    page.get_by_label(label("Members at most")).fill("4")
    page.get_by_role("button", name="Create circle").click()
    expect(page.get_by_text("The circle is created.")).to_be_visible()
    expect(page.get_by_text("Still forming: the circle needs 4 more members.")).to_be_visible()

    # ... adds four sellers by email; a fifth is told the circle is full.
    for seller in [*sellers, late]:
        page.get_by_label(label("Email of the seller to add")).fill(seller.email)
        page.get_by_role("button", name="Add to the circle").click()
    expect(page.get_by_text("This circle is full (4 of 4 members).")).to_be_visible()
    members = page.get_by_role("region", name="Members")
    for seller in sellers:
        expect(members.get_by_text(seller.display_name)).to_be_visible()
    expect(members.get_by_text("Rex Late")).to_have_count(0)
    occurrences = page.locator(".occurrences li")
    expect(occurrences).to_have_count(6)
    expect(occurrences.first).to_contain_text("18:00")
    shot("02-circle-full")
    log_out()

    # A member posts to the thread (Markdown, a script stays text) and saves the meetings to their calendar.
    page.set_viewport_size(PHONE)
    log_in(sellers[0].email, PASSWORD)
    page.goto("/mentoring/circles/")
    page.get_by_role("link", name="First sales circle").click()
    page.get_by_label(label("Message")).fill("**Sold my first mug!** <script>alert(1)</script>")
    page.get_by_role("button", name="Post to the circle").click()
    thread = page.get_by_role("region", name="Thread")
    expect(thread.locator("strong", has_text="Sold my first mug!")).to_be_visible()
    expect(thread.get_by_text("<script>alert(1)</script>")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to my calendar (.ics)").click()
    ics = download.value.path().read_text()
    assert "RRULE:FREQ=WEEKLY;INTERVAL=2" in ics and f"DTSTART;TZID=Europe/London:{first:%Y%m%d}T180000" in ics
    assert_no_horizontal_scroll(page)
    shot("03-member-thread")
    page.set_viewport_size(DESKTOP)
    log_out()

    # Someone outside the circle cannot open it.
    log_in(late.email, PASSWORD)
    circle_url = f"/mentoring/circles/{sellers[0].circle_memberships.get().circle_id}/"
    response = page.goto(circle_url)
    assert response.status == 404
