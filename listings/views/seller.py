"""The seller's side, mounted at /sell/: my listings, the create and edit flow (details, photos, availability) and
the status changes. Each view parses, checks permission, calls one service and renders; a listing that is not the
member's own is a 404, whatever its status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.images import get_image_model

from listings import selectors, services
from listings.forms import AvailabilityFormSet, BlockedDatesForm, ListingForm, PhotoForm
from listings.models import Listing, ListingKind, ListingPhoto, ListingStatus
from listings.models.listings import MAX_PHOTOS
from playbooks.prompts import listing_form_templates

THUMBNAIL = "fill-400x300"
PAGE_SIZE = 50
MAX_BULK = 500
STATUS_TABS = [
    ("", gettext_lazy("All")),
    (ListingStatus.DRAFT, gettext_lazy("Drafts")),
    (ListingStatus.PUBLISHED, gettext_lazy("Published")),
    (ListingStatus.PAUSED, gettext_lazy("Paused")),
    (ListingStatus.ARCHIVED, gettext_lazy("Archived")),
]


# --- helpers -------------------------------------------------------------------------------------------------------


def _own_listing(request: HttpRequest, pk: int) -> Listing:
    """The member's own listing (any status); anyone else's is a 404, like one that does not exist."""
    return get_object_or_404(Listing.objects.select_related("category"), pk=pk, seller=request.user)


def _thumbnails() -> Prefetch:
    """The photos' thumbnail renditions in one query, so that rendering them needs none per photo."""
    rendition_model = get_image_model().get_rendition_model()
    return Prefetch("image__renditions", queryset=rendition_model.objects.filter(filter_spec=THUMBNAIL))


def _status_counts(seller) -> dict[str, int]:
    rows = Listing.objects.filter(seller=seller).values("status").annotate(n=Count("pk")).order_by()
    counts = {row["status"]: row["n"] for row in rows}
    counts[""] = sum(counts.values())
    return counts


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _problem_target(listing: Listing, key: str, form: ListingForm) -> str:
    """Where a seller fixes a problem: a field of the details form, or the photos or availability step."""
    if key == "photos":
        return reverse("sell:photos", kwargs={"pk": listing.pk})
    if key.startswith("availability"):
        return reverse("sell:availability", kwargs={"pk": listing.pk})
    field = form.field_for_error(key)
    return f"#{form[field].auto_id}" if field else "#listing-form"


def _error_summary(form: ListingForm, listing: Listing | None, extra: dict[str, list[str]] | None = None):
    """Every error on the page as (message, link), for the summary at the top of a long form."""
    summary = []
    if form.is_bound:
        for name, errors in form.errors.items():
            href = f"#{form[name].auto_id}" if name in form.fields else "#listing-form"
            label = form.fields[name].label if name in form.fields else ""
            summary += [{"label": label, "message": message, "href": href} for message in errors]
    for key, errors in (extra or {}).items():
        label = {"photos": _("Photos"), "availability": _("Availability")}.get(key.split(".")[0], "")
        summary += [{"label": label, "message": m, "href": _problem_target(listing, key, form)} for m in errors]
    return summary


def _render_form(
    request: HttpRequest,
    form: ListingForm,
    *,
    listing: Listing | None = None,
    problems: dict[str, list[str]] | None = None,
) -> HttpResponse:
    return render(
        request,
        "listings/sell/form.html",
        {
            "form": form,
            "listing": listing,
            "category": form.selected_category,
            "playbook_templates": _playbook_templates(request, form),
            "error_summary": _error_summary(form, listing, problems),
            "publishing": problems is not None,
            "step": "details",
            "form_action": reverse("sell:edit", kwargs={"pk": listing.pk}) if listing else reverse("sell:create"),
        },
    )


def _playbook_templates(request: HttpRequest, form: ListingForm):
    """The learning panel's description templates from the playbooks, filled from the form as typed so far."""
    data = form.data if form.is_bound else form.initial
    return listing_form_templates(category=form.selected_category, data=data, seller=request.user)


def _attributes_partial(request: HttpRequest, listing: Listing | None = None) -> HttpResponse:
    """htmx asks for the attribute fields (and the learning prompts) of the category just chosen."""
    form = ListingForm(initial=ListingForm.initial_from_data(request.GET))
    return render(
        request,
        "listings/sell/_attributes.html",
        {
            "form": form,
            "category": form.selected_category,
            "listing": listing,
            "playbook_templates": _playbook_templates(request, form),
        },
    )


