from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import SellerStage
from listings.models import Category
from playbooks.models import BusinessModelKind, Region, TemplateUseContext
from playbooks.selectors import PlaybookFilters
from playbooks.services import FEEDBACK_COMMENT_MAX


class PlaybookFilterForm(forms.Form):
    """The index's query string: ?q=&category=<slug>&region=<slug>&business=<kind>&stage=<stage>&tag=<slug>."""

    q = forms.CharField(label=_("Search playbooks"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.all(), to_field_name="slug", required=False, empty_label=_("Any")
    )
    business = forms.ChoiceField(
        label=_("Business model"), choices=[("", _("Any")), *BusinessModelKind.choices], required=False
    )
    stage = forms.ChoiceField(label=_("Seller stage"), choices=[("", _("Any")), *SellerStage.choices], required=False)
    tag = forms.SlugField(label=_("Tag"), max_length=100, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._categories = {node.slug: node for node in Category.get_tree()}
        self.fields["category"].choices = [("", _("Any"))] + [
            (node.slug, f"{'— ' * (node.depth - 1)}{node.name}") for node in self._categories.values()
        ]

    def filters(self) -> PlaybookFilters:
        data = self.cleaned_data
        return PlaybookFilters(
            q=(data.get("q") or "").strip(),
            category=self._categories.get(data.get("category") or ""),
            region=data.get("region"),
            business=data.get("business") or "",
            stage=data.get("stage") or "",
            tag=data.get("tag") or "",
        )


class ProgressForm(forms.Form):
    step = forms.CharField(max_length=80)
    done = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1", required=False)


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this playbook helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What would make it better? (optional)"),
        max_length=FEEDBACK_COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TemplateUseForm(forms.Form):
    block_id = forms.CharField(max_length=64)
    context = forms.ChoiceField(choices=TemplateUseContext.choices, required=False)
    listing = forms.IntegerField(min_value=1, required=False)
