"""Messaging services: the leakage rule before and after a paid order, the moderator flag, one thread per listing
and per order, validation, rate limits, attachments, notifications and the away email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community import leakage
from community.messaging import selectors, services, tasks
from community.models import (
    Conversation,
    ConversationMember,
    LeakageAttempt,
    LeakageFlag,
    Message,
    MessageAttachment,
    Notification,
)
from community.services import member_delete
from tests.community.factories import MemberFactory, RoleGrantFactory, bomb_png
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

LEAKY = "mail me at jo dot smith at gmail dot com"
HIDDEN = "[contact details hidden]"


@pytest.fixture(autouse=True)
def _orders_app(settings):
    orders_app_stand_in(settings)


@pytest.fixture
def pair():
    return buyer_and_seller()


@pytest.fixture
def thread(pair):
    buyer, seller = pair
    return start(buyer, seller).message.conversation


# --- The leakage rule -----------------------------------------------------------------------------------------


def test_contact_details_are_masked_before_a_paid_order(pair):
    buyer, seller = pair
    listing = published_listing(seller)
    # when the buyer writes an email address in words before paying
    delivery = start(buyer, seller, LEAKY, listing=listing)
    # then the seller receives it masked, the buyer is warned, and moderators keep what was typed
    message = Message.objects.get(pk=delivery.message.pk)
    assert message.body == f"mail me at {HIDDEN}"
    assert message.masked is True
    assert "email" in message.leak_kinds
    assert message.leak_kinds == list(leakage.scan(LEAKY).kinds)
    assert message.original_body == LEAKY
    assert delivery.warning == leakage.warning_for(leakage.scan(LEAKY))
    assert "an email address" in delivery.warning
    attempt = LeakageAttempt.objects.get()
    assert (attempt.sender, attempt.message, attempt.kinds) == (buyer, message, message.leak_kinds)


def test_contact_details_pass_unmasked_once_an_order_is_paid_either_way(pair):
    buyer, seller = pair
    # given the buyer has paid the seller for an order
    PAID.add((buyer.pk, seller.pk))
    # when either of them shares contact details
    from_buyer = start(buyer, seller, LEAKY)
    from_seller = services.message_send(
        conversation=from_buyer.message.conversation, sender=seller, body="Call me on 07700 900123"
    )
    # then both arrive as typed, without a warning or a recorded attempt
    for delivery, typed in [(from_buyer, LEAKY), (from_seller, "Call me on 07700 900123")]:
        assert delivery.message.body == typed
        assert delivery.message.masked is False
        assert delivery.message.original_body == ""
        assert delivery.warning is None
    assert not LeakageAttempt.objects.exists()


def test_without_the_setting_no_order_counts_as_paid(pair, settings):
    del settings.MESSAGING_PAID_ORDER_CHECK
    buyer, seller = pair
    assert selectors.paid_order_between(member_id=buyer.pk, other_id=seller.pk) is False
    assert start(buyer, seller, LEAKY).message.masked is True


def test_a_clean_message_is_delivered_as_typed(pair):
    buyer, seller = pair
    delivery = start(buyer, seller, "Does it come in blue?\nThanks!")
    assert (delivery.message.body, delivery.message.masked, delivery.warning) == (
        "Does it come in blue?\nThanks!",
        False,
        None,
    )


def test_the_third_attempt_in_a_week_flags_the_sender_to_moderators(pair):
    buyer, seller = pair
    moderator = MemberFactory(display_name="Mo Moderator")
    RoleGrantFactory(member=moderator, role="moderator")
    conversation = start(buyer, seller, LEAKY).message.conversation
    services.message_send(conversation=conversation, sender=buyer, body="whatsapp me on 07700 900123")
    # given two attempts: no flag yet
    assert not LeakageFlag.objects.exists()
    assert not Notification.objects.filter(member=moderator).exists()
    # when the buyer tries a third time
    services.message_send(conversation=conversation, sender=buyer, body="pay me by bank transfer instead")
    # then the buyer is flagged once and moderators are told
    flag = LeakageFlag.objects.get()
    assert (flag.member, flag.attempts, flag.reviewed_at) == (buyer, 3, None)
    notification = Notification.objects.get(member=moderator)
    assert "Bea Buyer" in notification.text and "3 times" in notification.text
    # and a fourth attempt while the flag is open adds no second flag
    services.message_send(conversation=conversation, sender=buyer, body=LEAKY)
    assert LeakageFlag.objects.count() == 1
    assert LeakageAttempt.objects.filter(sender=buyer).count() == 4


def test_attempts_older_than_a_week_do_not_count(pair):
    buyer, seller = pair
    conversation = start(buyer, seller, LEAKY).message.conversation
    services.message_send(conversation=conversation, sender=buyer, body=LEAKY)
    LeakageAttempt.objects.update(created_at=timezone.now() - timedelta(days=8))
    services.message_send(conversation=conversation, sender=buyer, body=LEAKY)
    assert not LeakageFlag.objects.exists()


# --- Threads ------------------------------------------------------------------------------------------------------


def test_one_thread_per_buyer_seller_and_listing(pair):
    buyer, seller = pair
    mug = published_listing(seller)
    jug = published_listing(
        seller,
        title="Linen tea towel",
        description="A soft linen tea towel, hand printed with a botanical pattern in two colours; 50 by 70 cm.",
    )
    first = start(buyer, seller, listing=mug).message.conversation
    # the seller answering through "start" lands in the same thread
    again = start(seller, buyer, "Yes it is!", listing=mug).message.conversation
    other_listing = start(buyer, seller, listing=jug).message.conversation
    direct = start(buyer, seller).message.conversation
    assert again == first
    assert len({first.pk, other_listing.pk, direct.pk}) == 3
    assert first.messages.count() == 2
    assert set(first.memberships.values_list("member_id", flat=True)) == {buyer.pk, seller.pk}


def test_one_thread_per_order_between_its_parties_only(pair):
    buyer, seller = pair
    ORDERS[77] = (buyer.pk, seller.pk)
    thread = start(buyer, seller, "About my order", order_ref=77).message.conversation
    assert start(seller, buyer, "Shipped today", order_ref=77).message.conversation == thread
    assert thread.order_ref == 77
    # a stranger cannot tie a thread to someone else's order, and unknown orders are refused
    stranger = MemberFactory()
    for sender, recipient, ref in [(stranger, seller, 77), (buyer, seller, 78)]:
        with pytest.raises(ValidationError) as error:
            start(sender, recipient, order_ref=ref)
        assert error.value.message_dict == {"order": ["This order was not found."]}


def test_a_thread_about_a_listing_needs_the_listing_to_be_the_recipients_and_visible(pair):
    buyer, seller = pair
    someone = MemberFactory()
    not_theirs = published_listing(someone)
    with pytest.raises(ValidationError) as error:
        start(buyer, seller, listing=not_theirs)
    assert "listing" in error.value.message_dict
    from listings.services import listing_pause

    paused = listing_pause(listing_id=published_listing(seller).pk, seller=seller)
    with pytest.raises(ValidationError) as error:
        start(buyer, seller, listing=paused)
    assert error.value.message_dict == {"listing": ["This listing is not available."]}


# --- Validation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write a message or attach a file."),
        ("   \n ", "Write a message or attach a file."),
        ("x" * 5_001, "Keep the message under 5,000 characters (it has 5,001)."),
    ],
)
def test_empty_and_overlong_bodies_are_refused(thread, pair, body, message):
    buyer, _seller = pair
    with pytest.raises(ValidationError) as error:
        services.message_send(conversation=thread, sender=buyer, body=body)
    assert error.value.message_dict == {"body": [message]}


def test_a_body_of_exactly_5000_characters_is_delivered(thread, pair):
    buyer, _seller = pair
    assert len(services.message_send(conversation=thread, sender=buyer, body="y" * 5_000).message.body) == 5_000


def test_members_cannot_message_themselves(pair):
    buyer, _seller = pair
    with pytest.raises(ValidationError) as error:
        start(buyer, buyer)
    assert error.value.message_dict == {"recipient": ["You cannot send a message to yourself."]}


def test_deactivated_and_deleted_members_cannot_be_messaged(thread, pair):
    buyer, seller = pair
    # given a deactivated member and a deleted one
    closed = MemberFactory(is_active=False)
    with pytest.raises(ValidationError) as error:
        start(buyer, closed)
    assert error.value.message_dict == {"recipient": ["This member's account is closed; they cannot receive messages."]}
    member_delete(member=seller)
    seller.refresh_from_db()
    with pytest.raises(ValidationError):
        services.message_send(conversation=thread, sender=buyer, body="Still there?")


def test_only_members_send_to_a_conversation(thread):
    with pytest.raises(PermissionDenied):
        services.message_send(conversation=thread, sender=MemberFactory(), body="Let me in")


# --- Rate limits --------------------------------------------------------------------------------------------------


def test_thirty_messages_per_ten_minutes(thread, pair):
    buyer, _seller = pair
    for n in range(services.MESSAGES_PER_WINDOW - 1):  # the thread's first message counts too
        services.message_send(conversation=thread, sender=buyer, body=f"Message {n}")
    with pytest.raises(services.RateLimited) as error:
        services.message_send(conversation=thread, sender=buyer, body="One too many")
    assert "30 messages in 10 minutes" in error.value.message_dict["body"][0]
    # ten minutes later the sender may write again
    Message.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert services.message_send(conversation=thread, sender=buyer, body="Back again").message.pk


def test_ten_new_conversations_a_day_but_replies_are_not_limited_by_it(pair):
    buyer, seller = pair
    sellers = [MemberFactory() for _ in range(services.NEW_CONVERSATIONS_PER_DAY)]
    for other in sellers:
        start(buyer, other)
    with pytest.raises(services.RateLimited) as error:
        start(buyer, seller)
    assert "10 new conversations today" in error.value.message_dict["recipient"][0]
    # writing in an existing thread still works
    assert start(buyer, sellers[0], "Following up").message.conversation.messages.count() == 2


# --- Attachments --------------------------------------------------------------------------------------------------


def test_images_and_pdfs_are_stored_privately_under_safe_names(pair):
    buyer, seller = pair
    disguised = png_file("../../evil.html")
    delivery = start(buyer, seller, "Photos and the invoice", attachments=[disguised, pdf_file("Invoice May.pdf")])
    image, pdf = MessageAttachment.objects.filter(message=delivery.message).order_by("id")
    assert (image.is_image, pdf.is_image) == (True, False)
    assert (image.name, pdf.name) == ("evil.png", "Invoice May.pdf")
    for attachment in (image, pdf):
        assert attachment.file.storage is storages["private"]
        assert attachment.file.name.startswith(f"messages/{delivery.message.conversation_id}/attachment-")
        assert ".." not in attachment.file.name
    assert image.file.name.endswith(".png") and pdf.file.name.endswith(".pdf")


def test_a_file_alone_is_a_message(pair):
    buyer, seller = pair
    delivery = start(buyer, seller, "", attachments=[png_file()])
    assert delivery.message.body == "" and delivery.message.attachments.count() == 1


def test_a_file_name_cannot_carry_contact_details_before_a_paid_order(pair):
    buyer, seller = pair
    delivery = start(buyer, seller, "See file", attachments=[pdf_file("call me 07700 900123.pdf")])
    assert delivery.message.attachments.get().name == "attachment.pdf"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.txt", b"just text", content_type="text/plain"), "Attach images"),
        (SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="image/png"), "Attach images"),
        (SimpleUploadedFile("bomb.png", bomb_png(), content_type="image/png"), "too many pixels"),
    ],
    ids=["text", "html-disguised-as-png", "pixel-bomb"],
)
def test_other_files_are_refused(thread, pair, upload, message):
    buyer, _seller = pair
    with pytest.raises(ValidationError) as error:
        services.message_send(conversation=thread, sender=buyer, body="Here", attachments=[upload])
    assert message in error.value.message_dict["attachments"][0]
    assert not MessageAttachment.objects.exists()


def test_size_and_count_limits(thread, pair, settings):
    buyer, _seller = pair
    settings.MESSAGING_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        services.message_send(conversation=thread, sender=buyer, body="Big", attachments=[big])
    assert error.value.message_dict["attachments"] == ["“big” is too large; the limit is 1 MB."]
    with pytest.raises(ValidationError) as error:
        services.message_send(conversation=thread, sender=buyer, body="Many", attachments=[png_file()] * 6)
    assert error.value.message_dict["attachments"] == ["Attach up to 5 files to one message."]


# --- Reading, notifications and the away email -------------------------------------------------------------------


def test_the_first_unread_message_notifies_once_and_reading_clears_it(pair):
    buyer, seller = pair
    conversation = start(buyer, seller).message.conversation
    services.message_send(conversation=conversation, sender=buyer, body="And another thing")
    notifications = Notification.objects.filter(member=seller)
    assert [n.text for n in notifications] == ["New message from Bea Buyer"]
    assert notifications.get().url == f"/messages/{conversation.pk}/"
    assert selectors.conversation_unread_count(conversation=conversation, member=seller) == 2
    # when the seller reads the conversation
    services.conversation_read(conversation=conversation, member=seller)
    # then nothing is unread and the notification is read too
    assert selectors.conversation_unread_count(conversation=conversation, member=seller) == 0
    assert notifications.get().read_at is not None
    # and the sender's own messages never count as unread for them
    assert selectors.conversation_unread_count(conversation=conversation, member=buyer) == 0


def test_a_muted_conversation_does_not_notify(thread, pair):
    buyer, seller = pair
    services.conversation_read(conversation=thread, member=seller)
    Notification.objects.all().delete()
    services.conversation_mute_set(conversation=thread, member=seller, muted=True)
    services.message_send(conversation=thread, sender=buyer, body="Hello?")
    assert not Notification.objects.filter(member=seller).exists()


def test_sending_schedules_the_away_email_after_commit(pair, monkeypatch, django_capture_on_commit_callbacks):
    buyer, seller = pair
    calls = []
    monkeypatch.setattr(
        tasks.message_email_if_unread, "apply_async", lambda args, countdown: calls.append((args, countdown))
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery = start(buyer, seller)
    assert calls == [((delivery.message.pk, seller.pk), 600)]


def test_the_away_email_goes_once_while_unread(pair, mailoutbox, django_capture_on_commit_callbacks):
    buyer, seller = pair
    delivery = start(buyer, seller, LEAKY)
    # when the task runs twice (a retry, or two workers)
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.message_email_if_unread(delivery.message.pk, seller.pk)
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.message_email_if_unread(delivery.message.pk, seller.pk)
    # then one email went out, with the delivered (masked) text and a link back
    assert (first, second) == (True, False)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [seller.email]
    assert email.subject == "A new message from Bea Buyer on Guildhall"
    assert HIDDEN in email.body and "gmail" not in email.body
    assert f"/messages/{delivery.message.conversation_id}/" in email.body


def test_one_email_covers_the_unread_stretch_and_a_new_stretch_gets_its_own(pair, mailoutbox):
    buyer, seller = pair
    first = start(buyer, seller, "Hi")
    second = services.message_send(conversation=first.message.conversation, sender=buyer, body="Hello?")
    assert tasks.message_email_if_unread(first.message.pk, seller.pk) is True
    assert tasks.message_email_if_unread(second.message.pk, seller.pk) is False
    # the seller reads, and later the buyer writes again
    services.conversation_read(conversation=first.message.conversation, member=seller)
    ConversationMember.objects.filter(member=seller).update(last_read_at=timezone.now() - timedelta(seconds=1))
    third = services.message_send(conversation=first.message.conversation, sender=buyer, body="Are you there?")
    assert tasks.message_email_if_unread(third.message.pk, seller.pk) is True


def test_no_email_once_read_or_when_muted(pair, mailoutbox):
    buyer, seller = pair
    read = start(buyer, seller)
    services.conversation_read(conversation=read.message.conversation, member=seller)
    assert tasks.message_email_if_unread(read.message.pk, seller.pk) is False
    services.conversation_mute_set(conversation=read.message.conversation, member=seller, muted=True)
    muted = services.message_send(conversation=read.message.conversation, sender=buyer, body="Ping")
    assert tasks.message_email_if_unread(muted.message.pk, seller.pk) is False
    assert mailoutbox == []


def test_the_inbox_counts_unread_per_conversation(pair):
    buyer, seller = pair
    other = MemberFactory(display_name="Olive Other")
    first = start(buyer, seller).message.conversation
    services.message_send(conversation=first, sender=buyer, body="Second")
    second = start(other, seller).message.conversation
    rows = selectors.inbox_rows(selectors.inbox(member=seller))
    assert [(row.conversation, row.other, row.unread) for row in rows] == [(second, other, 1), (first, buyer, 2)]
    assert selectors.unread_conversations_count(member=seller) == 2
    assert Conversation.objects.get(pk=first.pk).last_message.body == "Second"
