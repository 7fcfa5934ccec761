from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from community.api import MeView, TokenView
from hub import views

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[]), name="docs"),
    path("auth/token", TokenView.as_view(), name="auth_token"),
    path("me", MeView.as_view(), name="me"),
    path("", include("listings.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("community.messaging.api_urls")),
    path("", include("community.notifications.api_urls")),
    path("forum/", include("community.forums.api_urls")),
    path("", include("community.live.api_urls")),
    path("", include("mentoring.api_urls")),
    path("", include("playbooks.api_urls")),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("members/", include("community.urls")),
    path("messages/", include("community.messaging.urls")),
    path("forum/", include("community.forums.urls")),
    path("live/", include("community.live.urls")),
    path("listings/", include("listings.urls")),
    path("sell/", include("listings.urls_sell")),
    path("orders/", include("orders.urls")),
    path("mentoring/", include("mentoring.urls")),
    path("", include("orders.connect")),  # /payouts/stripe/… (Connect onboarding) and /webhooks/stripe/
    path("sitemap.xml", include("listings.sitemaps")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_v1, "api"))),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    ]

urlpatterns.append(path("", include(wagtail_urls)))
