"""Live session pages under /live/."""

from django.urls import path

from community.live import views

app_name = "live"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.session_new, name="session_new"),
    path("calendar/", views.calendar, name="calendar"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("<int:pk>/", views.session_detail, name="session"),
    path("<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("<int:pk>/end/", views.session_end, name="session_end"),
    path("<int:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("<int:pk>/event.ics", views.session_ics, name="session_ics"),
    path("<int:pk>/ask/", views.ask, name="ask"),
    path("<int:pk>/chat/", views.chat, name="chat"),
    path("<int:pk>/q/<int:question_id>/<slug:action>/", views.question_action, name="question_action"),
]