def _listing_form_for(listing: Listing) -> ListingForm:
    """The details form bound to the listing as saved, so that problems found on publishing sit on its fields."""
    data: dict[str, Any] = {}
    for name, value in ListingForm.initial_for(listing).items():
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else str(value)
    form = ListingForm(data)
    form.is_valid()
    return form


def _publish_failed(request: HttpRequest, listing: Listing, error: ValidationError) -> HttpResponse:
    if not hasattr(error, "error_dict"):  # a status that cannot be published (archived)
        for message in error.messages:
            messages.error(request, message)
        return redirect("sell:mine")
    form = _listing_form_for(listing)
    problems: dict[str, list[str]] = {}
    for key, errors in error.message_dict.items():
        field = form.field_for_error(key)
        if field and key != "__all__":
            form.add_error(field, errors)
        else:
            problems[key] = errors
    return _render_form(request, form, listing=listing, problems=problems)


# --- my listings ---------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def my_listings(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ListingStatus.values:
        status = ""
    # The selector prefetches the photos with their images and thumbnail renditions.
    queryset = selectors.listings_of_seller(seller=request.user, status=status)
    counts = _status_counts(request.user)
    paginator = Paginator(queryset, PAGE_SIZE)
    paginator.count = counts.get(status, 0)  # known from the tab counts: no second COUNT query
    page = paginator.get_page(request.GET.get("page"))
    tabs = [{"status": value, "label": label, "count": counts.get(value, 0)} for value, label in STATUS_TABS]
    return render(
        request,
        "listings/sell/mine.html",
        {
            "page": page,
            "listings": page.object_list,
            "status": status,
            "tabs": tabs,
            "any_published": any(listing.status == ListingStatus.PUBLISHED for listing in page.object_list),
        },
    )


# --- details -------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def listing_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and request.GET.get("partial") == "attributes":
        return _attributes_partial(request)
    if request.method == "POST" and "refresh" in request.POST:  # the category changed without JavaScript
        return _render_form(request, ListingForm(initial=ListingForm.initial_from_data(request.POST)))
    initial = {**ListingForm.defaults(), **ListingForm.initial_from_data(request.GET)}
    form = ListingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_create(seller=request.user, data=form.service_data())
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("Your draft is saved. Now add some photos."))
            return redirect("sell:photos", pk=listing.pk)
    return _render_form(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def listing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _own_listing(request, pk)
    if request.method == "GET" and request.GET.get("partial") == "attributes":
        return _attributes_partial(request, listing=listing)
    if request.method == "POST" and "refresh" in request.POST:
        form = ListingForm(initial=ListingForm.initial_from_data(request.POST))
        return _render_form(request, form, listing=listing)
    form = ListingForm(request.POST or None, initial=ListingForm.initial_for(listing))
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_update(listing_id=listing.pk, seller=request.user, data=form.service_data())
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("Your changes are saved."))
            if request.POST.get("action") == "publish":
                return _publish(request, listing)
            return redirect("sell:edit", pk=listing.pk)
    return _render_form(request, form, listing=listing)


# --- photos --------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def listing_photos(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _own_listing(request, pk)
    form = PhotoForm()
    if request.method == "POST" and "remove" in request.POST:
        photo_id = request.POST["remove"]
        photo = get_object_or_404(ListingPhoto, pk=int(photo_id) if photo_id.isdigit() else 0, listing=listing)
        try:
            services.listing_photo_remove(listing_id=listing.pk, seller=request.user, photo_id=photo.pk)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The photo is removed."))
        return redirect("sell:photos", pk=listing.pk)
    if request.method == "POST":
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.listing_photo_add(
                    listing_id=listing.pk,
                    seller=request.user,
                    image_file=form.cleaned_data["image"],
                    alt=form.cleaned_data["alt"],
                )
            except ValidationError as error:
                form.apply_service_errors(error)
            else:
                messages.success(request, _("The photo is added."))
                return redirect("sell:photos", pk=listing.pk)
    photos = list(listing.photos.select_related("image").prefetch_related(_thumbnails()))
    return render(
        request,
        "listings/sell/photos.html",
        {
            "listing": listing,
            "form": form,
            "photos": photos,
            "max_photos": MAX_PHOTOS,
            "room_for_more": len(photos) < MAX_PHOTOS,
            "step": "photos",
        },
    )


