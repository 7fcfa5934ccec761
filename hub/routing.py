"""Websocket routes of every app, gathered in one place."""

from django.urls import path

from community.consumers import NotificationConsumer
from community.messaging.consumers import ConversationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/messages/<int:conversation_id>/", ConversationConsumer.as_asgi()),
]
