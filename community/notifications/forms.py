from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import EmailDelivery, NotificationKind


class EmailPreferencesForm(forms.Form):
    """One radio group per kind of notification: email it immediately, in the daily digest, or never."""

    def __init__(self, *args, initial_choices: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=EmailDelivery.choices,
                initial=initial_choices.get(kind.value),
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose how you hear about this."),
                    "invalid_choice": _("Choose one of the options."),
                },
            )
