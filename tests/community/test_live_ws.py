"""The live room's websocket through the real ASGI application, on the in-memory channel layer and on channels-redis
(the harness's Redis): anonymous sockets and members who may not see the session are refused; a question, its
upvote and the host's answer reach every member in the room; refused input is answered to the sender only."""

from __future__ import annotations

import asyncio
import os

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from community.live import services
from community.models import LiveQuestion, SessionVisibility
from tests.community.test_forums_support import member
from tests.community.test_live_support import host, session
from tests.harness import IN_CI

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(params=["memory", "redis"], autouse=True)
def channel_layer(request, settings):
    """Each test runs once per layer. Changing CHANNEL_LAYERS resets channels' cached layers."""
    if request.param == "memory":
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    else:
        if not os.environ.get("REDIS_URL"):
            if IN_CI:
                pytest.fail("no Redis: the harness must start redis-server under CI=true")
            pytest.skip("redis-server is not installed (Debian package: redis-server)")
        backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
        if not backend.startswith("channels_redis"):
            settings.CHANNEL_LAYERS = {
                "default": {
                    "BACKEND": "channels_redis.core.RedisChannelLayer",
                    "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
                }
            }
    return request.param


def cookie_for(who) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(who)
    name = django_settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


def socket(session_id: int, *headers) -> WebsocketCommunicator:
    from hub.asgi import application

    return WebsocketCommunicator(application, f"/ws/live/{session_id}/", headers=[ORIGIN, *headers])


def run(scenario) -> None:
    async def with_layer_closed():
        try:
            await scenario()
        finally:
            layer = get_channel_layer()
            if hasattr(layer, "close_pools"):
                await layer.close_pools()

    async_to_sync(with_layer_closed)()


