"""Forms for the mentoring pages. They parse and present; the services validate and save (`service_data()` is
what a form hands to them, and `apply_service_errors` puts the services' errors back on the fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import global_settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from community.models import SellerStage
from community.validators import timezone_names
from listings.models import Category
from mentoring.models import (
    CIRCLE_MAX_SIZE,
    CIRCLE_MIN_SIZE,
    MAX_CAPACITY,
    MeetingFrequency,
    MenteeProfile,
    MentorProfile,
    Track,
)

# Offered as suggestions beside the skills fields; members may type any skill.
SKILL_SUGGESTIONS = [
    _("product photography"),
    _("pricing"),
    _("shipping"),
    _("packaging"),
    _("writing descriptions"),
    _("customer service"),
    _("bookkeeping"),
    _("social media"),
    _("search and tags"),
    _("bookings and calendars"),
]


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    """The category tree as indented checkboxes."""

    def label_from_instance(self, category: Category) -> str:
        return f"{'— ' * (category.depth - 1)}{category.name}"


class _ServiceErrorsMixin:
    def apply_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class _MemberFieldsMixin(forms.Form):
    """Languages, time zone and stage: stored on the member's community profile, edited here too."""

    languages = forms.MultipleChoiceField(
        label=_("Languages you can meet in"),
        choices=global_settings.LANGUAGES,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        error_messages={"required": _("Choose at least one language you can meet in.")},
        help_text=_("Hold Ctrl (or ⌘) to choose more than one."),
    )
    timezone = forms.ChoiceField(label=_("Your time zone"), choices=())
    seller_stage = forms.ChoiceField(
        label=_("Your stage as a seller"),
        choices=SellerStage.choices,
        help_text=_("New: no sales yet or just starting. Growing: selling regularly. Established: a steady business."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in sorted(timezone_names())]

    @staticmethod
    def member_initial(member) -> dict[str, Any]:
        profile = getattr(member, "profile", None)
        return {
            "languages": list(getattr(profile, "languages", None) or []),
            "timezone": getattr(profile, "timezone", "UTC"),
            "seller_stage": getattr(profile, "seller_stage", SellerStage.NEW),
        }


class MentorProfileForm(_ServiceErrorsMixin, _MemberFieldsMixin):
    headline = forms.CharField(
        label=_("What you can help with"),
        max_length=160,
        required=False,
        help_text=_("One line mentees read first, e.g. “Pricing handmade ceramics and shipping them safely”."),
    )
    categories = CategoryChoiceField(
        label=_("Categories you know"),
        queryset=Category.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    skills = forms.CharField(
        label=_("Skills you can teach"),
        max_length=600,
        required=False,
        help_text=_("Separate them with commas, e.g. pricing, product photography, shipping."),
        widget=forms.TextInput(attrs={"list": "skill-suggestions", "autocomplete": "off"}),
    )
    capacity = forms.IntegerField(
        label=_("Mentees at a time"),
        min_value=1,
        max_value=MAX_CAPACITY,
        initial=2,
        help_text=_("Most mentors take one to three."),
    )
    availability = forms.CharField(
        label=_("When you are available"),
        max_length=300,
        required=False,
        help_text=_("For example: weekday evenings, Saturday mornings."),
    )
    accepting = forms.BooleanField(label=_("I am taking new mentees"), required=False, initial=True)

    field_order = [
        "headline",
        "categories",
        "skills",
        "seller_stage",
        "languages",
        "timezone",
        "capacity",
        "availability",
        "accepting",
    ]

    @classmethod
    def initial_for(cls, member, profile: MentorProfile | None, category_ids: list[int]) -> dict[str, Any]:
        initial = cls.member_initial(member)
        if profile is None:
            return {**initial, "categories": category_ids, "capacity": 2, "accepting": True}
        return {
            **initial,
            "headline": profile.headline,
            "categories": [category.pk for category in profile.categories.all()],
            "skills": ", ".join(sorted(tag.name for tag in profile.skills.all())),
            "capacity": profile.capacity,
            "availability": profile.availability,
            "accepting": profile.accepting,
        }

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class TrackChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, track: Track) -> str:
        return f"{track.name} ({track.get_stage_display()})"


class MenteeProfileForm(_ServiceErrorsMixin, _MemberFieldsMixin):
    track = TrackChoiceField(
        label=_("Track"),
        queryset=Track.objects.all(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a track.")},
    )
    goals = forms.CharField(
        label=_("What you want to achieve"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One goal a line, e.g. “Make my first sale” or “Price my lessons well”."),
        error_messages={"required": _("Say what you want to achieve.")},
    )
    preferences = forms.CharField(
        label=_("Preferences"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything that helps: how you like to meet, what you want from a mentor."),
    )
    categories = CategoryChoiceField(
        label=_("Categories you sell in"),
        queryset=Category.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    skills_wanted = forms.CharField(
        label=_("Skills you want to learn"),
        max_length=600,
        required=False,
        help_text=_("Separate them with commas, e.g. pricing, product photography."),
        widget=forms.TextInput(attrs={"list": "skill-suggestions", "autocomplete": "off"}),
    )

    field_order = [
        "track",
        "goals",
        "categories",
        "skills_wanted",
        "seller_stage",
        "languages",
        "timezone",
        "preferences",
    ]

    def __init__(self, *args, tracks: list[Track] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if tracks is not None:
            self.fields["track"].queryset = Track.objects.filter(pk__in=[t.pk for t in tracks])
            self.fields["track"].choices = [(t.pk, self.fields["track"].label_from_instance(t)) for t in tracks]

    @classmethod
    def initial_for(
        cls, member, profile: MenteeProfile | None, category_ids: list[int], default_track: Track | None
    ) -> dict[str, Any]:
        initial = cls.member_initial(member)
        if profile is None:
            return {**initial, "categories": category_ids, "track": default_track.pk if default_track else None}
        return {
            **initial,
            "track": profile.track_id,
            "goals": profile.goals,
            "preferences": profile.preferences,
            "categories": [category.pk for category in profile.categories.all()],
            "skills_wanted": ", ".join(sorted(tag.name for tag in profile.skills_wanted.all())),
        }

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class MentorshipRequestForm(_ServiceErrorsMixin, forms.Form):
    goals = forms.CharField(
        label=_("Your goals for this mentorship"),
        max_length=1200,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One goal a line, up to five. Your mentor sees them with your request."),
        error_messages={"required": _("Give at least one goal.")},
    )

    def goal_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["goals"].splitlines() if line.strip()]


class DeclineForm(forms.Form):
    note = forms.CharField(
        label=_("A note for the member (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SessionForm(_ServiceErrorsMixin, forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("When"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In your time zone."),
        error_messages={
            "required": _("Give the date and time of the session."),
            "invalid": _("Give a valid date and time."),
        },
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=10,
        max_value=480,
        initial=60,
        error_messages={"required": _("Give the length in minutes.")},
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you talked about and what comes next. Both of you can read them."),
    )


class GoalForm(_ServiceErrorsMixin, forms.Form):
    text = forms.CharField(label=_("New goal"), max_length=200)


class GoalProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)


class EndForm(_ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why are you ending it?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Both of you will see this."),
        error_messages={"required": _("Say briefly why it ends.")},
    )


class RatingForm(_ServiceErrorsMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[
            (5, _("5: excellent")),
            (4, _("4: good")),
            (3, _("3: all right")),
            (2, _("2: disappointing")),
            (1, _("1: poor")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Give a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- Outcomes and coaching circles ---------------------------------------------------------------------------------


class InsightConsentForm(forms.Form):
    consent = forms.BooleanField(label=_("Let my mentor see my shop's figures"), required=False)


_CIRCLE_SIZE_MESSAGE = _("A circle has from %(min)s to %(max)s members.") % {
    "min": CIRCLE_MIN_SIZE,
    "max": CIRCLE_MAX_SIZE,
}


class CircleForm(_ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    stage = forms.ChoiceField(label=_("Seller stage"), choices=SellerStage.choices)
    description = forms.CharField(
        label=_("What the circle is about"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    max_members = forms.IntegerField(
        label=_("Members at most"),
        initial=6,
        help_text=_("From %(min)s to %(max)s, not counting you.") % {"min": CIRCLE_MIN_SIZE, "max": CIRCLE_MAX_SIZE},
        error_messages={
            "required": _CIRCLE_SIZE_MESSAGE,
            "min_value": _CIRCLE_SIZE_MESSAGE,
            "max_value": _CIRCLE_SIZE_MESSAGE,
            "invalid": _CIRCLE_SIZE_MESSAGE,
        },
    )
    open_to_requests = forms.BooleanField(label=_("Sellers at this stage may ask to join"), required=False)
    frequency = forms.ChoiceField(label=_("Meets"), choices=MeetingFrequency.choices)
    first_meeting_at = forms.DateTimeField(
        label=_("First meeting"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In the circle's time zone."),
        error_messages={
            "required": _("Give the date and time of the first meeting."),
            "invalid": _("Give a valid date and time."),
        },
    )
    duration_minutes = forms.IntegerField(label=_("Length (minutes)"), initial=60, min_value=15, max_value=240)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=())
    meeting_url = forms.URLField(label=_("Where you meet (video link)"), required=False, assume_scheme="https")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in sorted(timezone_names())]

    @staticmethod
    def initial_for(circle) -> dict[str, Any]:
        return {field: getattr(circle, field) for field in CircleForm.base_fields}


class CircleMemberAddForm(_ServiceErrorsMixin, forms.Form):
    email = forms.EmailField(label=_("Email of the seller to add"))


class CirclePostForm(_ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown: **bold**, *italic*, lists and links."),
        error_messages={"required": _("Write your message.")},
    )
