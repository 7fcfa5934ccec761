"""Forum forms. They only parse: the rules (lengths, trust, rate limits, who may do what) live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.forums.services import BODY_MAX_CHARS, FEEDBACK_ASPECTS, FEEDBACK_MAX_CHARS, TITLE_MAX_CHARS
from community.models import FlagReason, LessonResult, TopicKind

LESSON_FIELDS = ("hypothesis", "tried", "result", "figures", "linked_listings", "playbook_urls")
FEEDBACK_LABELS = {
    "photos": _("Photos"),
    "title": _("Title"),
    "description": _("Description"),
    "price": _("Price"),
}


def _markdown_help() -> str:
    return _("Markdown: **bold**, *italic*, lists, > quotes. Mention someone with @ and their name.")


class TopicForm(forms.Form):
    kind = forms.ChoiceField(label=_("What kind of topic?"), choices=TopicKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_CHARS)
    body = forms.CharField(
        label=_("Your post"),
        max_length=BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_markdown_help,
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=200, help_text=_("Up to five, separated by commas.")
    )
    # Lessons learned.
    hypothesis = forms.CharField(
        label=_("Hypothesis"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you expected to happen."),
    )
    tried = forms.CharField(label=_("What you tried"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    result = forms.ChoiceField(
        label=_("Result"), required=False, choices=[("", "—"), *LessonResult.choices], widget=forms.RadioSelect
    )
    figures = forms.CharField(
        label=_("Figures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Numbers before and after, e.g. views, conversion, revenue."),
    )
    linked_listings = forms.ModelMultipleChoiceField(
        label=_("Your listings this is about"),
        required=False,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    playbook_urls = forms.CharField(
        label=_("Playbooks you followed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One address a line."),
    )
    # Peer reviews.
    review_listing = forms.ModelChoiceField(
        label=_("Listing to review"), required=False, queryset=None, empty_label=_("Choose one of your listings")
    )

    def __init__(self, *args, own_listings=None, **kwargs):
        super().__init__(*args, **kwargs)
        from listings.models import Listing

        listings = own_listings if own_listings is not None else Listing.objects.none()
        self.fields["linked_listings"].queryset = listings
        self.fields["review_listing"].queryset = listings

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        kwargs = {
            "kind": kind,
            "title": data["title"],
            "body": data["body"],
            "tags": [tag.strip() for tag in data.get("tags", "").split(",") if tag.strip()],
        }
        if kind == TopicKind.LESSON:
            kwargs.update(
                hypothesis=data.get("hypothesis", ""),
                tried=data.get("tried", ""),
                result=data.get("result", ""),
                figures=data.get("figures", ""),
                linked_listings=list(data.get("linked_listings") or ()),
                playbook_urls=[line for line in data.get("playbook_urls", "").splitlines() if line.strip()],
            )
        if kind == TopicKind.REVIEW:
            kwargs["review_listing"] = data.get("review_listing")
        return kwargs


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        required=False,
        max_length=BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_markdown_help,
    )
    quote = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, review: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if review:
            for aspect in FEEDBACK_ASPECTS:
                self.fields[f"feedback_{aspect}"] = forms.CharField(
                    label=FEEDBACK_LABELS[aspect], required=False, max_length=FEEDBACK_MAX_CHARS
                )

    @property
    def feedback_fields(self):
        return [self[name] for name in self.fields if name.startswith("feedback_")]

    def feedback(self) -> dict[str, str]:
        return {
            aspect: self.cleaned_data.get(f"feedback_{aspect}", "")
            for aspect in FEEDBACK_ASPECTS
            if f"feedback_{aspect}" in self.fields
        }


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Your post"), required=False, max_length=BODY_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 8})
    )


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label=_("What is wrong?"), choices=FlagReason.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Details for the moderators"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the forum"), required=False, max_length=200)
