"""StreamField blocks shared by the site's pages."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class FeatureBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=80)
    text = blocks.TextBlock(max_length=300)
    link_page = blocks.PageChooserBlock(required=False)
    link_url = blocks.URLBlock(required=False)
    link_text = blocks.CharBlock(max_length=40, required=False)
    image = ImageChooserBlock(required=False)

    class Meta:
        icon = "pick"
        template = "hub/blocks/feature.html"
        label = _("Featured item")


class ContentStreamBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(max_length=120, form_classname="title", template="hub/blocks/heading.html")
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul", "h3"])
    image = ImageChooserBlock(template="hub/blocks/image.html")
    feature = FeatureBlock()
