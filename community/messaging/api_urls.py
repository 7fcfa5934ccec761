"""Messaging endpoints under /api/v1/."""

from django.urls import path

from community.messaging import api

urlpatterns = [
    path("conversations", api.ConversationListView.as_view(), name="conversations"),
    path("conversations/<int:pk>/messages", api.ConversationMessagesView.as_view(), name="conversation_messages"),
    path("conversations/<int:pk>/read", api.ConversationReadView.as_view(), name="conversation_read"),
]
