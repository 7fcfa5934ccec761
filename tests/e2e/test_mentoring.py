"""Mentoring journey: a new seller becomes a mentee on a phone, sees mentors ranked with their reasons, asks the best
one; the mentor accepts from their inbox and logs the first session; the mentee reads its notes."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from mentoring.models import Mentorship, MentorshipSession, MentorshipState, MilestoneKind
from tests.factories import PASSWORD
from tests.mentoring import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SESSION_NOTES = "Priced the three mugs together. Next: photograph them in daylight and publish two."


def label(text: str) -> re.Pattern[str]:
    """A form label exactly, with or without the colon Django adds."""
    return re.compile(rf"^{re.escape(text)}:?$")


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways on {page.url}: {widths}"


def test_a_mentee_finds_and_asks_a_mentor_who_accepts_and_logs_a_session(page: Page, shot, log_in, log_out):
    # given a track and three mentors who fit a ceramics seller differently
    ceramics, clothing = f.category("Ceramics"), f.category("Clothing")
    track = f.track("new", name="First steps", description="From an empty shop to your first happy buyer.")
    f.milestone(track, MilestoneKind.FIRST_LISTING, order=1)
    f.milestone(track, MilestoneKind.FIRST_SALE, order=2)
    mentor = f.mentor(
        categories=[ceramics], skills=["pricing", "product photography"], zone="Europe/Paris", name="Max Mentor"
    )
    f.mentor(categories=[ceramics, clothing], zone="America/New_York", stage="growing", name="Gil Growing")
    f.mentor(categories=[clothing], skills=["pricing"], zone="Europe/Lisbon", name="Tess Tailor")
    mentee = f.member(name="Nia New")

    # The mentee, on a phone, becomes a mentee.
    page.set_viewport_size(PHONE)
    log_in(mentee.email, PASSWORD)
    page.goto("/mentoring/")
    expect(page.get_by_role("heading", name="Mentoring", level=1)).to_be_visible()
    page.get_by_role("link", name="Become a mentee").click()
    expect(page.get_by_role("heading", name="Become a mentee", level=1)).to_be_visible()
    page.get_by_role("radio", name=re.compile(r"^First steps")).check()
    page.get_by_label(label("What you want to achieve")).fill("Price my mugs well\nMake my first sale")
    page.get_by_role("checkbox", name="Ceramics").check()
    page.get_by_label(label("Skills you want to learn")).fill("pricing, product photography")
    page.get_by_label(label("Your stage as a seller")).select_option("new")
    page.get_by_label(label("Languages you can meet in")).select_option(["en"])
    page.get_by_label(label("Your time zone")).select_option("Europe/London")
    assert_no_horizontal_scroll(page)
    shot("01-mentee-profile")
    page.get_by_role("button", name="Save and find mentors").click()

    # Mentors ranked with their score and the reasons behind it.
    expect(page.get_by_text("Your mentee profile is saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Find a mentor", level=1)).to_be_visible()
    cards = page.locator(".mentor-list > li")
    expect(cards).to_have_count(3)
    expect(cards.nth(0).get_by_role("heading", level=2)).to_have_text(re.compile(r"1\.\s+Max Mentor"))
    expect(cards.nth(1).get_by_role("heading", level=2)).to_contain_text("Gil Growing")
    expect(cards.nth(2).get_by_role("heading", level=2)).to_contain_text("Tess Tailor")
    scores = [int(text) for text in page.locator(".mentor-list .score strong").all_inner_texts()]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[2], scores
    best = cards.nth(0).get_by_role("list", name="Why Max Mentor fits")
    for reason in ("1 shared category", "2 skills you want", "same language (English)", "1 hour apart"):
        expect(best.get_by_text(reason, exact=True)).to_be_visible()
    expect(cards.nth(1).get_by_text("5 hours apart", exact=True)).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("02-ranked-mentors")

    # The mentee asks the best fit, with their goals prefilled.
    cards.nth(0).get_by_role("link", name="Ask Max Mentor").click()
    expect(page.get_by_role("heading", name="Ask Max Mentor to mentor you", level=1)).to_be_visible()
    expect(page.get_by_label(label("Your goals for this mentorship"))).to_have_value(
        "Price my mugs well\nMake my first sale"
    )
    assert_no_horizontal_scroll(page)
    shot("03-request-form")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request is sent to Max Mentor.")).to_be_visible()
    expect(page.get_by_role("heading", name="Mentorship with Max Mentor", level=1)).to_be_visible()
    expect(page.get_by_text("Waiting for Max Mentor to answer.")).to_be_visible()
    expect(page.locator(".state-badge")).to_have_text("Requested")
    shot("04-request-sent")
    page.set_viewport_size(DESKTOP)  # signing out from the full-width menu
    log_out()

    # The mentor accepts from the inbox.
    log_in(mentor.email, PASSWORD)
    page.goto("/mentoring/inbox/")
    expect(page.get_by_role("heading", name="Mentor inbox", level=1)).to_be_visible()
    request = page.locator(".mentor-card", has=page.get_by_role("heading", name="Nia New"))
    expect(request.get_by_text("Price my mugs well")).to_be_visible()
    expect(request.get_by_text("Make my first sale")).to_be_visible()
    shot("05-mentor-inbox")
    request.get_by_role("button", name="Accept Nia New").click()
    expect(page.get_by_text("You are now mentoring Nia New. Plan your first session.")).to_be_visible()
    expect(page.locator(".state-badge")).to_have_text("Accepted")

    # ... and logs the first session, which starts the mentorship.
    # The form reads times in the mentor's own time zone (Paris); the mentee (London) sees them in theirs.
    when = (
        (timezone.now() - timedelta(days=1))
        .astimezone(ZoneInfo("Europe/Paris"))
        .replace(hour=18, minute=30, second=0, microsecond=0)
    )
    page.get_by_label(label("When")).fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(label("Length (minutes)")).fill("45")
    page.get_by_label(label("Notes")).fill(SESSION_NOTES)
    shot("06-session-filled")
    page.get_by_role("button", name="Log session").click()
    expect(page.get_by_text("The session is logged.")).to_be_visible()
    expect(page.locator(".state-badge")).to_have_text("Active")
    sessions = page.locator(".session-list")
    expect(sessions.get_by_text(SESSION_NOTES)).to_be_visible()
    expect(sessions.get_by_text("45 minutes")).to_be_visible()
    expect(sessions.locator("time")).to_have_text(re.compile(rf", {when:%H:%M}$"))
    shot("07-session-logged")
    log_out()

    # The mentee reads the notes on a phone.
    page.set_viewport_size(PHONE)
    log_in(mentee.email, PASSWORD)
    page.goto("/mentoring/")
    page.get_by_role("link", name="Open your mentorship").click()
    expect(page.get_by_role("heading", name="Mentorship with Max Mentor", level=1)).to_be_visible()
    expect(page.locator(".session-list").get_by_text(SESSION_NOTES)).to_be_visible()
    expect(page.get_by_text("Logged by Max Mentor")).to_be_visible()
    in_london = when.astimezone(ZoneInfo("Europe/London"))
    expect(page.locator(".session-list time")).to_have_text(re.compile(rf", {in_london:%H:%M}$"))
    assert_no_horizontal_scroll(page)
    shot("08-mentee-sees-session")

    mentorship = Mentorship.objects.get()
    assert (mentorship.mentor_id, mentorship.mentee_id, mentorship.state) == (
        mentor.pk,
        mentee.pk,
        MentorshipState.ACTIVE,
    )
    session = MentorshipSession.objects.get()
    assert (session.duration_minutes, session.notes, session.logged_by_id) == (45, SESSION_NOTES, mentor.pk)
    assert session.scheduled_at == when
    assert list(mentorship.events.values_list("to_state", flat=True)) == ["proposed", "accepted", "active"]


def test_a_seller_becomes_a_mentor_and_a_mentee_follows_their_track(page: Page, shot, log_in, log_out, settings):
    from django.utils import timezone as tz

    from listings.models import Listing
    from mentoring import services
    from tests.listings import factories as listing_factories

    ceramics = f.category("Ceramics")
    track = f.track("new", name="First steps", description="From an empty shop to your first happy buyer.")
    f.milestone(track, MilestoneKind.FIRST_LISTING, order=1)
    f.milestone(track, MilestoneKind.FIRST_SALE, order=2)
    f.milestone(track, MilestoneKind.CUSTOM, title="Write your shop's story", order=3)
    seller = f.member(stage="established", name="Esme Established")

    # An established seller becomes a mentor, on a phone.
    page.set_viewport_size(PHONE)
    log_in(seller.email, PASSWORD)
    page.goto("/mentoring/")
    page.get_by_role("link", name="Become a mentor").click()
    expect(page.get_by_role("heading", name="Become a mentor", level=1)).to_be_visible()
    page.get_by_label(label("What you can help with")).fill("Pricing and posting pottery safely")
    page.get_by_role("checkbox", name="Ceramics").check()
    page.get_by_label(label("Skills you can teach")).fill("pricing, packaging")
    page.get_by_label(label("Languages you can meet in")).select_option(["en", "es"])
    page.get_by_label(label("Your time zone")).select_option("Europe/Madrid")
    page.get_by_label(label("Mentees at a time")).fill("2")
    page.get_by_label(label("When you are available")).fill("Weekday evenings")
    expect(page.get_by_label("I am taking new mentees")).to_be_checked()
    assert_no_horizontal_scroll(page)
    shot("01-mentor-profile")
    page.get_by_role("button", name="Save mentor profile").click()
    expect(page.get_by_text("Your mentor profile is saved. Mentees can now find you.")).to_be_visible()
    expect(page.get_by_role("heading", name="Mentor inbox", level=1)).to_be_visible()
    expect(page.get_by_text("2 places left of 2.")).to_be_visible()
    expect(page.get_by_text("No requests are waiting.")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("02-empty-inbox")
    page.set_viewport_size(DESKTOP)
    log_out()

    # A mentee on that track: a published listing and a first sale (reported by orders) are milestones reached.
    mentee = f.mentee(on_track=track, categories=[ceramics], name="Nia New")
    listing_factories.draft(mentee, ceramics)
    Listing.objects.filter(seller=mentee).update(status="published", published_at=tz.now())
    services.milestone_achieve(member=mentee, kind=MilestoneKind.FIRST_SALE)
    page.set_viewport_size(PHONE)
    log_in(mentee.email, PASSWORD)
    page.goto("/mentoring/track/")
    expect(page.get_by_role("heading", name="First steps", level=1)).to_be_visible()
    expect(page.get_by_text("2 of 3 milestones reached")).to_be_visible()
    expect(page.locator(".milestone.done")).to_have_count(2)
    shot("03-track")
    page.get_by_role("button", name="Mark as reached Write your shop's story").click()
    expect(page.get_by_text("Well done! The milestone is marked as reached.")).to_be_visible()
    expect(page.get_by_text("3 of 3 milestones reached")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("04-track-complete")
    # the new mentor is among the mentee's suggestions
    page.goto("/mentoring/find/")
    expect(page.get_by_role("heading", name=re.compile(r"Esme Established"))).to_be_visible()
