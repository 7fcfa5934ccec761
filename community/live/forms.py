"""Live session forms. They only parse: the rules (who may host, lengths, capacity, times) live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.live.services import CHAT_MAX_CHARS, QUESTION_MAX_CHARS
from community.models import CategoryFacet, ForumCategory, Member, Role, SessionVisibility
from community.models.live import CAPACITY_MAX, DURATION_MAX_MINUTES, DURATION_MIN_MINUTES


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    starts_at = forms.DateTimeField(
        label=_("Starts (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=DURATION_MIN_MINUTES, max_value=DURATION_MAX_MINUTES, initial=60
    )
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=CAPACITY_MAX, initial=50)
    topic = forms.CharField(label=_("Topic"), required=False, max_length=80)
    region = forms.ModelChoiceField(
        label=_("Region"), required=False, queryset=ForumCategory.objects.none(), empty_label=_("No region")
    )
    visibility = forms.ChoiceField(label=_("Open to"), choices=SessionVisibility.choices, widget=forms.RadioSelect)
    role = forms.ChoiceField(label=_("Role (when open to a role)"), required=False, choices=[("", "—"), *Role.choices])
    invitees = forms.CharField(
        label=_("Invited members (when invite only)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Their email addresses, separated by commas or new lines."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = ForumCategory.objects.filter(facet=CategoryFacet.REGION).order_by("name")

    def clean_invitees(self) -> list[Member]:
        raw = self.cleaned_data.get("invitees") or ""
        emails = {part.strip().lower() for part in raw.replace(",", "\n").splitlines() if part.strip()}
        members = list(Member.objects.filter(email__in=emails, is_active=True))
        missing = emails - {member.email for member in members}
        if missing:
            raise forms.ValidationError(
                _("No member has these addresses: %(emails)s") % {"emails": ", ".join(sorted(missing))}
            )
        return members

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class QuestionForm(forms.Form):
    body = forms.CharField(
        label=_("Your question"), max_length=QUESTION_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2})
    )


class ChatForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=CHAT_MAX_CHARS)
