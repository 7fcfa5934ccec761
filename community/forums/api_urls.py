"""Forum endpoints under /api/v1/forum/."""

from django.urls import path

from community.forums import api

urlpatterns = [
    path("categories", api.CategoryListView.as_view(), name="forum_categories"),
    path("categories/<slug:slug>/topics", api.CategoryTopicsView.as_view(), name="forum_category_topics"),
    path("topics/<int:pk>/posts", api.TopicPostsView.as_view(), name="forum_topic_posts"),
]
