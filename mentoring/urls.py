"""Mentoring pages, mounted at /mentoring/."""

from django.urls import path

from mentoring import views

app_name = "mentoring"

urlpatterns = [
    path("", views.home, name="home"),
    path("mentor/", views.mentor_profile, name="mentor_profile"),
    path("mentee/", views.mentee_profile, name="mentee_profile"),
    path("find/", views.find, name="find"),
    path("find/<int:member_id>/request/", views.request_mentor, name="request"),
    path("inbox/", views.inbox, name="inbox"),
    path("requests/<int:pk>/accept/", views.request_accept, name="accept"),
    path("requests/<int:pk>/decline/", views.request_decline, name="decline"),
    path("mentorships/<int:pk>/", views.mentorship_detail, name="mentorship"),
    path("mentorships/<int:pk>/sessions/", views.session_create, name="session_create"),
    path("mentorships/<int:pk>/goals/", views.goal_create, name="goal_create"),
    path("mentorships/<int:pk>/goals/<int:goal_id>/", views.goal_progress, name="goal_progress"),
    path("mentorships/<int:pk>/start/", views.mentorship_transition, {"action": "start"}, name="start"),
    path("mentorships/<int:pk>/complete/", views.mentorship_transition, {"action": "complete"}, name="complete"),
    path("mentorships/<int:pk>/withdraw/", views.mentorship_transition, {"action": "withdraw"}, name="withdraw"),
    path("mentorships/<int:pk>/end/", views.mentorship_end, name="end"),
    path("mentorships/<int:pk>/rate/", views.mentorship_rate, name="rate"),
    path("track/", views.my_track, name="track"),
]
