"""The blocks a playbook is written in: steps and checklists a seller ticks off, description templates, fulfilment
tips and reply templates with {placeholders}, lessons learned promoted from the forum, examples, callouts,
images, videos, related listings and links, and pathways into collaboration.

Text a facilitator types is escaped by the templates; rich text is sanitised once more when rendered (nh3), so
content that reached the database by another route than the editor (an import, the API) stays inert too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import nh3
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import RichText, expand_db_html

from playbooks.placeholders import (
    KNOWN_PLACEHOLDERS_BY_KIND,
    template_highlight,
    template_placeholders,
    template_unknown_placeholders,
)

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]
RICH_TEXT_TAGS = {"p", "br", "b", "strong", "i", "em", "a", "ul", "ol", "li", "h3", "h4"}
SAFE_URL_SCHEMES = ("http://", "https://", "mailto:", "/")


def safe_url(url: str | None) -> str:
    """The URL if a browser would follow it as a link (no javascript:, data: ...), else ""."""
    url = (url or "").strip()
    if url.startswith("//"):
        return ""
    return url if url.lower().startswith(SAFE_URL_SCHEMES) else ""


class SanitisedRichText(RichText):
    def __html__(self) -> str:
        html = nh3.clean(
            expand_db_html(self.source),
            tags=RICH_TEXT_TAGS,
            attributes={"a": {"href"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener",
        )
        return render_to_string("wagtailcore/shared/richtext.html", {"html": mark_safe(html)})  # noqa: S308


class SanitisedRichTextBlock(blocks.RichTextBlock):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return SanitisedRichText(value)

    def normalize(self, value):
        if isinstance(value, RichText):
            return SanitisedRichText(value.source)
        return SanitisedRichText(value or "")

    def value_from_form(self, value):
        return SanitisedRichText(value)


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120, label=_("Step"))
    text = SanitisedRichTextBlock(label=_("What to do"))

    class Meta:
        icon = "tick"
        label = _("Step")
        template = "playbooks/blocks/step.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        block_id = str((parent_context or {}).get("id") or "")
        context["step"] = PlaybookStep(key=block_id, label=value["title"], block_id=block_id, kind="step")
        return context


class ChecklistBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    items = blocks.ListBlock(blocks.CharBlock(max_length=200, label=_("Item")), min_num=1, max_num=30)

    class Meta:
        icon = "list-ul"
        label = _("Checklist")
        template = "playbooks/blocks/checklist.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        block_id = str((parent_context or {}).get("id") or "")
        context["block_id"] = block_id
        context["steps"] = list(checklist_steps(block_id, value["items"]))
        return context


def _placeholder_list(names) -> str:
    return ", ".join(f"{{{name}}}" for name in names)


class PlaceholderTemplateBlock(blocks.StructBlock):
    """A copyable text with {placeholders}. A name in braces that this kind of template cannot fill is refused
    when the facilitator saves, naming it, so sellers never see a half-filled template."""

    kind = "description_template"

    def clean(self, value):
        value = super().clean(value)
        known = KNOWN_PLACEHOLDERS_BY_KIND[self.kind]
        unknown = template_unknown_placeholders(value.get("text", ""), known)
        if unknown:
            raise blocks.StructBlockValidationError(
                block_errors={
                    "text": ValidationError(
                        _(
                            "Unknown placeholder %(unknown)s. This template can use %(known)s; put words the seller "
                            "fills in by hand in square brackets, like [materials]."
                        )
                        % {"unknown": ", ".join(unknown), "known": _placeholder_list(known)}
                    )
                }
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["highlighted"] = template_highlight(value.get("text", ""))
        context["placeholders"] = template_placeholders(value.get("text", ""))
        return context


class DescriptionTemplateBlock(PlaceholderTemplateBlock):
    title = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(
        max_length=4000,
        help_text=_(
            "Text a seller copies into a listing. {title}, {place}, {price}, {seller_name} and {category} are "
            "filled in from their listing; put words they fill in by hand in square brackets, like [materials]."
        ),
    )

    kind = "description_template"

    class Meta:
        icon = "doc-full"
        label = _("Description template")
        template = "playbooks/blocks/template.html"


class FulfilmentTipBlock(PlaceholderTemplateBlock):
    """Advice shown to a seller on their order page (for orders in the playbook's categories), with an optional
    message to the buyer they can copy."""

    title = blocks.CharBlock(max_length=120)
    order_kind = blocks.ChoiceBlock(
        choices=[("", _("Items and bookings")), ("item", _("Items")), ("booking", _("Bookings"))],
        required=False,
        label=_("Shown on orders for"),
    )
    advice = blocks.TextBlock(max_length=1000, label=_("Tip"))
    text = blocks.TextBlock(
        max_length=2000,
        required=False,
        label=_("Message to copy (optional)"),
        help_text=_("{title}, {place}, {buyer_name}, {seller_name} and {category} are filled in from the order."),
    )

    kind = "fulfilment_tip"

    class Meta:
        icon = "tick-inverse"
        label = _("Fulfilment tip")
        template = "playbooks/blocks/fulfilment_tip.html"


class ReplyTemplateBlock(PlaceholderTemplateBlock):
    """A reply a seller inserts into their message to a buyer (never sent by itself)."""

    title = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(
        max_length=2000,
        help_text=_(
            "{buyer_name}, {title}, {place}, {price}, {seller_name} and {category} are filled in from the "
            "conversation and its listing."
        ),
    )

    kind = "reply_template"

    class Meta:
        icon = "mail"
        label = _("Reply template")
        template = "playbooks/blocks/reply_template.html"


class LessonLearnedBlock(blocks.StructBlock):
    """A forum lesson promoted into the playbook by a facilitator, crediting the member who wrote it."""

    title = blocks.CharBlock(max_length=150)
    hypothesis = blocks.TextBlock(max_length=2000)
    tried = blocks.TextBlock(max_length=4000, label=_("What was tried"))
    result = blocks.ChoiceBlock(
        choices=[("worked", _("It worked")), ("failed", _("It failed")), ("mixed", _("Mixed results"))]
    )
    figures = blocks.TextBlock(max_length=2000, required=False)
    author_name = blocks.CharBlock(max_length=150, label=_("Credited to"))
    topic_id = blocks.IntegerBlock(min_value=1, required=False, label=_("Forum topic number"))

    class Meta:
        icon = "pick"
        label = _("Lesson learned")
        template = "playbooks/blocks/lesson_learned.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        topic_id = value.get("topic_id")
        context["topic_url"] = reverse("forums:topic", kwargs={"pk": topic_id}) if topic_id else ""
        context["result_label"] = dict(self.child_blocks["result"].field.choices).get(value.get("result"), "")
        return context


class ExampleBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    text = SanitisedRichTextBlock()

    class Meta:
        icon = "openquote"
        label = _("Example")
        template = "playbooks/blocks/example.html"


class CalloutBlock(blocks.StructBlock):
    tone = blocks.ChoiceBlock(
        choices=[("tip", _("Tip")), ("warning", _("Warning")), ("info", _("Info"))], default="tip"
    )
    text = SanitisedRichTextBlock()

    class Meta:
        icon = "help"
        label = _("Callout")
        template = "playbooks/blocks/callout.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt = blocks.CharBlock(max_length=200, label=_("Description for screen readers"))
    caption = blocks.CharBlock(max_length=200, required=False)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "playbooks/blocks/image.html"


class VideoBlock(blocks.StructBlock):
    video = EmbedBlock(help_text=_("A link to a video (YouTube, Vimeo...)."))
    title = blocks.CharBlock(max_length=120, help_text=_("Shown as the link text if the video cannot be shown."))
    caption = blocks.CharBlock(max_length=200, required=False)

    class Meta:
        icon = "media"
        label = _("Video")
        template = "playbooks/blocks/video.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        video = value.get("video")
        # EmbedValue.html is "" when the provider cannot be reached or does not know the URL.
        context["embed_html"] = video.html if video else ""
        context["video_url"] = safe_url(video.url if video else "")
        return context


class RelatedListingsBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120, default=_("Listings that do this well"))
    listing_ids = blocks.ListBlock(
        blocks.IntegerBlock(min_value=1, label=_("Listing number")),
        max_num=12,
        label=_("Listings"),
        help_text=_("The number at the end of the listing's edit address, e.g. 42 in /sell/42/edit/."),
    )

    class Meta:
        icon = "list-ul"
        label = _("Related listings")
        template = "playbooks/blocks/related_listings.html"

    def get_context(self, value, parent_context=None):
        from listings.models import Listing, ListingStatus

        context = super().get_context(value, parent_context=parent_context)
        ids = [int(i) for i in value.get("listing_ids") or [] if i]
        found = {
            listing.pk: listing
            for listing in Listing.objects.filter(pk__in=ids, status=ListingStatus.PUBLISHED).only(
                "pk", "title", "slug", "location_name"
            )
        }
        # Listings that were withdrawn since the playbook was written are left out.
        context["listings"] = [found[i] for i in ids if i in found]
        return context


class LinkBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=120)
    page = blocks.PageChooserBlock(required=False)
    url = blocks.URLBlock(required=False)

    class Meta:
        icon = "link"

    def clean(self, value):
        value = super().clean(value)
        if not value.get("page") and not value.get("url"):
            raise blocks.StructBlockValidationError(
                block_errors={"url": ValidationError(_("Choose a page or give an address."))}
            )
        return value


class RelatedLinksBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120, default=_("Read next"))
    links = blocks.ListBlock(LinkBlock(), min_num=1, max_num=12)

    class Meta:
        icon = "link"
        label = _("Related links")
        template = "playbooks/blocks/related_links.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        links = []
        for link in value.get("links") or []:
            page = link.get("page")
            url = page.url if page is not None and page.live else safe_url(link.get("url"))
            links.append({"text": link.get("text"), "url": url})
        context["links"] = links
        return context


# Where each pathway leads once the feature exists: the first URL name that resolves wins; until one does, the
# block shows its text only. The cohorts app (micro-teams, collaborative initiatives) and the forums arrive later.
PATHWAY_URL_NAMES = {
    "joint_testing": ["cohorts:initiative_joint_testing", "cohorts:initiatives", "community:forum"],
    "shared_sourcing": ["cohorts:initiative_shared_sourcing", "cohorts:initiatives", "community:forum"],
    "bundled_promotions": ["cohorts:campaigns", "cohorts:initiatives", "community:forum"],
}


def pathway_url(kind: str) -> str:
    for name in PATHWAY_URL_NAMES.get(kind, []):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


class PathwayBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        choices=[
            ("joint_testing", _("Joint product testing")),
            ("shared_sourcing", _("Shared sourcing")),
            ("bundled_promotions", _("Bundled promotions")),
        ]
    )
    text = blocks.TextBlock(max_length=600, help_text=_("Why and how a seller would team up for this."))
    link_page = blocks.PageChooserBlock(required=False, help_text=_("Optional: where to start."))

    class Meta:
        icon = "group"
        label = _("Pathway into collaboration")
        template = "playbooks/blocks/pathway.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        page = value.get("link_page")
        context["url"] = page.url if page is not None and page.live else pathway_url(value.get("kind"))
        context["kind_label"] = dict(self.child_blocks["kind"].field.choices).get(value.get("kind"), "")
        return context


class PlaybookStreamBlock(blocks.StreamBlock):
    step = StepBlock()
    checklist = ChecklistBlock()
    description_template = DescriptionTemplateBlock()
    fulfilment_tip = FulfilmentTipBlock()
    reply_template = ReplyTemplateBlock()
    lesson_learned = LessonLearnedBlock()
    example = ExampleBlock()
    callout = CalloutBlock()
    image = ImageBlock()
    embed = VideoBlock()
    related_listings = RelatedListingsBlock()
    related_links = RelatedLinksBlock()
    pathway = PathwayBlock()


# --- Trackable steps ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaybookStep:
    """One thing a seller can tick off: a step block, or one item of a checklist block."""

    key: str
    label: str
    block_id: str
    kind: str  # "step" or "checklist"


def checklist_item_key(block_id: str, item_id: str | None, index: int) -> str:
    # ListBlock items carry their own ids, which survive reordering; older data without them falls back to the
    # item's position.
    return f"{block_id}:{item_id}" if item_id else f"{block_id}:{index}"


def checklist_steps(block_id: str, items) -> Iterator[PlaybookStep]:
    bound = getattr(items, "bound_blocks", None) or []
    for index, text in enumerate(items):
        item_id = bound[index].id if index < len(bound) else None
        yield PlaybookStep(
            key=checklist_item_key(block_id, item_id, index), label=text, block_id=block_id, kind="checklist"
        )


def playbook_steps(body) -> Iterator[PlaybookStep]:
    """The trackable steps of a playbook body (a StreamValue), in reading order."""
    for child in body:
        if child.block_type == "step":
            yield PlaybookStep(key=str(child.id), label=child.value["title"], block_id=str(child.id), kind="step")
        elif child.block_type == "checklist":
            yield from checklist_steps(str(child.id), child.value["items"])
