"""The notifications websocket: authenticates, joins the member's group and relays; nothing else."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from community.selectors import notifications_unread_count
from community.services import notifications_group


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = notifications_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        unread = await database_sync_to_async(notifications_unread_count)(member=user)
        await self.send_json({"type": "hello", "unread": unread})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # Clients only listen on this socket.
        return

    async def notification_new(self, event: dict) -> None:
        await self.send_json({"type": "notification", "id": event["id"], "text": event["text"], "url": event["url"]})

    async def notification_unread(self, event: dict) -> None:
        # Read elsewhere (another tab, the API): every open page shows the new count.
        await self.send_json({"type": "unread", "unread": event["unread"]})
