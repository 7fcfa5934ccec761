"""The live room's websocket, `ws/live/<session_id>/`.

The consumer only authenticates, checks once that the member may see the session (the same selector as the page),
joins the group `live.<session_id>` and relays. Writes go through `community.live.services` (the same functions as
the HTTP forms), which broadcast after commit. Broadcasting costs no query per client: each event is built once by
the service and every consumer sends it as it is.

Protocol
--------
Connect with the site's session cookie (same origin). Refusals close the handshake with a code:
4401 not signed in; 4404 no such session, or one the member may not see (invite-only, another role).

On connect the server sends `{"event": "welcome", "session": <id>, "member": <id>, "host": <id>,
"moderator": <bool>, "presence": <int>}`.

The client sends JSON objects with an "action":
- `{"action": "chat", "body": "<text, 1-500 chars>"}`
- `{"action": "ask", "body": "<question, 1-500 chars>"}`
- `{"action": "upvote", "question": <id>}` (once per member, not one's own)
- `{"action": "answer", "question": <id>, "answered": true|false}` (host)
- `{"action": "pin", "question": <id>, "pinned": true|false}` (host)
- `{"action": "remove", "question": <id>}` (host and moderators)
- `{"action": "ping"}` (answered with `{"event": "pong", "presence": <int>}`)

Everyone in the room receives, as JSON objects with an "event" key:
- `{"event": "chat.message", "message": {"id", "body", "author": {"id", "name"}, "created_at"}}`
- `{"event": "question.asked", "question": {"id", "body", "author": {"id", "name"}, "upvotes", "pinned",
  "answered", "created_at"}}`
- `{"event": "question.upvoted", "question": <id>, "upvotes": <int>}`
- `{"event": "question.answered", "question": <id>, "answered": <bool>}`
- `{"event": "question.pinned", "question": <id>, "pinned": <bool>}`
- `{"event": "question.removed", "question": <id>}`
- `{"event": "presence", "count": <int>}` (at most about once per PRESENCE_EVERY_SECONDS, plus a trailing update)
- `{"event": "session.updated", "title"}`, `{"event": "session.cancelled"}`, `{"event": "session.ended"}`,
  `{"event": "session.archived", "topic_url": "<path>"}`

Only the sender receives `{"event": "error", "action": "<action>", "message": "<why, translated>"}` for refused
input (too long, rate-limited, not allowed, bad JSON) and `{"event": "ok", "action": "<action>"}` on success.

Presence is a counter in the cache (Redis in production), shared by every ASGI process; each connection adds one and
removes one on disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from community.live import selectors, services
from community.models import LiveSession

PRESENCE_TTL_SECONDS = 6 * 60 * 60
PRESENCE_EVERY_SECONDS = 2
MAX_FRAME_CHARS = 4_000

_pending: set[asyncio.Task] = set()


class LiveRoomConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.member = user
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        access = await database_sync_to_async(selectors.room_access)(session_id=session_id, member=user)
        if access is None:
            await self.close(code=4404)
            return
        self.access = access
        self.session_id = session_id
        self.group = services.group_name(session_id)
        self.presence_key = selectors.presence_key(session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await cache.aadd(self.presence_key, 0, PRESENCE_TTL_SECONDS)
        count = await cache.aincr(self.presence_key)
        self.counted = True
        await self._send(
            {
                "event": "welcome",
                "session": session_id,
                "member": user.pk,
                "host": access.host_id,
                "moderator": access.can_moderate,
                "presence": count,
            }
        )
        await self._presence_changed()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if getattr(self, "counted", False):
            self.counted = False
            with contextlib.suppress(ValueError):  # expired meanwhile
                await cache.adecr(self.presence_key)
            await self._presence_changed()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            await self._send({"event": "error", "action": None, "message": _("Message too large.")})
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self._send({"event": "error", "action": None, "message": _("Send a JSON object.")})
            return
        action = content.get("action")
        if action == "ping":
            count = selectors.presence_count_from(await cache.aget(self.presence_key))
            await self._send({"event": "pong", "presence": count})
            return
        if action not in ACTIONS:
            await self._send({"event": "error", "action": None, "message": _("Unknown action.")})
            return
        error = await database_sync_to_async(_perform)(action, content, self.session_id, self.member)
        if error:
            await self._send({"event": "error", "action": action, "message": error})
        else:
            await self._send({"event": "ok", "action": action})

    async def live_event(self, message: dict) -> None:
        event = message["event"]
        if event.get("event") == "session.updated":
            # The host may have narrowed who may see the session: a member who lost access stops receiving the room
            # (one query per connected member, only when the host edits the session).
            access = await database_sync_to_async(selectors.room_access)(session_id=self.session_id, member=self.member)
            if access is None:
                await self.close(code=4404)
                return
        await self._send(event)

    async def _send(self, event: dict) -> None:
        await self.send(text_data=json.dumps(event, separators=(",", ":")))

    # --- presence, throttled across processes ---------------------------------------------------------------------

    async def _presence_changed(self) -> None:
        """Leading edge: the first change in a window broadcasts now. Trailing edge: one later broadcast per window
        carries the count as it ended, so the figure settles right after a burst of joins."""
        window = f"{self.presence_key}:window"
        trailing = f"{self.presence_key}:trailing"
        if await cache.aadd(window, 1, PRESENCE_EVERY_SECONDS):
            await self._presence_broadcast()
        elif await cache.aadd(trailing, 1, PRESENCE_EVERY_SECONDS):
            task = asyncio.ensure_future(self._presence_later(self.presence_key, self.group, self.channel_layer))
            _pending.add(task)
            task.add_done_callback(_pending.discard)

    async def _presence_broadcast(self) -> None:
        count = selectors.presence_count_from(await cache.aget(self.presence_key))
        await self.channel_layer.group_send(
            self.group, {"type": "live.event", "event": {"event": "presence", "count": count}}
        )

    @staticmethod
    async def _presence_later(key: str, group: str, layer) -> None:
        await asyncio.sleep(PRESENCE_EVERY_SECONDS)
        count = selectors.presence_count_from(await cache.aget(key))
        await layer.group_send(group, {"type": "live.event", "event": {"event": "presence", "count": count}})


def _question_id(content: dict) -> int:
    value = content.get("question")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"question": _("Say which question (its id).")})
    return value


def _perform(action: str, content: dict, session_id: int, member) -> str | None:
    """Runs one service for a room action; returns the refusal's message, or None."""
    session = LiveSession(pk=session_id)
    try:
        if action == "chat":
            services.chat_post(session=session, author=member, body=str(content.get("body") or ""))
        elif action == "ask":
            services.question_ask(session=session, author=member, body=str(content.get("body") or ""))
        elif action == "upvote":
            services.question_upvote(session=session, question_id=_question_id(content), member=member)
        elif action == "answer":
            services.question_answer(
                session=session,
                question_id=_question_id(content),
                member=member,
                answered=content.get("answered", True) is not False,
            )
        elif action == "pin":
            services.question_pin(
                session=session,
                question_id=_question_id(content),
                member=member,
                pinned=content.get("pinned", True) is not False,
            )
        elif action == "remove":
            services.question_remove(session=session, question_id=_question_id(content), member=member)
    except (ValidationError, PermissionDenied) as error:
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        return " ".join(str(message) for message in messages)
    return None


ACTIONS = {"chat", "ask", "upvote", "answer", "pin", "remove"}
