"""Messaging pages: the inbox, a conversation (with and without JavaScript), "Message the seller", attachments, and
who may see what (strangers get 404)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.messaging import services
from community.models import Conversation, ConversationMember, Message, Verification, VerificationStatus
from tests.community.factories import MemberFactory
from tests.community.test_messaging_support import (
    ORDERS,
    PAID,
    buyer_and_seller,
    orders_app_stand_in,
    pdf_file,
    png_file,
    published_listing,
    start,
)

pytestmark = pytest.mark.django_db

INBOX = "/messages/"
LEAKY = "mail me at jo dot smith at gmail dot com"
HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)"> & <b>bold</b>\nsecond line'


@pytest.fixture(autouse=True)
def _orders_app(settings):
    orders_app_stand_in(settings)


@pytest.fixture
def pair():
    return buyer_and_seller()


@pytest.fixture
def listing(pair):
    _buyer, seller = pair
    return published_listing(seller, title="Teal stoneware mug")


@pytest.fixture
def thread(pair, listing):
    buyer, seller = pair
    return start(buyer, seller, "Is the mug still available?", listing=listing).message.conversation


def url(conversation: Conversation) -> str:
    return f"/messages/{conversation.pk}/"


# --- Inbox --------------------------------------------------------------------------------------------------------


def test_inbox_shows_the_other_person_listing_last_message_and_unread_count(client, pair, thread):
    buyer, seller = pair
    services.message_send(conversation=thread, sender=buyer, body="I could collect on Saturday.")
    client.force_login(seller)
    response = client.get(INBOX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bea Buyer" in html
    assert "Teal stoneware mug" in html
    assert "I could collect on Saturday." in html
    assert "2 unread" in html
    # after reading, the count is gone
    client.get(url(thread))
    assert not re.search(r"\d+ unread", client.get(INBOX).content.decode())


def test_the_inbox_is_empty_with_a_hint(client):
    client.force_login(MemberFactory())
    assert "No messages yet" in client.get(INBOX).content.decode()


def _inbox_queries(client, member) -> int:
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INBOX).status_code == 200
    return len(queries)


def test_inbox_queries_do_not_grow_with_the_number_of_conversations(client, listing, pair):
    _buyer, seller = pair

    def buyers_write(count: int) -> None:
        for n in range(count):
            buyer = MemberFactory(display_name=f"Buyer {n}")
            Verification.objects.create(member=buyer, kind="email", status=VerificationStatus.APPROVED)
            start(buyer, seller, f"Question {n}", listing=listing, attachments=[png_file()] if n % 2 else ())

    # given the seller has two conversations, then eight
    buyers_write(2)
    _inbox_queries(client, seller)  # warm per-process caches (site settings, content types)
    few = _inbox_queries(client, seller)
    buyers_write(6)
    many = _inbox_queries(client, seller)
    # then the inbox costs the same number of queries
    assert many == few
    assert client.get(INBOX).content.decode().count('class="inbox-row') == 8


# --- A conversation -----------------------------------------------------------------------------------------------


def _conversation_queries(client, member, conversation) -> int:
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(conversation)).status_code == 200
    return len(queries)


def test_conversation_page_queries_do_not_grow_with_messages_and_files(client, pair, thread):
    buyer, seller = pair

    def exchange(count: int) -> None:
        for n in range(count):
            sender = buyer if n % 2 else seller
            files = [png_file(), pdf_file()] if n % 3 == 0 else ()
            services.message_send(conversation=thread, sender=sender, body=f"Line {n}", attachments=files)

    exchange(2)
    _conversation_queries(client, seller, thread)  # warm per-process caches
    few = _conversation_queries(client, seller, thread)
    exchange(9)
    assert _conversation_queries(client, seller, thread) == few


def test_members_see_the_conversation_and_opening_it_marks_it_read(client, pair, thread):
    _buyer, seller = pair
    client.force_login(seller)
    response = client.get(url(thread))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Is the mug still available?" in html
    assert f'data-socket="/ws/messages/{thread.pk}/"' in html
    assert ConversationMember.objects.get(conversation=thread, member=seller).last_read_at is not None


def test_strangers_get_404_and_visitors_are_sent_to_sign_in(client, thread):
    assert client.get(url(thread)).status_code == 302
    client.force_login(MemberFactory())
    for path in [url(thread), f"{url(thread)}mute/"]:
        assert client.get(path).status_code in (404, 405)
        assert client.post(path, {"body": "Hi", "muted": "1"}).status_code == 404
    assert client.get("/messages/999999/").status_code == 404


def test_sending_without_javascript_masks_and_warns_the_sender(client, pair, thread):
    buyer, seller = pair
    client.force_login(buyer)
    # when the buyer posts contact details before paying
    response = client.post(url(thread), {"body": LEAKY})
    message = Message.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"{url(thread)}#message-{message.pk}"
    # then their page shows the masked text and the warning
    page = client.get(url(thread)).content.decode()
    assert "mail me at [contact details hidden]" in page
    assert "For your safety, keep payments and contact on Guildhall" in page
    assert "gmail" not in page
    # and the seller's page shows the masked text, without the sender's warning
    client.force_login(seller)
    page = client.get(url(thread)).content.decode()
    assert "mail me at [contact details hidden]" in page
    assert "Contact details were hidden for safety" in page
    assert "For your safety" not in page and "gmail" not in page


def test_after_a_paid_order_details_are_shown_as_typed(client, pair, thread):
    buyer, seller = pair
    PAID.add((buyer.pk, seller.pk))
    client.force_login(buyer)
    client.post(url(thread), {"body": LEAKY})
    assert LEAKY in client.get(url(thread)).content.decode()


def test_htmx_sending_answers_with_a_fresh_form_the_warning_and_the_message(client, pair, thread):
    buyer, _seller = pair
    client.force_login(buyer)
    response = client.post(url(thread), {"body": LEAKY}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    message = Message.objects.latest("id")
    assert 'id="compose"' in html
    assert "For your safety, keep payments and contact on Guildhall" in html
    assert 'hx-swap-oob="beforeend:#message-list"' in html
    assert f'id="message-{message.pk}"' in html
    assert "<textarea" in html and LEAKY not in html


def test_errors_are_shown_on_the_page_and_to_htmx(client, pair, thread):
    buyer, _seller = pair
    client.force_login(buyer)
    response = client.post(url(thread), {"body": "  "})
    assert response.status_code == 400
    assert "Write a message or attach a file." in response.content.decode()
    response = client.post(url(thread), {"body": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Write a message or attach a file." in response.content.decode()


def test_the_rate_limit_answers_429_with_the_reason(client, pair, thread):
    buyer, _seller = pair
    for n in range(services.MESSAGES_PER_WINDOW - 1):
        services.message_send(conversation=thread, sender=buyer, body=f"Message {n}")
    client.force_login(buyer)
    response = client.post(url(thread), {"body": "One more"})
    assert response.status_code == 429
    assert "You have sent 30 messages in 10 minutes." in response.content.decode()


def test_hostile_html_in_a_body_is_shown_as_text(client, pair, thread):
    buyer, seller = pair
    PAID.add((buyer.pk, seller.pk))  # nothing masked: the markup reaches the page as typed
    services.message_send(conversation=thread, sender=buyer, body=HOSTILE)
    client.force_login(seller)
    for page in [client.get(url(thread)).content.decode(), client.get(INBOX).content.decode()]:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<b>bold</b>" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # line breaks are the only markup a body gets
    assert "&lt;b&gt;bold&lt;/b&gt;<br>second line" in client.get(url(thread)).content.decode()


def test_muting_and_unmuting(client, pair, thread):
    _buyer, seller = pair
    client.force_login(seller)
    response = client.post(f"{url(thread)}mute/", {"muted": "1"}, follow=True)
    assert "Conversation muted" in response.content.decode()
    assert ConversationMember.objects.get(conversation=thread, member=seller).muted is True
    client.post(f"{url(thread)}mute/", {"muted": "0"})
    assert ConversationMember.objects.get(conversation=thread, member=seller).muted is False


def test_earlier_messages_are_a_link_away(client, pair, thread):
    buyer, _seller = pair
    for n in range(55):
        Message.objects.create(conversation=thread, sender=buyer, body=f"Old {n}")
    client.force_login(buyer)
    html = client.get(url(thread)).content.decode()
    assert "Show earlier messages" in html
    assert html.count('class="chat-message') == 50


# --- Message the seller -------------------------------------------------------------------------------------------


def test_message_the_seller_starts_a_thread_about_the_listing(client, pair, listing):
    buyer, seller = pair
    client.force_login(buyer)
    page = client.get(f"/messages/new/?listing={listing.pk}")
    assert page.status_code == 200
    assert "Sol Seller" in page.content.decode() and "Teal stoneware mug" in page.content.decode()
    response = client.post(f"/messages/new/?listing={listing.pk}", {"body": LEAKY}, follow=True)
    conversation = Conversation.objects.get()
    assert response.redirect_chain[-1][0] == url(conversation)
    assert (conversation.listing, conversation.started_by) == (listing, buyer)
    html = response.content.decode()
    assert "For your safety, keep payments and contact on Guildhall" in html
    assert "mail me at [contact details hidden]" in html
    # opening "Message the seller" again goes to the existing thread
    again = client.get(f"/messages/new/?listing={listing.pk}")
    assert (again.status_code, again["Location"]) == (302, url(conversation))


def test_message_the_seller_on_your_own_listing_goes_to_the_inbox(client, pair, listing):
    _buyer, seller = pair
    client.force_login(seller)
    response = client.get(f"/messages/new/?listing={listing.pk}")
    assert (response.status_code, response["Location"]) == (302, INBOX)


def test_message_the_seller_of_a_hidden_listing_or_a_closed_account_is_404(client, pair, listing):
    buyer, seller = pair
    from listings.services import listing_pause

    listing_pause(listing_id=listing.pk, seller=seller)
    client.force_login(buyer)
    assert client.get(f"/messages/new/?listing={listing.pk}").status_code == 404
    assert client.get("/messages/new/?listing=abc").status_code == 404
    closed = MemberFactory(is_active=False)
    assert client.get(f"/messages/new/?to={closed.pk}").status_code == 404
    assert client.get(f"/messages/new/?to={seller.pk}").status_code == 200


def test_an_empty_first_message_keeps_the_form(client, pair, listing):
    buyer, _seller = pair
    client.force_login(buyer)
    response = client.post(f"/messages/new/?listing={listing.pk}", {"body": ""})
    assert response.status_code == 400
    assert "Write a message or attach a file." in response.content.decode()
    assert not Conversation.objects.exists()


# --- Attachments --------------------------------------------------------------------------------------------------


def test_attachments_are_sent_from_the_page_and_downloaded_only_by_members(client, pair, thread):
    buyer, seller = pair
    client.force_login(buyer)
    client.post(url(thread), {"body": "Photo and invoice", "attachments": [png_file("mug.png"), pdf_file()]})
    image, pdf = Message.objects.latest("id").attachments.order_by("id")
    # members download them: images inline, PDFs as a download
    for member in (buyer, seller):
        client.force_login(member)
        response = client.get(f"/messages/attachments/{image.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
        response = client.get(f"/messages/attachments/{pdf.pk}/")
        assert response["Content-Disposition"].startswith("attachment;")
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    page = client.get(url(thread)).content.decode()
    assert f'src="/messages/attachments/{image.pk}/"' in page and "invoice.pdf" in page
    # a stranger and a visitor are told they do not exist
    client.force_login(MemberFactory())
    assert client.get(f"/messages/attachments/{image.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/messages/attachments/{pdf.pk}/").status_code == 404


def test_a_refused_attachment_is_explained_on_the_page(client, pair, thread):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buyer, _seller = pair
    client.force_login(buyer)
    notes = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = client.post(url(thread), {"body": "See attached", "attachments": [notes]})
    assert response.status_code == 400
    assert "Attach images (JPEG, PNG, WebP, GIF) or PDF files only." in response.content.decode()


def test_an_order_thread_is_started_by_either_party_only(client, pair):
    buyer, seller = pair
    ORDERS[31] = (buyer.pk, seller.pk)
    client.force_login(seller)
    page = client.get("/messages/new/?order=31")
    assert page.status_code == 200 and "About order 31" in page.content.decode()
    response = client.post("/messages/new/?order=31", {"body": "Your mug ships tomorrow."})
    conversation = Conversation.objects.get()
    assert (response.status_code, response["Location"]) == (302, url(conversation))
    assert (conversation.order_ref, conversation.listing) == (31, None)
    client.force_login(buyer)
    assert client.get("/messages/new/?order=31")["Location"] == url(conversation)
    client.force_login(MemberFactory())
    assert client.get("/messages/new/?order=31").status_code == 404
    assert client.get("/messages/new/?order=32").status_code == 404
