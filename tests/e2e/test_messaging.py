"""Journey: a buyer messages a seller before paying. Contact details typed in words are masked and the buyer is
warned; the seller, in a second browser, sees the masked message arrive live over the websocket.

pytest-django's live_server speaks WSGI only, so these journeys run against daphne serving the ASGI application
(HTTP and websockets) in a child process, on the same test database, the way channels' ChannelsLiveServerTestCase
does it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from daphne.testing import DaphneProcess
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connections
from playwright.sync_api import Page, expect

from community.messaging import services
from tests.community.test_messaging_support import orders_app_stand_in, published_listing
from tests.e2e.conftest import EMAIL_LABEL, PASSWORD_LABEL
from tests.factories import PASSWORD, MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

T = TypeVar("T")
LEAKY = "mail me at jo dot smith at gmail dot com"
MASKED = "mail me at [contact details hidden]"
WARNING = "For your safety, keep payments and contact on Guildhall until an order is paid."


def asgi_application():
    """Module level, so that the child process can build it: the project's ASGI app with static files served."""
    from channels.routing import get_default_application

    return ASGIStaticFilesHandler(get_default_application())


@pytest.fixture
def asgi_server(settings) -> Iterator[str]:
    """daphne in a forked child on a free port. The child inherits the configured test database and settings; the
    channel layer is the harness's Redis (or the in-memory layer, which works within the one child process)."""
    orders_app_stand_in(settings)
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


def outside_playwright(call: Callable[[], T]) -> T:
    """Runs a service in a thread of its own: Playwright's event loop runs in the test's thread, and the services'
    after-commit pushes to the channel layer cannot run inside a running loop."""

    def call_and_close() -> T:
        try:
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(call_and_close).result()


def sign_in(page: Page, server: str, email: str) -> None:
    page.goto(f"{server}/accounts/login/")
    page.get_by_label(EMAIL_LABEL).fill(email)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def wait_live(page: Page) -> None:
    """The conversation's websocket is open (the page's script sets data-live)."""
    expect(page.locator("[data-conversation]")).to_have_attribute("data-live", "on", timeout=10_000)


def test_a_buyer_sees_details_masked_and_the_seller_gets_the_masked_message_live(
    page: Page, new_context, shot: Callable, asgi_server: str, no_dialogs: list[str]
):
    buyer = MemberFactory(display_name="Bea Buyer")
    seller = MemberFactory(display_name="Sol Seller")
    listing = published_listing(seller, title="Teal stoneware mug")

    # The buyer opens "Message the seller" for the mug and asks a first question.
    sign_in(page, asgi_server, buyer.email)
    page.goto(f"{asgi_server}/messages/new/?listing={listing.pk}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sol Seller")
    expect(page.get_by_role("link", name="Teal stoneware mug")).to_be_visible()
    page.get_by_label("Message", exact=True).fill("Hello! Is the mug still available?")
    shot("01-buyer-first-message")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/messages/\d+/$"))
    conversation_url = page.url
    expect(page.locator("#message-list")).to_contain_text("Hello! Is the mug still available?")
    wait_live(page)

    # The seller, in their own browser, finds the conversation in the inbox and opens it.
    seller_page = new_context().new_page()
    sign_in(seller_page, asgi_server, seller.email)
    seller_page.goto(f"{asgi_server}/messages/")
    row = seller_page.get_by_role("listitem").filter(has_text="Bea Buyer")
    expect(row).to_contain_text("Teal stoneware mug")
    expect(row).to_contain_text("1 unread")
    shot("02-seller-inbox", of=seller_page)
    row.get_by_role("link").click()
    expect(seller_page).to_have_url(conversation_url)
    wait_live(seller_page)

    # The buyer, before paying, writes an email address in words.
    page.get_by_label("Message", exact=True).fill(LEAKY)
    page.get_by_role("button", name="Send").click()
    # They see what was delivered, masked, and why.
    warning = page.locator("#compose").get_by_role("alert")
    expect(warning).to_contain_text(WARNING)
    expect(warning).to_contain_text("We hid: an email address")
    own = page.locator("#message-list li.mine").last
    expect(own).to_contain_text(MASKED)
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    expect(page.locator("#message-list")).not_to_contain_text("gmail")
    shot("03-buyer-sees-masked-and-warning")

    # The seller's open page receives the masked message live, without a reload, and never the original.
    incoming = seller_page.locator("#message-list li").filter(has_text=MASKED)
    expect(incoming).to_be_visible(timeout=10_000)
    expect(incoming).to_contain_text("Contact details were hidden for safety until an order is paid.")
    expect(seller_page.locator("body")).not_to_contain_text("gmail")
    expect(seller_page.locator("body")).not_to_contain_text(WARNING[:40])
    shot("04-seller-receives-masked-live", of=seller_page)

    # The seller answers; the buyer sees it live too.
    seller_page.get_by_label("Message", exact=True).fill("Yes, it is! You can buy it on the listing page.")
    seller_page.get_by_role("button", name="Send").click()
    expect(page.locator("#message-list")).to_contain_text("Yes, it is!", timeout=10_000)
    shot("05-buyer-gets-reply-live")

    # After a reload, both pages still show the masked text only, and each message once.
    seller_page.reload()
    expect(seller_page.locator("#message-list li").filter(has_text=MASKED)).to_have_count(1)
    expect(seller_page.locator("#message-list li").filter(has_text="Yes, it is!")).to_have_count(1)
    expect(seller_page.locator("body")).not_to_contain_text("gmail")
    shot("06-seller-after-reload", of=seller_page)
    page.reload()
    expect(page.locator("#message-list li").filter(has_text=MASKED)).to_have_count(1)
    assert no_dialogs == []
    seller_page.context.close()


def test_a_stranger_cannot_open_someone_elses_conversation(page: Page, asgi_server: str, shot: Callable):
    buyer = MemberFactory(display_name="Bea Buyer")
    seller = MemberFactory(display_name="Sol Seller")
    conversation = outside_playwright(
        lambda: services.conversation_start(sender=buyer, recipient=seller, body="Private question").conversation
    )
    stranger = MemberFactory(display_name="Nosy Neighbour")
    sign_in(page, asgi_server, stranger.email)
    response = page.goto(f"{asgi_server}/messages/{conversation.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text("Private question")
    shot("01-stranger-404")
