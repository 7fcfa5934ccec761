"""Order forms. They only parse what people type: prices, availability, states and permissions are checked by
orders.selectors and orders.services, whose field errors are put back on these fields."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from listings.models import Listing, PriceUnit
from listings.templatetags.listing_tags import price_to_minor
from orders.bookings import listing_timezone
from orders.gateways.offline import CARD_DECLINED, CARD_NEEDS_AUTHENTICATION, CARD_SUCCEEDS
from orders.models import DisputeCategory
from orders.pricing import MAX_QUANTITY
from orders.services import DISPUTE_MAX_FILES, DISPUTE_TEXT_MAX_CHARS

EVIDENCE_ACCEPT = "image/jpeg,image/png,application/pdf"
OFFLINE_CARDS = [
    (CARD_SUCCEEDS, _("Test card that pays (Visa)")),
    (CARD_DECLINED, _("Test card that is declined")),
    (CARD_NEEDS_AUTHENTICATION, _("Test card that asks your bank to confirm (3-D Secure)")),
]


class OrderForm(forms.Form):
    """The site's forms label fields without Django's trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def apply_service_errors(form: forms.Form, error: ValidationError, *, names: dict[str, str] | None = None) -> None:
    """Puts a service's errors on the form's fields (renamed by `names`), or at the top when no field fits."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        field = (names or {}).get(key, key)
        form.add_error(field if field in form.fields else None, messages)


# --- Checkout ---------------------------------------------------------------------------------------------


def payment_method_choices() -> list[tuple[str, Any]]:
    """The offline gateway's test cards; a real gateway (Stripe) takes the card in its own form."""
    if getattr(settings, "PAYMENT_GATEWAY", "offline") == "offline":
        return OFFLINE_CARDS
    return []


class PaymentForm(forms.Form):
    payment_method = forms.ChoiceField(
        label=_("Pay with"), widget=forms.RadioSelect, error_messages={"required": _("Choose how to pay.")}
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].choices = payment_method_choices()
        self.fields["payment_method"].initial = CARD_SUCCEEDS


class ItemCheckoutForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1, widget=forms.NumberInput()
    )

    def __init__(self, *args, listing: Listing, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.listing = listing
        self.fields["quantity"].widget.attrs.update({"min": 1, "max": max(1, min(listing.quantity, MAX_QUANTITY))})

    def order_data(self) -> dict[str, Any]:
        return {"quantity": self.cleaned_data["quantity"]}


class BookingCheckoutForm(forms.Form):
    """A booking's start and end as the buyer reads them: dates and times where the seller is."""

    start_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_date = forms.DateField(
        label=_("Until (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty when it ends the same day."),
    )
    end_time = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    quantity = forms.IntegerField(label=_("Places"), min_value=1, max_value=MAX_QUANTITY, initial=1)

    def __init__(self, *args, listing: Listing, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.listing = listing
        self.tz = listing_timezone(listing)
        if listing.price_unit == PriceUnit.HOUR:
            self.fields["start_time"].widget.attrs["step"] = 900
            self.fields["end_time"].widget.attrs["step"] = 900
        else:
            self.fields["start_date"].label = _("Arrive or start on")
            self.fields["start_time"].label = _("At")
            self.fields["end_date"].label = _("Leave or end on")
            self.fields["end_date"].required = True
            self.fields["end_date"].help_text = ""
            self.fields["end_time"].label = _("At")
        if listing.capacity <= 1:
            del self.fields["quantity"]
        else:
            self.fields["quantity"].widget.attrs["max"] = listing.capacity

    def clean(self):
        cleaned = super().clean()
        day, start_time, end_time = cleaned.get("start_date"), cleaned.get("start_time"), cleaned.get("end_time")
        if day and start_time and end_time:
            end_day = cleaned.get("end_date") or day
            cleaned["start"] = datetime.combine(day, start_time, tzinfo=self.tz)
            cleaned["end"] = datetime.combine(end_day, end_time, tzinfo=self.tz)
        return cleaned

    def order_data(self) -> dict[str, Any]:
        return {
            "quantity": self.cleaned_data.get("quantity") or 1,
            "start": self.cleaned_data["start"],
            "end": self.cleaned_data["end"],
        }


SERVICE_FIELDS = {"start": "start_time", "end": "end_time", "listing": None, "buyer": None}


def checkout_form(listing: Listing, data=None) -> ItemCheckoutForm | BookingCheckoutForm:
    form_class = ItemCheckoutForm if listing.kind == "item" else BookingCheckoutForm
    return form_class(data, listing=listing)


# --- Seller actions ---------------------------------------------------------------------------------------


class NoteForm(OrderForm):
    note = forms.CharField(
        label=_("Message to the other party (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MoneyField(forms.DecimalField):
    """An amount typed in major units ("12.50"), cleaned to minor units (1250)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
        super().__init__(**kwargs)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else price_to_minor(amount)


class RefundForm(OrderForm):
    amount = MoneyField(label=_("Refund amount"))
    note = forms.CharField(label=_("Reason (the buyer sees it)"), required=False, max_length=1000)
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


# --- Disputes ---------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented pattern for `<input type="file" multiple>`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class DisputeOpenForm(forms.Form):
    category = forms.ChoiceField(label=_("What went wrong?"), choices=DisputeCategory.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Describe the problem"),
        max_length=DISPUTE_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What you expected, what happened, and what would put it right."),
    )
    evidence = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        help_text=_("Up to %(n)s JPEG, PNG or PDF files, 10 MB each. Only the seller and moderators see them.")
        % {"n": DISPUTE_MAX_FILES},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DisputeMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        required=False,
        max_length=DISPUTE_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = MultipleFileField(
        label=_("Add photos or documents"),
        required=False,
        help_text=_("JPEG, PNG or PDF, 10 MB each."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ProposalForm(forms.Form):
    refund_amount = MoneyField(
        label=_("Refund to the buyer"), help_text=_("The rest of the payment goes to the seller as usual.")
    )
    note = forms.CharField(label=_("Why (optional)"), required=False, max_length=1000)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# --- Reviews ----------------------------------------------------------------------------------------------


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[
            (5, _("5 stars: excellent")),
            (4, _("4 stars: good")),
            (3, _("3 stars: all right")),
            (2, _("2 stars: poor")),
            (1, _("1 star: bad")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Give a rating from 1 to 5 stars.")},
    )
    text = forms.CharField(
        label=_("Your review"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The other party cannot read it until they have written theirs, or the time to review ends."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Your reply"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("You can reply once, and cannot change it afterwards."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# --- Moderators (Django admin) ----------------------------------------------------------------------------


class DisputeDecisionForm(forms.Form):
    OUTCOMES = [
        ("release", _("Release everything to the seller")),
        ("partial_refund", _("Refund part to the buyer, release the rest")),
        ("full_refund", _("Refund the buyer in full")),
    ]
    outcome = forms.ChoiceField(label=_("Decision"), choices=OUTCOMES, widget=forms.RadioSelect)
    refund_amount = MoneyField(label=_("Partial refund"), required=False, help_text=_("For a partial refund only."))
    note = forms.CharField(
        label=_("Reasons"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Both parties read this on the order's page."),
    )

    def __init__(self, *args, held: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.held = held

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if outcome == "release":
            cleaned["refund"] = 0
        elif outcome == "full_refund":
            cleaned["refund"] = self.held
        elif outcome == "partial_refund":
            amount = cleaned.get("refund_amount")
            if amount is None or not 0 < amount < self.held:
                self.add_error("refund_amount", _("Give an amount between nothing and everything held."))
            cleaned["refund"] = amount
        return cleaned


class ReviewHideForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown in place of the review, to everyone."),
    )
