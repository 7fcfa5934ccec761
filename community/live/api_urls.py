"""Live session endpoints under /api/v1/events."""

from django.urls import path

from community.live import api

urlpatterns = [
    path("events", api.EventListView.as_view(), name="events"),
    path("events/<int:pk>", api.EventDetailView.as_view(), name="event"),
    path("events/<int:pk>/rsvp", api.EventRSVPView.as_view(), name="event_rsvp"),
]
