"""The site's own pages and settings: the Wagtail home page, plain content pages, site-wide options."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from hub.blocks import ContentStreamBlock, FeatureBlock


class HomePage(Page):
    """The front page: an editable hero and featured content, chosen by facilitators in the CMS."""

    hero_title = models.CharField(_("hero title"), max_length=120, default="Buy, sell and grow together")
    hero_text = models.TextField(_("hero text"), max_length=400, blank=True)
    hero_cta_text = models.CharField(_("call to action"), max_length=40, blank=True)
    hero_cta_link = models.CharField(_("call to action link"), max_length=200, blank=True)
    featured = StreamField(
        [("feature", FeatureBlock())], blank=True, use_json_field=True, verbose_name=_("featured content")
    )
    body = StreamField(ContentStreamBlock(), blank=True, use_json_field=True)

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["hub.StandardPage", "playbooks.PlaybookIndexPage"]

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("hero_title"),
                FieldPanel("hero_text"),
                FieldPanel("hero_cta_text"),
                FieldPanel("hero_cta_link"),
            ],
            heading=_("Hero"),
        ),
        FieldPanel("featured"),
        FieldPanel("body"),
    ]

    class Meta:
        verbose_name = _("home page")


class StandardPage(Page):
    """A plain content page: the code of conduct, help pages, about."""

    introduction = models.TextField(blank=True, max_length=500)
    body = StreamField(ContentStreamBlock(), blank=True, use_json_field=True)

    parent_page_types = ["hub.HomePage", "hub.StandardPage"]
    subpage_types = ["hub.StandardPage"]
    content_panels = [*Page.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("introduction"), index.SearchField("body")]

    class Meta:
        verbose_name = _("standard page")


@register_setting(icon="cog")
class SiteSettings(BaseSiteSetting):
    platform_name = models.CharField(_("platform name"), max_length=60, default="Guildhall")
    tagline = models.CharField(_("tagline"), max_length=120, default="The marketplace whose sellers grow together")
    code_of_conduct_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("code of conduct page"),
    )
    support_email = models.EmailField(_("support email"), blank=True)

    panels = [
        FieldPanel("platform_name"),
        FieldPanel("tagline"),
        FieldPanel("code_of_conduct_page"),
        FieldPanel("support_email"),
    ]

    class Meta:
        verbose_name = _("site settings")
