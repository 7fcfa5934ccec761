"""Websocket routes of every app, gathered in one place."""

from django.urls import path

from community.consumers import NotificationConsumer
from community.live.consumers import LiveRoomConsumer
from community.messaging.consumers import ConversationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/messages/<int:conversation_id>/", ConversationConsumer.as_asgi()),
    path("ws/live/<int:session_id>/", LiveRoomConsumer.as_asgi()),
]
