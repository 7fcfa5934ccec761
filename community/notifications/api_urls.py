"""Notification endpoints under /api/v1/."""

from django.urls import path

from community.notifications import api

urlpatterns = [
    path("notifications", api.NotificationListView.as_view(), name="notifications"),
    path("notifications/read-all", api.NotificationReadAllView.as_view(), name="notifications_read_all"),
    path("notifications/preferences", api.NotificationPreferencesView.as_view(), name="notification_preferences"),
    path("notifications/<int:pk>/read", api.NotificationReadView.as_view(), name="notification_read"),
]