async def next_event(communicator: WebsocketCommunicator, name: str, timeout: float = 5) -> dict:
    """The next message named `name`, skipping presence updates and acknowledgements on the way."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no {name!r} event within {timeout}s")
        message = await communicator.receive_json_from(timeout=remaining)
        if message.get("event") == name:
            return message


def test_anonymous_sockets_strangers_and_missing_sessions_are_refused(channel_layer):
    owner, guest, stranger = host(), member(), member()
    secret = session(owner, visibility=SessionVisibility.INVITE, invitees=[guest])
    stranger_cookie, guest_cookie = cookie_for(stranger), cookie_for(guest)

    async def scenario():
        for session_id, headers, code in [
            (secret.pk, [], 4401),
            (secret.pk, [stranger_cookie], 4404),
            (999_999, [guest_cookie], 4404),
        ]:
            communicator = socket(session_id, *headers)
            assert await communicator.connect() == (False, code)
        invited = socket(secret.pk, guest_cookie)
        connected, _ = await invited.connect()
        assert connected
        welcome = await invited.receive_json_from(timeout=5)
        assert (welcome["event"], welcome["session"], welcome["moderator"]) == ("welcome", secret.pk, False)
        await invited.disconnect()

    run(scenario)


def test_a_question_its_upvote_and_the_answer_reach_everyone_in_the_room(channel_layer):
    owner, asker, voter = host("Fay Host"), member("Asker Ann"), member("Voter Vic")
    planned = session(owner)
    cookies = {who: cookie_for(who) for who in (owner, asker, voter)}

    async def scenario():
        sockets = {who: socket(planned.pk, cookie) for who, cookie in cookies.items()}
        for communicator in sockets.values():
            assert (await communicator.connect())[0]
        everyone = list(sockets.values())
        # when the asker asks over the socket
        await sockets[asker].send_json_to({"action": "ask", "body": "  Do <b>bundles</b> sell?  "})
        # then every member in the room gets the question, as typed (the page sets it as text)
        asked = [await next_event(communicator, "question.asked") for communicator in everyone]
        question = asked[0]["question"]
        assert all(event == asked[0] for event in asked)
        assert (question["body"], question["author"], question["upvotes"]) == (
            "Do <b>bundles</b> sell?",
            {"id": asker.pk, "name": "Asker Ann"},
            0,
        )
        # when another member upvotes it, twice
        await sockets[voter].send_json_to({"action": "upvote", "question": question["id"]})
        for communicator in everyone:
            assert await next_event(communicator, "question.upvoted") == {
                "event": "question.upvoted",
                "question": question["id"],
                "upvotes": 1,
            }
        await sockets[voter].send_json_to({"action": "upvote", "question": question["id"]})
        refused = await next_event(sockets[voter], "error")
        assert refused["message"] == "You already upvoted this question."
        # a member who is not the host cannot mark it answered
        await sockets[voter].send_json_to({"action": "answer", "question": question["id"]})
        assert (await next_event(sockets[voter], "error"))["message"] == "Only the host marks questions answered."
        # when the host marks it answered, everyone sees it
        await sockets[owner].send_json_to({"action": "answer", "question": question["id"], "answered": True})
        for communicator in everyone:
            assert await next_event(communicator, "question.answered") == {
                "event": "question.answered",
                "question": question["id"],
                "answered": True,
            }
        stored = await database_sync_to_async(LiveQuestion.objects.get)(pk=question["id"])
        assert stored.upvote_count == 1 and stored.answered_at is not None
        for communicator in everyone:
            await communicator.disconnect()

    run(scenario)


def test_chat_is_relayed_and_bad_input_is_answered_to_the_sender_only(channel_layer):
    owner, talker, listener = host(), member("Talker"), member("Listener")
    planned = session(owner)
    talker_cookie, listener_cookie = cookie_for(talker), cookie_for(listener)

    async def scenario():
        speaking, hearing = socket(planned.pk, talker_cookie), socket(planned.pk, listener_cookie)
        assert (await speaking.connect())[0] and (await hearing.connect())[0]
        await speaking.send_json_to({"action": "chat", "body": "<img src=x onerror=alert(1)>hello"})
        heard = await next_event(hearing, "chat.message")
        assert heard["message"]["body"] == "<img src=x onerror=alert(1)>hello"
        await speaking.send_json_to({"action": "chat", "body": "x" * 501})
        assert "under 500 characters" in (await next_event(speaking, "error"))["message"]
        await speaking.send_to(text_data="not json")
        assert (await next_event(speaking, "error"))["message"] == "Send a JSON object."
        await speaking.send_json_to({"action": "ping"})
        assert (await next_event(speaking, "pong"))["presence"] == 2
        # The listener got no error of the talker's.
        await hearing.send_json_to({"action": "ping"})
        assert await next_event(hearing, "pong") == {"event": "pong", "presence": 2}
        await speaking.disconnect()
        await hearing.disconnect()

    run(scenario)


def test_a_member_who_loses_access_is_cut_off_when_the_host_narrows_the_session(channel_layer):
    owner, guest, outsider = host(), member("Guest Gia"), member("Outsider Oz")
    planned = session(owner)  # open to all members
    cookies = {who: cookie_for(who) for who in (guest, outsider)}

    def narrow() -> None:
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            services.session_update(
                session=planned,
                member=owner,
                title=planned.title,
                starts_at=planned.starts_at,
                duration_minutes=planned.duration_minutes,
                capacity=planned.capacity,
                visibility=SessionVisibility.INVITE,
                invitees=[guest],
            )

    async def scenario():
        sockets = {who: socket(planned.pk, cookie) for who, cookie in cookies.items()}
        for communicator in sockets.values():
            assert (await communicator.connect())[0]
            await next_event(communicator, "welcome")
        await database_sync_to_async(narrow)()
        # the invited guest keeps the room and hears of the edit; the outsider's socket is closed
        assert (await next_event(sockets[guest], "session.updated"))["title"] == planned.title
        closed = await sockets[outsider].receive_output(timeout=5)
        while closed["type"] != "websocket.close":
            closed = await sockets[outsider].receive_output(timeout=5)
        assert closed["code"] == 4404
        await sockets[guest].disconnect()

    run(scenario)
