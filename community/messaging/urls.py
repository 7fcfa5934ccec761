"""Messaging pages under /messages/."""

from django.urls import path

from community.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.conversation_new, name="new"),
    path("<int:pk>/", views.conversation, name="conversation"),
    path("<int:pk>/mute/", views.conversation_mute, name="mute"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