# --- availability --------------------------------------------------------------------------------------------------


def _availability_rows(listing: Listing) -> list[dict[str, Any]]:
    """Each weekday's saved windows, or an empty row for it; then two empty rows for a second window."""
    rules = list(listing.availability_rules.all())
    rows: list[dict[str, Any]] = []
    for weekday in range(7):
        windows = [r for r in rules if r.weekday == weekday]
        rows += [{"weekday": r.weekday, "start_time": r.start_time, "end_time": r.end_time} for r in windows] or [
            {"weekday": weekday}
        ]
    return [*rows, {}, {}]


@login_required
@require_http_methods(["GET", "POST"])
def listing_availability(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _own_listing(request, pk)
    if listing.kind != ListingKind.BOOKING:
        messages.info(request, _("Only services and rentals have a weekly availability."))
        return redirect("sell:edit", pk=listing.pk)
    blocked = listing.availability_exceptions.filter(blocked=True).values_list("date", flat=True)
    formset = AvailabilityFormSet(request.POST or None, initial=_availability_rows(listing), prefix="rules")
    dates_form = BlockedDatesForm(
        request.POST or None, initial={"blocked_dates": "\n".join(day.isoformat() for day in blocked)}
    )
    page_errors: list[str] = []
    if request.method == "POST" and formset.is_valid() and dates_form.is_valid():
        rows = formset.rules()
        try:
            services.listing_availability_set(
                listing_id=listing.pk,
                seller=request.user,
                rules=[rule for _index, rule in rows],
                blocked_dates=dates_form.cleaned_data["blocked_dates"],
            )
        except ValidationError as error:
            for key, errors in error.message_dict.items():
                parts = key.split(".")  # availability.<n>[.weekday]: the n-th window sent
                if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
                    form = formset.forms[rows[int(parts[1])][0]]
                    form.add_error(parts[2] if len(parts) > 2 and parts[2] in form.fields else None, errors)
                elif key in dates_form.fields:
                    dates_form.add_error(key, errors)
                else:
                    page_errors += errors
        else:
            messages.success(request, _("Your availability is saved."))
            return redirect("sell:availability", pk=listing.pk)
    return render(
        request,
        "listings/sell/availability.html",
        {
            "listing": listing,
            "formset": formset,
            "dates_form": dates_form,
            "page_errors": page_errors,
            "has_errors": bool(page_errors) or (formset.is_bound and not formset.is_valid()) or dates_form.errors,
            "step": "availability",
        },
    )


# --- status changes ------------------------------------------------------------------------------------------------


def _publish(request: HttpRequest, listing: Listing) -> HttpResponse:
    try:
        listing = services.listing_publish(listing_id=listing.pk, seller=request.user)
    except ValidationError as error:
        return _publish_failed(request, listing, error)
    messages.success(request, _("Your listing is published. This is how buyers see it."))
    return redirect(listing.get_absolute_url())


@login_required
@require_POST
def listing_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _publish(request, _own_listing(request, pk))


@login_required
@require_POST
def listing_pause(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _own_listing(request, pk)
    try:
        services.listing_pause(listing_id=listing.pk, seller=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(title)s” is paused: buyers cannot find it.") % {"title": listing.title})
    return redirect(_next_url(request, reverse("sell:mine")))


@login_required
@require_POST
def listing_archive(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _own_listing(request, pk)
    try:
        services.listing_archive(listing_id=listing.pk, seller=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(title)s” is archived.") % {"title": listing.title})
    return redirect(_next_url(request, reverse("sell:mine")))


@login_required
@require_POST
def listing_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _own_listing(request, pk)
    copy = services.listing_duplicate(listing_id=listing.pk, seller=request.user)
    messages.success(request, _("This is a copy, saved as a draft. Change what is different, then publish it."))
    return redirect("sell:edit", pk=copy.pk)


@login_required
@require_POST
def listings_pause_bulk(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("listing") if value.isdigit()][:MAX_BULK]
    if not ids:
        messages.error(request, _("Tick the listings you want to pause."))
    else:
        paused = services.listings_pause_bulk(seller=request.user, listing_ids=ids)
        messages.success(
            request, ngettext("%(n)s listing is paused.", "%(n)s listings are paused.", paused) % {"n": paused}
        )
    return redirect(_next_url(request, reverse("sell:mine")))
