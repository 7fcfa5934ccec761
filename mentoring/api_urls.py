"""Mentoring endpoints under /api/v1/."""

from django.urls import path

from mentoring import api

urlpatterns = [
    path("mentoring/suggestions", api.SuggestionListView.as_view(), name="mentoring_suggestions"),
    path("mentoring/requests", api.MentorshipRequestView.as_view(), name="mentoring_requests"),
    path("mentoring/requests/<int:pk>/accept", api.MentorshipAcceptView.as_view(), name="mentoring_request_accept"),
    path("mentoring/mentorships/<int:pk>/sessions", api.MentorshipSessionsView.as_view(), name="mentoring_sessions"),
]
