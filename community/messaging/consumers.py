"""The conversation websocket: authenticates, checks membership through the selectors, joins the conversation's
group and relays new messages, typing and read events. Messages themselves are sent over HTTP (they may carry files
and must pass the leakage rule).

It also counts the member's open pages of the conversation in the cache (presence), so that a message they watch
arrive does not raise a notification as well."""

from __future__ import annotations

import contextlib
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.cache import cache

from community.messaging import selectors, services

TYPING_EVERY_SECONDS = 2.0


class ConversationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.member = user
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        is_member = await database_sync_to_async(selectors.conversation_is_member)(
            conversation_id=self.conversation_id, member_id=user.pk
        )
        if not is_member:
            # A stranger learns nothing: the same refusal as for a conversation that does not exist.
            await self.close(code=4404)
            return
        self.member_name = await database_sync_to_async(lambda: str(user.display_name))()
        self.group = services.conversation_group(self.conversation_id)
        self.last_typing = 0.0
        self.presence = selectors.presence_key(conversation_id=self.conversation_id, member_id=user.pk)
        await cache.aadd(self.presence, 0, selectors.PRESENCE_TTL_SECONDS)
        await cache.aincr(self.presence)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if hasattr(self, "presence"):
            with contextlib.suppress(ValueError):  # expired meanwhile
                await cache.adecr(self.presence)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        await cache.atouch(self.presence, selectors.PRESENCE_TTL_SECONDS)
        if kind == "typing":
            now = time.monotonic()
            if now - self.last_typing < TYPING_EVERY_SECONDS:
                return
            self.last_typing = now
            await self.channel_layer.group_send(
                self.group,
                {"type": "conversation.typing", "member_id": self.member.pk, "name": self.member_name},
            )
        elif kind == "read":
            await database_sync_to_async(self._read)()

    def _read(self) -> None:
        conversation = selectors.conversation_for_member(conversation_id=self.conversation_id, member=self.member)
        services.conversation_read(conversation=conversation, member=self.member)

    async def conversation_message(self, event: dict) -> None:
        message = event.get("message")
        if message:
            await self.send_json({"type": "message", **message, "mine": message["sender_id"] == self.member.pk})

    async def conversation_typing(self, event: dict) -> None:
        if event["member_id"] != self.member.pk:
            await self.send_json({"type": "typing", "member_id": event["member_id"], "name": event["name"]})

    async def conversation_read(self, event: dict) -> None:
        if event["member_id"] != self.member.pk:
            await self.send_json({"type": "read", "member_id": event["member_id"], "at": event["at"]})
