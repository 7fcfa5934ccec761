from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("me/", views.profile_me, name="me"),
    path("me/edit/", views.profile_edit, name="profile_edit"),
    path("me/verification/", views.verification, name="verification"),
    path(
        "me/verification/<int:pk>/delete-document/",
        views.verification_document_delete,
        name="verification_document_delete",
    ),
    path("me/privacy/", views.privacy, name="privacy"),
    path("me/privacy/export.json", views.privacy_export, name="privacy_export"),
    path("me/notifications/", views.notifications, name="notifications"),
    path("verification/<int:pk>/document/", views.verification_document, name="verification_document"),
    path("<int:pk>/", views.profile_detail, name="profile"),
]
