"""Playbook endpoints under /api/v1/."""

from django.urls import path

from playbooks import api

urlpatterns = [
    path("playbooks", api.PlaybookListView.as_view(), name="playbooks"),
    path("playbooks/<int:pk>", api.PlaybookDetailView.as_view(), name="playbook"),
]
