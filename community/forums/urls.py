"""Forum pages under /forum/."""

from django.urls import path

from community.forums import lessons, views

app_name = "forums"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("flags/", views.flags_queue, name="flags"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("c/<slug:slug>/new/", views.topic_new, name="topic_new"),
    path("t/<int:pk>/", views.topic, name="topic"),
    path("t/<int:pk>/watch/", views.topic_watch, name="topic_watch"),
    path("t/<int:pk>/moderate/", views.topic_moderate, name="topic_moderate"),
    path("t/<int:pk>/playbooks/", lessons.lesson_playbooks, name="lesson_playbooks"),
    path("t/<int:pk>/promote/", lessons.lesson_promote, name="lesson_promote"),
    path("p/<int:pk>/", views.post_link, name="post"),
    path("p/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:pk>/react/", views.reaction, name="reaction"),
    path("p/<int:pk>/accept/", views.answer_accept, name="answer_accept"),
    path("p/<int:pk>/flag/", views.flag, name="flag"),
]
