"""The conversation websocket, through the real ASGI application (channels-redis when REDIS_URL is set): live
delivery to the other member after commit, typing and read events, strangers refused, and the unread badge pushed
through the notifications socket."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client

from community.messaging import services
from community.models import ConversationMember, Notification
from tests.community.factories import MemberFactory
from tests.community.test_messaging_support import buyer_and_seller, orders_app_stand_in, start

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ORIGIN = (b"origin", b"http://localhost")
LEAKY = "mail me at jo dot smith at gmail dot com"


@pytest.fixture(autouse=True)
def _orders_app(settings, monkeypatch):
    orders_app_stand_in(settings)
    # The away email is another test's subject: here its scheduling stays out of the broker.
    from community.messaging import tasks

    monkeypatch.setattr(tasks.message_email_if_unread, "apply_async", lambda *args, **kwargs: None)


def session_cookie(member) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(member)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def communicator(path: str, *headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    from hub.asgi import application

    return WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])


def socket_path(conversation_id: int) -> str:
    return f"/ws/messages/{conversation_id}/"


def run(scenario) -> None:
    async def with_layer_closed():
        try:
            await scenario()
        finally:
            layer = get_channel_layer()
            if hasattr(layer, "close_pools"):
                await layer.close_pools()

    async_to_sync(with_layer_closed)()


def test_the_other_member_receives_a_new_message_live_as_delivered():
    # given a buyer and a seller in a conversation, the seller's page open
    buyer, seller = buyer_and_seller()
    conversation = start(buyer, seller, "Hello").message.conversation
    seller_cookie = session_cookie(seller)

    async def scenario():
        socket = communicator(socket_path(conversation.pk), seller_cookie)
        assert (await socket.connect())[0]
        # when the buyer sends contact details before paying
        delivery = await database_sync_to_async(services.message_send)(
            conversation=conversation, sender=buyer, body=LEAKY
        )
        # then the seller's page gets the masked message, never what was typed
        event = await socket.receive_json_from(timeout=5)
        assert event == {
            "type": "message",
            "id": delivery.message.pk,
            "conversation_id": conversation.pk,
            "sender_id": buyer.pk,
            "sender_name": "Bea Buyer",
            "body": "mail me at [contact details hidden]",
            "masked": True,
            "created_at": delivery.message.created_at.isoformat(),
            "attachments": [],
            "mine": False,
        }
        await socket.disconnect()

    run(scenario)


def test_strangers_and_visitors_are_refused():
    buyer, seller = buyer_and_seller()
    conversation = start(buyer, seller).message.conversation
    stranger_cookie = session_cookie(MemberFactory())

    async def scenario():
        for path, headers, code in [
            (socket_path(conversation.pk), [stranger_cookie], 4404),
            (socket_path(999_999), [stranger_cookie], 4404),
            (socket_path(conversation.pk), [], 4401),
        ]:
            socket = communicator(path, *headers)
            connected, close_code = await socket.connect()
            assert (connected, close_code) == (False, code)

    run(scenario)


def test_a_foreign_origin_is_refused():
    buyer, seller = buyer_and_seller()
    conversation = start(buyer, seller).message.conversation
    cookie = session_cookie(seller)

    async def scenario():
        from hub.asgi import application

        socket = WebsocketCommunicator(
            application, socket_path(conversation.pk), headers=[(b"origin", b"http://evil.example"), cookie]
        )
        assert (await socket.connect())[0] is False

    run(scenario)


def test_typing_and_read_reach_only_the_other_member():
    buyer, seller = buyer_and_seller()
    conversation = start(buyer, seller).message.conversation
    buyer_cookie, seller_cookie = session_cookie(buyer), session_cookie(seller)

    async def scenario():
        buyer_socket = communicator(socket_path(conversation.pk), buyer_cookie)
        seller_socket = communicator(socket_path(conversation.pk), seller_cookie)
        assert (await buyer_socket.connect())[0] and (await seller_socket.connect())[0]
        # when the seller types
        await seller_socket.send_json_to({"type": "typing"})
        # then the buyer sees it, and the seller hears no echo
        assert await buyer_socket.receive_json_from(timeout=5) == {
            "type": "typing",
            "member_id": seller.pk,
            "name": "Sol Seller",
        }
        assert await seller_socket.receive_nothing(timeout=0.3)
        # when the seller's page reads the conversation
        await seller_socket.send_json_to({"type": "read"})
        event = await buyer_socket.receive_json_from(timeout=5)
        assert (event["type"], event["member_id"]) == ("read", seller.pk)
        membership = await database_sync_to_async(ConversationMember.objects.get)(
            conversation=conversation, member=seller
        )
        assert membership.last_read_at is not None
        # unknown or malformed events are ignored
        await seller_socket.send_json_to({"type": "message", "body": "sneaky"})
        await seller_socket.send_json_to(["not", "an", "object"])
        assert await buyer_socket.receive_nothing(timeout=0.3)
        await buyer_socket.disconnect()
        await seller_socket.disconnect()

    run(scenario)


def test_nothing_is_broadcast_when_the_send_rolls_back():
    buyer, seller = buyer_and_seller()
    conversation = start(buyer, seller).message.conversation
    seller_cookie = session_cookie(seller)

    def send_then_fail() -> None:
        with transaction.atomic():
            services.message_send(conversation=conversation, sender=buyer, body="Never mind")
            transaction.set_rollback(True)

    async def scenario():
        socket = communicator(socket_path(conversation.pk), seller_cookie)
        assert (await socket.connect())[0]
        await database_sync_to_async(send_then_fail)()
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    run(scenario)


def test_the_unread_badge_updates_through_the_notifications_socket():
    # given the seller has read the conversation and has a page open elsewhere on the site
    buyer, seller = buyer_and_seller()
    conversation = start(buyer, seller).message.conversation
    services.conversation_read(conversation=conversation, member=seller)
    seller_cookie = session_cookie(seller)

    async def scenario():
        socket = communicator("/ws/notifications/", seller_cookie)
        assert (await socket.connect())[0]
        assert (await socket.receive_json_from(timeout=5))["type"] == "hello"
        # when the buyer writes
        await database_sync_to_async(services.message_send)(conversation=conversation, sender=buyer, body="Hi again")
        # then the navigation's notifications badge hears of it
        event = await socket.receive_json_from(timeout=5)
        assert event["type"] == "notification"
        assert event["text"] == "New message from Bea Buyer"
        assert event["url"] == f"/messages/{conversation.pk}/"
        assert await database_sync_to_async(Notification.objects.filter(member=seller, read_at=None).count)() == 1
        await socket.disconnect()

    run(scenario)


def test_no_notification_while_the_recipient_watches_the_conversation():
    # given the seller has the conversation open
    buyer, seller = buyer_and_seller()
    conversation = start(buyer, seller).message.conversation
    services.conversation_read(conversation=conversation, member=seller)
    Notification.objects.all().delete()
    seller_cookie = session_cookie(seller)

    async def scenario():
        socket = communicator(socket_path(conversation.pk), seller_cookie)
        assert (await socket.connect())[0]
        # when the buyer writes, the message arrives on the page and no notification is raised
        await database_sync_to_async(services.message_send)(conversation=conversation, sender=buyer, body="Hi again")
        assert (await socket.receive_json_from(timeout=5))["body"] == "Hi again"
        assert not await database_sync_to_async(Notification.objects.filter(member=seller).exists)()
        await socket.send_json_to({"type": "read"})
        await socket.disconnect()
        # once the seller has left, the next message notifies again
        await database_sync_to_async(services.message_send)(
            conversation=conversation, sender=buyer, body="Still there?"
        )
        assert await database_sync_to_async(Notification.objects.filter(member=seller).count)() == 1

    run(scenario)
