from __future__ import annotations

from allauth.account.forms import SignupForm
from django import forms
from django.conf import global_settings
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from community.models import Profile, Role, VerificationKind
from community.validators import timezone_names, validate_avatar


class MemberSignupForm(SignupForm):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        required=False,
        help_text=_("How other members see you. You can change it later."),
    )
    accept_terms = forms.BooleanField(
        label=_("I accept the code of conduct"),
        required=True,
        error_messages={"required": _("Please accept the code of conduct to join.")},
    )

    field_order = ["email", "display_name", "password1", "password2", "accept_terms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        url = code_of_conduct_url()
        if url:
            self.fields["accept_terms"].help_text = format_html(
                '<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Read the code of conduct")
            )


def code_of_conduct_url() -> str:
    from wagtail.models import Site

    from hub.models import SiteSettings

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return ""
    page = SiteSettings.for_site(site).code_of_conduct_page
    return page.url if page and page.live else ""


class ProfileForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        choices=global_settings.LANGUAGES,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    timezone = forms.ChoiceField(label=_("Timezone"), choices=())
    roles = forms.MultipleChoiceField(
        label=_("I am here to"),
        choices=[(role, Role(role).label) for role in Role.self_service()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Facilitator and moderator roles are granted by staff."),
    )
    avatar = forms.ImageField(
        label=_("Avatar"),
        required=False,
        validators=[validate_avatar],
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        help_text=_("JPEG, PNG, WebP or GIF, up to 5 MB."),
    )

    class Meta:
        model = Profile
        fields = [
            "display_name",
            "avatar",
            "bio",
            "location_name",
            "latitude",
            "longitude",
            "languages",
            "timezone",
            "seller_stage",
        ]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5}),
            "latitude": forms.NumberInput(attrs={"step": "0.000001"}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001"}),
        }
        help_texts = {
            "bio": _("Plain text, up to 2000 characters."),
            "location_name": _("A town or region. Only this name is shown publicly."),
            "latitude": _("Optional; used for distance search, never shown exactly."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in sorted(timezone_names())]
        self.fields["display_name"].required = True

    def clean_display_name(self) -> str:
        value = self.cleaned_data["display_name"].strip()
        if not value:
            raise forms.ValidationError(_("Choose a display name."))
        return value

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return cleaned


class DocumentVerificationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Document"),
        choices=[(kind, VerificationKind(kind).label) for kind in VerificationKind.document_kinds()],
    )
    detail = forms.CharField(label=_("Business name (for a business registration)"), max_length=200, required=False)
    document = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, up to 10 MB. Only staff can see it; you can delete it at any time."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class PhoneNumberForm(forms.Form):
    phone_number = forms.CharField(
        label=_("Mobile number"),
        max_length=24,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "placeholder": "+44 7911 123456"}),
    )


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class AccountDeleteForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)
    confirm = forms.CharField(label=_('Type "DELETE" to confirm'), max_length=10)

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.member.check_password(password):
            raise forms.ValidationError(_("That password is not right."))
        return password

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"].strip() != "DELETE":
            raise forms.ValidationError(_('Type "DELETE" in capitals to confirm.'))
        return self.cleaned_data["confirm"]
