"""Journey: a live Q&A session with three people in their own browsers. A member asks a question, another sees it
appear live and upvotes it, the host marks it answered and everyone sees that live; the host ends the session and
the archive topic, with the answered question, is in the forum.

pytest-django's live_server speaks WSGI only, so the journey runs against daphne serving the ASGI application
(HTTP and websockets) in a child process on the same test database, as tests/e2e/test_messaging.py does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from daphne.testing import DaphneProcess
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from playwright.sync_api import Page, expect

from community.models import LiveSession, Role, RoleGrant, Topic
from tests.e2e.conftest import EMAIL_LABEL, PASSWORD_LABEL
from tests.factories import PASSWORD, MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

QUESTION = "How many photos should a listing have?"


def asgi_application():
    """Module level, so that the child process can build it: the project's ASGI app with static files served."""
    from channels.routing import get_default_application

    return ASGIStaticFilesHandler(get_default_application())


@pytest.fixture
def asgi_server() -> Iterator[str]:
    process = DaphneProcess(host="127.0.0.1", get_application=asgi_application)
    process.daemon = True
    process.start()
    try:
        if not process.ready.wait(timeout=30):
            error = process.errors.get(timeout=1) if not process.errors.empty() else ("no error reported", "")
            pytest.fail(f"daphne did not start: {error[1] or error[0]}")
        yield f"http://127.0.0.1:{process.port.value}"
    finally:
        process.terminate()
        process.join(timeout=10)


def sign_in(tab: Page, server: str, email: str) -> None:
    tab.goto(f"{server}/accounts/login/")
    tab.get_by_label(EMAIL_LABEL).fill(email)
    tab.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    tab.get_by_role("button", name="Sign In").click()
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()


def open_room(tab: Page, server: str, session_id: int) -> None:
    tab.goto(f"{server}/live/{session_id}/")
    expect(tab.locator("[data-live-room]")).to_have_attribute("data-live", "on", timeout=10_000)


def test_a_question_is_asked_upvoted_and_answered_live_then_archived(
    page: Page, new_context, shot: Callable, asgi_server: str, no_dialogs: list[str]
):
    host = MemberFactory(display_name="Fay Facilitator")
    RoleGrant.objects.create(member=host, role=Role.FACILITATOR)
    asker = MemberFactory(display_name="Ann Asker")
    voter = MemberFactory(display_name="Vic Voter")

    # The host schedules a session from the Live page.
    sign_in(page, asgi_server, host.email)
    page.get_by_role("link", name="Live", exact=True).click()
    page.get_by_role("link", name="Schedule a session").click()
    page.get_by_label("Title").fill("Photo clinic")
    page.get_by_label("Starts (UTC)").fill("2030-06-01T17:00")
    page.get_by_label("Duration (minutes)").fill("60")
    page.get_by_label("Capacity").fill("20")
    page.get_by_label("All members").check()
    shot("01-host-schedules")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Photo clinic")
    session_id = int(re.search(r"/live/(\d+)/$", page.url).group(1))
    expect(page.locator("[data-live-room]")).to_have_attribute("data-live", "on", timeout=10_000)
    host_tab = page

    # Two members join the room in their own browsers; one RSVPs on the way.
    asker_tab = new_context().new_page()
    sign_in(asker_tab, asgi_server, asker.email)
    open_room(asker_tab, asgi_server, session_id)
    asker_tab.get_by_role("button", name="RSVP").click()
    expect(asker_tab.get_by_text("You're going.", exact=True)).to_be_visible()
    expect(asker_tab.locator("[data-live-room]")).to_have_attribute("data-live", "on", timeout=10_000)
    voter_tab = new_context().new_page()
    sign_in(voter_tab, asgi_server, voter.email)
    open_room(voter_tab, asgi_server, session_id)
    # Presence: three people in the room, on every page.
    for tab in (host_tab, asker_tab, voter_tab):
        expect(tab.locator("[data-presence]")).to_have_text("3", timeout=10_000)

    # The asker asks; the voter's page shows the question without a reload.
    asker_tab.get_by_label("Your question").fill(QUESTION)
    asker_tab.get_by_role("button", name="Ask").click()
    expect(asker_tab.get_by_label("Your question")).to_have_value("")
    seen = voter_tab.locator("#question-list li").filter(has_text=QUESTION)
    expect(seen).to_be_visible(timeout=10_000)
    expect(seen.locator("[data-upvote-count]")).to_have_text("0")
    shot("02-voter-sees-question", of=voter_tab)

    # The voter upvotes; everyone sees one vote; the button cannot be pressed twice.
    seen.get_by_role("button", name="Upvote").click()
    for tab in (host_tab, asker_tab, voter_tab):
        question = tab.locator("#question-list li").filter(has_text=QUESTION)
        expect(question.locator("[data-upvote-count]")).to_have_text("1", timeout=10_000)
    expect(seen.get_by_role("button", name="Upvoted")).to_be_disabled()
    # The asker has no upvote button on their own question.
    expect(asker_tab.locator("#question-list li").filter(has_text=QUESTION).get_by_role("button")).to_have_count(0)
    shot("03-upvoted", of=asker_tab)

    # Chat: the voter says thanks; the host sees it live.
    voter_tab.get_by_label("Message", exact=True).fill("Thanks, great tips!")
    voter_tab.get_by_role("button", name="Send").click()
    expect(host_tab.locator("#chat-list")).to_contain_text("Thanks, great tips!", timeout=10_000)

    # The host marks it answered; both members see the badge live.
    host_question = host_tab.locator("#question-list li").filter(has_text=QUESTION)
    host_question.get_by_role("button", name="Mark answered").click()
    expect(host_question.get_by_role("button", name="Mark unanswered")).to_be_visible(timeout=10_000)
    for tab in (asker_tab, voter_tab):
        question = tab.locator("#question-list li").filter(has_text=QUESTION)
        expect(question.get_by_text("Answered", exact=True)).to_be_visible(timeout=10_000)
    shot("04-answered-seen-by-voter", of=voter_tab)
    shot("05-host-view", of=host_tab)

    # The host ends the session; the members' pages say so and link the archive.
    host_tab.get_by_role("button", name="End session").click()
    expect(host_tab.get_by_text("Session ended and archived.")).to_be_visible()
    archive_link = voter_tab.locator("[data-archive-link]")
    expect(archive_link).to_be_visible(timeout=10_000)
    expect(voter_tab.get_by_label("Your question")).to_have_count(0)
    shot("06-voter-sees-ended", of=voter_tab)

    # The archive topic exists in the forum with the answered question.
    archive_link.click()
    expect(voter_tab.get_by_role("heading", level=1)).to_contain_text("Live session: Photo clinic")
    expect(voter_tab.locator("body")).to_contain_text(QUESTION)
    expect(voter_tab.locator("body")).to_contain_text("Vic Voter: Thanks, great tips!")
    expect(voter_tab.locator("body")).to_contain_text("Live session archives")
    shot("07-archive-topic", of=voter_tab)
    session = LiveSession.objects.get(pk=session_id)
    assert session.archive_topic == Topic.objects.get(category__slug="live-session-archives")
    assert no_dialogs == []
