"""Playbook pages: the index (search and facet filters, the welcome series) and the playbooks themselves."""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from community.models import SellerStage
from playbooks.blocks import PlaybookStreamBlock, playbook_steps
from playbooks.models.taxonomy import BusinessModel, Region
from playbooks.models.workflow import PlaybookIndexPermissionTester, PlaybookPermissionTester


class PlaybookIndexPage(RoutablePageMixin, Page):
    """/playbooks/: every live playbook, searchable and filterable; /playbooks/welcome/: the welcome series."""

    intro = models.TextField(_("introduction"), max_length=500, blank=True)

    max_count = 1
    parent_page_types = ["hub.HomePage"]
    subpage_types = ["playbooks.PlaybookPage"]
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    PAGE_SIZE = 12

    class Meta:
        verbose_name = _("playbook index")

    def permissions_for_user(self, user):
        return PlaybookIndexPermissionTester(user, self)

    def get_context(self, request, *args, **kwargs):
        from playbooks.views import playbook_index_context

        context = super().get_context(request, *args, **kwargs)
        context.update(playbook_index_context(request, index_page=self))
        return context

    @path("welcome/", name="welcome")
    def welcome_route(self, request):
        from playbooks.views import welcome_series_view

        return welcome_series_view(request, index_page=self)


class PlaybookPageTag(TaggedItemBase):
    content_object = ParentalKey("playbooks.PlaybookPage", on_delete=models.CASCADE, related_name="tagged_items")


class PlaybookPage(RoutablePageMixin, Page):
    """A playbook written by a facilitator (the page owner). Drafts publish only after a second facilitator
    approves them (see playbooks.models.workflow)."""

    intro = models.TextField(_("introduction"), max_length=500, help_text=_("One or two sentences: who it is for."))
    body = StreamField(PlaybookStreamBlock(), use_json_field=True)
    categories = ParentalManyToManyField(
        "listings.Category",
        blank=True,
        related_name="playbooks",
        verbose_name=_("listing categories"),
        help_text=_("Its description templates are offered to sellers listing in these categories and below."),
    )
    regions = ParentalManyToManyField(
        Region, blank=True, related_name="playbooks", help_text=_("Leave empty if it applies everywhere.")
    )
    business_models = ParentalManyToManyField(BusinessModel, blank=True, related_name="playbooks")
    seller_stage = models.CharField(
        _("seller stage"),
        max_length=16,
        choices=SellerStage.choices,
        blank=True,
        help_text=_("Leave empty if it suits every stage."),
    )
    tags = ClusterTaggableManager(through=PlaybookPageTag, blank=True)

    parent_page_types = ["playbooks.PlaybookIndexPage"]
    subpage_types: list[str] = []

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                FieldPanel("categories", widget=forms.SelectMultiple(attrs={"size": 8})),
                FieldPanel("regions", widget=forms.CheckboxSelectMultiple),
                FieldPanel("business_models", widget=forms.CheckboxSelectMultiple),
                FieldPanel("seller_stage"),
                FieldPanel("tags"),
            ],
            heading=_("Who it is for"),
        ),
        FieldPanel("body"),
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("intro", boost=1.5),
        index.SearchField("body"),
        index.RelatedFields("tags", [index.SearchField("name", boost=1.5)]),
        index.RelatedFields("categories", [index.SearchField("name")]),
        index.FilterField("seller_stage"),
    ]

    class Meta:
        verbose_name = _("playbook")

    def permissions_for_user(self, user):
        return PlaybookPermissionTester(user, self)

    @property
    def steps(self):
        return list(playbook_steps(self.body))

    def get_context(self, request, *args, **kwargs):
        from playbooks.views import playbook_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(playbook_page_context(request, page=self))
        return context

    @path("progress/", name="progress")
    def progress_route(self, request):
        from playbooks.views import progress_toggle_view

        return progress_toggle_view(request, page=self)

    @path("feedback/", name="feedback")
    def feedback_route(self, request):
        from playbooks.views import feedback_view

        return feedback_view(request, page=self)

    @path("template-use/", name="template_use")
    def template_use_route(self, request):
        from playbooks.views import template_use_view

        return template_use_view(request, page=self)
