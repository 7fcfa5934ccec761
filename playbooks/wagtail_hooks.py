"""The playbooks' side of the CMS: regions and welcome series as snippets, and the feedback queue."""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from playbooks import admin_views, services
from playbooks.models import Region, WelcomeSeries


class RegionViewSet(SnippetViewSet):
    model = Region
    icon = "site"
    menu_label = _("Regions")
    list_display = ["name", "slug"]
    search_fields = ["name"]


class WelcomeSeriesViewSet(SnippetViewSet):
    model = WelcomeSeries
    icon = "list-ol"
    menu_label = _("Welcome series")
    list_display = ["title", "seller_stage", "live"]
    list_filter = ["seller_stage", "live"]


register_snippet(RegionViewSet)
register_snippet(WelcomeSeriesViewSet)


@hooks.register("register_admin_urls")
def playbook_admin_urls():
    return [
        path("playbook-feedback/", admin_views.feedback_queue_view, name="playbooks_feedback_queue"),
        path(
            "playbook-feedback/<int:pk>/resolve/",
            admin_views.feedback_resolve_view,
            name="playbooks_feedback_resolve",
        ),
    ]


class FeedbackMenuItem(MenuItem):
    def is_shown(self, request):
        return services.can_review_feedback(request.user)


@hooks.register("register_admin_menu_item")
def feedback_menu_item():
    return FeedbackMenuItem(_("Playbook feedback"), reverse("playbooks_feedback_queue"), icon_name="comment", order=250)
