"""Journey: a member chooses their emails for forum replies, sees the unread badge change live when someone
replies to their topic, opens the list and marks everything read (the badge goes back to nothing).

Runs against daphne serving the ASGI application in a child process (HTTP and websockets), as the messaging
journey does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from daphne.testing import DaphneProcess
from playwright.sync_api import Page, expect

from community.models import EmailDelivery
from community.notifications import selectors
from tests.community.test_forums_support import member, reply, topic
from tests.e2e.test_messaging import asgi_application, outside_playwright, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def asgi_server() -> Iterator[str]:
    process = DaphneProcess(host="127.0.0.1", get_application=asgi_application)
    process.daemon = True
    process.start()
    try:
        if not process.ready.wait(timeout=30):
            pytest.fail("daphne did not start")
        yield f"http://127.0.0.1:{process.port.value}"
    finally:
        process.terminate()
        process.join(timeout=10)


def test_a_member_sets_email_choices_gets_a_live_badge_and_marks_all_read(
    page: Page, asgi_server: str, shot: Callable, no_dialogs: list[str]
):
    asker = member("Ada Asker")
    answerer = member("Rex Replier")
    opened = outside_playwright(lambda: topic(asker, title="How do you price handmade mugs?"))

    # The asker opens their account settings and chooses never to get emails about forum replies.
    sign_in(page, asgi_server, asker.email)
    page.goto(f"{asgi_server}/members/me/edit/")
    page.get_by_role("link", name="Email notifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email notifications")
    forums = page.get_by_role("group", name="Forum replies and mentions")
    expect(forums.get_by_role("radio", name="In the daily digest")).to_be_checked()
    expect(page.get_by_role("group", name="Orders, payments and disputes").get_by_label("Immediately")).to_be_checked()
    forums.get_by_role("radio", name="Never").check()
    shot("01-email-choices")
    page.get_by_role("button", name="Save email choices").click()
    expect(page.get_by_text("Your email choices are saved.")).to_be_visible()
    expect(
        page.get_by_role("group", name="Forum replies and mentions").get_by_role("radio", name="Never")
    ).to_be_checked()
    assert selectors.email_preferences(member=asker)["forums"] == EmailDelivery.NEVER

    # With the page open and nothing unread, the badge shows nothing.
    badge = page.locator("[data-unread-count]")
    expect(badge).to_be_hidden()

    # Someone replies to their topic: the badge shows 1 without a reload.
    outside_playwright(lambda: reply(opened, answerer, body="Start from your costs."))
    expect(badge).to_be_visible(timeout=10_000)
    expect(badge).to_have_text("1")
    shot("02-live-badge")

    # They open the list, see the reply, and mark everything read: the list and the badge clear.
    page.locator("[data-notifications-link]").click()
    item = page.locator("[data-notification-item]").first
    expect(item).to_contain_text("Rex Replier replied to “How do you price handmade mugs?”")
    expect(item).to_contain_text("New")
    expect(item).to_contain_text("Forum replies and mentions")
    shot("03-list")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("You are all caught up.")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-unread-count]")).to_be_hidden(timeout=10_000)
    shot("04-all-read")
    assert no_dialogs == []
