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
    path("mentorships/<int:pk>/insight/", views.insight, name="insight"),
    path("mentorships/<int:pk>/insight/consent/", views.insight_consent, name="insight_consent"),
    path("circles/", views.circle_list, name="circles"),
    path("circles/new/", views.circle_create, name="circle_create"),
    path("circles/<int:pk>/", views.circle_detail, name="circle"),
    path("circles/<int:pk>/edit/", views.circle_edit, name="circle_edit"),
    path("circles/<int:pk>/posts/", views.circle_post, name="circle_post"),
    path("circles/<int:pk>/members/", views.circle_member_add, name="circle_member_add"),
    path("circles/<int:pk>/members/<int:member_id>/remove/", views.circle_member_remove, name="circle_member_remove"),
    path(
        "circles/<int:pk>/requests/<int:member_id>/approve/",
        views.circle_answer,
        {"answer": "approve"},
        name="circle_approve",
    ),
    path(
        "circles/<int:pk>/requests/<int:member_id>/decline/",
        views.circle_answer,
        {"answer": "decline"},
        name="circle_decline",
    ),
    path("circles/<int:pk>/join/", views.circle_join, name="circle_join"),
    path("circles/<int:pk>/leave/", views.circle_leave, name="circle_leave"),
    path("circles/<int:pk>/calendar.ics", views.circle_calendar, name="circle_calendar"),
]
