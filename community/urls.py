from django.urls import path

from community import moderation_views, views
from community.notifications import views as notification_views

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
    path("me/notifications/<int:pk>/read/", notification_views.notification_read, name="notification_read"),
    path("me/notifications/email/", notification_views.notification_settings, name="notification_settings"),
    path(
        "notifications/unsubscribe/<str:token>/",
        notification_views.notifications_unsubscribe,
        name="notifications_unsubscribe",
    ),
    path("verification/<int:pk>/document/", views.verification_document, name="verification_document"),
    path("<int:pk>/", views.profile_detail, name="profile"),
    # Trust levels and moderation (community/moderation_views.py).
    path("me/trust/", moderation_views.trust_page, name="trust"),
    path("trust/help/", moderation_views.trust_help, name="trust_help"),
    path("me/standing/", moderation_views.standing, name="standing"),
    path("me/standing/<int:pk>/appeal/", moderation_views.appeal, name="appeal"),
    path("moderation/", moderation_views.moderation_home, name="moderation"),
    path("moderation/members/<int:pk>/", moderation_views.moderation_member, name="moderation_member"),
    path("moderation/members/<int:pk>/trust/", moderation_views.moderation_trust_lock, name="moderation_trust_lock"),
    path("moderation/sanctions/<int:pk>/lift/", moderation_views.sanction_lift, name="sanction_lift"),
    path("moderation/appeals/<int:pk>/decide/", moderation_views.appeal_decide, name="appeal_decide"),
    path("moderation/posts/<int:pk>/", moderation_views.moderation_post, name="moderation_post"),
]
