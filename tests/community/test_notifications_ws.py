"""The live notifications websocket, through the real ASGI application (channels-redis when REDIS_URL is set)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings

from community import services
from community.models import Notification
from tests.community.factories import MemberFactory, StaffFactory, VerificationFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PATH = "/ws/notifications/"
ORIGIN = (b"origin", b"http://localhost")


def session_cookie(client, member) -> tuple[bytes, bytes]:
    client.force_login(member)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def communicator(*headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    from hub.asgi import application

    return WebsocketCommunicator(application, PATH, headers=[ORIGIN, *headers])


def run(scenario) -> None:
    async def with_layer_closed():
        try:
            await scenario()
        finally:
            layer = get_channel_layer()
            if hasattr(layer, "close_pools"):
                await layer.close_pools()

    async_to_sync(with_layer_closed)()


def test_anonymous_visitors_are_turned_away():
    async def scenario():
        socket = communicator()
        connected, code = await socket.connect()
        assert connected is False
        assert code == 4401

    run(scenario)


def test_a_foreign_origin_is_turned_away(client):
    member = MemberFactory()
    cookie = session_cookie(client, member)

    async def scenario():
        from hub.asgi import application

        socket = WebsocketCommunicator(application, PATH, headers=[(b"origin", b"http://evil.example"), cookie])
        connected, _code = await socket.connect()
        assert connected is False

    run(scenario)


def test_member_is_greeted_with_the_unread_count_and_gets_approvals_live(client):
    # given a member with two unread notifications and one read, and a pending ID document
    member = MemberFactory(display_name="Livia Live")
    Notification.objects.create(member=member, text="Welcome")
    Notification.objects.create(member=member, text="Tip: complete your profile")
    Notification.objects.create(member=member, text="Old news", read_at="2024-01-01T00:00:00Z")
    verification = VerificationFactory(member=member)
    staff = StaffFactory()
    cookie = session_cookie(client, member)

    async def scenario():
        # when the member's page opens the socket
        socket = communicator(cookie)
        connected, _subprotocol = await socket.connect()
        assert connected
        # then it says how many are unread
        assert await socket.receive_json_from(timeout=5) == {"type": "hello", "unread": 2}
        # when staff approve the document (the approval commits)
        await database_sync_to_async(services.verification_approve)(verification_id=verification.pk, reviewer=staff)
        # then the notification arrives live
        message = await socket.receive_json_from(timeout=5)
        notification = await database_sync_to_async(Notification.objects.get)(member=member, text__contains="approved")
        assert message == {
            "type": "notification",
            "id": notification.pk,
            "text": "Your Government ID verification was approved.",
            "url": "/members/me/verification/",
        }
        await socket.disconnect()

    run(scenario)


def test_members_only_hear_their_own_notifications(client):
    # given two members connected at once
    alice, bob = MemberFactory(), MemberFactory()
    alice_cookie = session_cookie(client, alice)
    bob_cookie = session_cookie(client.__class__(), bob)
    verification = VerificationFactory(member=alice)
    staff = StaffFactory()

    async def scenario():
        alice_socket, bob_socket = communicator(alice_cookie), communicator(bob_cookie)
        assert (await alice_socket.connect())[0]
        assert (await bob_socket.connect())[0]
        assert (await alice_socket.receive_json_from(timeout=5))["type"] == "hello"
        assert (await bob_socket.receive_json_from(timeout=5))["type"] == "hello"
        # when Alice's document is approved
        await database_sync_to_async(services.verification_approve)(verification_id=verification.pk, reviewer=staff)
        # then Alice hears of it and Bob hears nothing
        assert (await alice_socket.receive_json_from(timeout=5))["type"] == "notification"
        assert await bob_socket.receive_nothing(timeout=0.5)
        await alice_socket.disconnect()
        await bob_socket.disconnect()

    run(scenario)


def test_nothing_is_pushed_when_the_approval_rolls_back(client):
    # given a connected member with a pending document
    member = MemberFactory()
    cookie = session_cookie(client, member)
    verification = VerificationFactory(member=member)
    staff = StaffFactory()

    def approve_then_fail() -> None:
        from django.db import transaction

        with transaction.atomic():
            services.verification_approve(verification_id=verification.pk, reviewer=staff)
            transaction.set_rollback(True)

    async def scenario():
        socket = communicator(cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from(timeout=5)
        # when an approval is rolled back
        await database_sync_to_async(approve_then_fail)()
        # then no notification is pushed and none is stored
        assert await socket.receive_nothing(timeout=0.5)
        assert await database_sync_to_async(Notification.objects.filter(member=member).count)() == 0
        await socket.disconnect()

    run(scenario)


def test_marking_all_read_elsewhere_updates_the_open_badge(client):
    # given a member with two unread notifications and their page open
    member = MemberFactory()
    Notification.objects.create(member=member, text="One")
    Notification.objects.create(member=member, text="Two")
    cookie = session_cookie(client, member)

    from community.notifications.services import notifications_read_all

    async def scenario():
        socket = communicator(cookie)
        assert (await socket.connect())[0]
        assert await socket.receive_json_from(timeout=5) == {"type": "hello", "unread": 2}
        # when they mark all read in another tab (or through the API)
        await database_sync_to_async(notifications_read_all)(member=member)
        # then the open page's badge drops to zero
        assert await socket.receive_json_from(timeout=5) == {"type": "unread", "unread": 0}
        await socket.disconnect()

    run(scenario)
