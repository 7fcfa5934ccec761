"""Buyer-facing listing pages, mounted at /listings/: search, the listing page, favourites and saved searches.

Each view parses, checks permission, calls the selectors or one service and renders. Prices in the search page's
URL are in major units (what people type); the selectors get minor units.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from listings import selectors, services
from listings.models import Category, Listing, ListingKind, ListingStatus
from listings.templatetags.listing_tags import (
    CARD_RENDITION,
    GALLERY_RENDITION,
    kind_label,
    photos_with_renditions,
    price_to_minor,
    query_with,
    saved_query_params,
)

FAVOURITES_PAGE_SIZE = 24
SORT_CHOICES = [
    ("relevance", gettext_lazy("Best match")),
    ("newest", gettext_lazy("Newest first")),
    ("price_asc", gettext_lazy("Price: low to high")),
    ("price_desc", gettext_lazy("Price: high to low")),
    ("distance", gettext_lazy("Nearest first")),
    ("rating", gettext_lazy("Best-rated sellers first")),
]
RATING_CHOICES = [
    ("", gettext_lazy("Any rating")),
    ("3", gettext_lazy("3 stars and up")),
    ("4", gettext_lazy("4 stars and up")),
    ("4.5", gettext_lazy("4.5 stars and up")),
]
# Parameters that page or order the results rather than filter them: a saved search leaves them out.
NOT_FILTERS = {"page", "page_size", "sort"}
# Filters folded under "More filters" on the search page: it opens when one of them is set.
ADVANCED_FILTERS = (
    "kind",
    "min_price",
    "max_price",
    "lat",
    "lng",
    "radius_km",
    "available_from",
    "available_to",
    "verified",
    "min_rating",
)


class SearchForm(forms.Form):
    """The search page's filters as people type them. Prices are in major units here; the selectors check the
    rest (ranges, combinations) and their field errors are shown on these fields."""

    q = forms.CharField(
        label=gettext_lazy("Search for"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("e.g. stoneware mug")}),
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"),
        required=False,
        choices=[("", gettext_lazy("Items and services")), *ListingKind.choices],
    )
    min_price = forms.DecimalField(
        label=gettext_lazy("Lowest price"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy("In pounds, euros or dollars, e.g. 25 or 24.50."),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    max_price = forms.DecimalField(
        label=gettext_lazy("Highest price"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    lng = forms.FloatField(
        label=gettext_lazy("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    radius_km = forms.FloatField(
        label=gettext_lazy("Within (km)"),
        required=False,
        min_value=0.1,
        max_value=500,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    available_from = forms.DateField(
        label=gettext_lazy("Available from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    available_to = forms.DateField(
        label=gettext_lazy("Available until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    verified = forms.BooleanField(label=gettext_lazy("Verified sellers only"), required=False)
    min_rating = forms.ChoiceField(label=gettext_lazy("Seller rating"), required=False, choices=RATING_CHOICES)
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, tree: Iterable[Category] = (), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.attr_errors: dict[str, list[str]] = {}
        self.fields["category"].choices = [
            ("", _("All categories")),
            *[(node.slug, "\u2014 " * (node.depth - 1) + node.name) for node in tree],
        ]

    def selector_data(self) -> QueryDict:
        """The submitted parameters as the selectors take them: prices in minor units, dates in ISO form."""
        data = self.data.copy()
        for name in ("min_price", "max_price"):
            value = self.cleaned_data.get(name)
            data[name] = "" if value is None else str(price_to_minor(value))
        for name in ("available_from", "available_to"):
            value = self.cleaned_data.get(name)
            data[name] = value.isoformat() if value else ""
        return data

    def add_selector_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for name, errors in error.message_dict.items():
            if name.startswith("attr."):
                self.attr_errors[name] = errors
            elif name in self.fields and name in self.cleaned_data:
                self.add_error(name, errors)
            else:
                self.add_error(None, errors)


def _search_form(data: QueryDict, tree: list[Category]) -> tuple[SearchForm, selectors.SearchParams | None]:
    form = SearchForm(data, tree=tree)
    if not form.is_valid():
        return form, None
    try:
        return form, selectors.search_params_parse(form.selector_data())
    except ValidationError as error:
        form.add_selector_errors(error)
        return form, None


def _with_card_photos(listings: Iterable[Listing]) -> None:
    photos_with_renditions([next(iter(listing.photos.all()), None) for listing in listings], CARD_RENDITION)


def _active_filters(data: QueryDict, form: SearchForm, tree: list[Category], schema: list[dict]) -> list[dict]:
    """What narrows the search, each with a link that removes it (for the chips and the empty result)."""
    names = {node.slug: node.name for node in tree}
    labels = {definition["name"]: definition.get("label") or definition["name"] for definition in schema}
    chips = []

    def chip(label: str, *keys: str) -> None:
        chips.append({"label": label, "url": query_with(data, *[part for key in keys for part in (key, None)])})

    if data.get("q"):
        chip(_("“%(q)s”") % {"q": data["q"]}, "q")
    if data.get("category"):
        attrs = [key for key in data if key.startswith("attr.")]
        chip(names.get(data["category"], data["category"]), "category", *attrs)
    if data.get("kind"):
        chip(kind_label(data["kind"]), "kind")
    if data.get("min_price"):
        chip(_("From %(price)s") % {"price": data["min_price"]}, "min_price")
    if data.get("max_price"):
        chip(_("Up to %(price)s") % {"price": data["max_price"]}, "max_price")
    if data.get("lat") or data.get("lng") or data.get("radius_km"):
        chip(_("Within %(km)s km") % {"km": data.get("radius_km") or "?"}, "lat", "lng", "radius_km")
    if data.get("available_from") or data.get("available_to"):
        chip(
            _("Available %(start)s to %(end)s")
            % {"start": data.get("available_from", "?"), "end": data.get("available_to", "?")},
            "available_from",
            "available_to",
        )
    if getattr(form, "cleaned_data", {}).get("verified"):
        chip(_("Verified sellers"), "verified")
    if getattr(form, "cleaned_data", {}).get("min_rating"):
        chip(_("Rated %(stars)s+") % {"stars": form.cleaned_data["min_rating"]}, "min_rating")
    for key, value in data.items():
        if key.startswith("attr.") and value:
            name = key[len("attr.") :]
            chip(_("%(label)s: %(value)s") % {"label": labels.get(name, name), "value": value}, key)
    return chips


def _attribute_controls(data: QueryDict, form: SearchForm, schema: list[dict], result) -> dict:
    """The selected category's choice attributes as filter selects and as facet links, and any other attr.*
    parameters (kept as hidden fields so a corrected search does not lose them)."""
    choice_names = {d["name"] for d in schema if d["type"] == "choice"}
    labels = {d["name"]: d.get("label") or d["name"] for d in schema}
    facets = result.facets["attributes"].items() if result else []
    return {
        "attribute_filters": [
            {
                "name": d["name"],
                "key": f"attr.{d['name']}",
                "label": labels[d["name"]],
                "choices": d["choices"],
                "value": data.get(f"attr.{d['name']}", ""),
                "errors": form.attr_errors.get(f"attr.{d['name']}", []),
            }
            for d in schema
            if d["type"] == "choice"
        ],
        "attribute_facets": [
            {
                "label": labels.get(name, name),
                "key": f"attr.{name}",
                "value": data.get(f"attr.{name}", ""),
                "choices": c,
            }
            for name, c in facets
            if any(choice["count"] for choice in c)
        ],
        "other_attr_params": [
            (key, value) for key, value in data.items() if key.startswith("attr.") and key[5:] not in choice_names
        ],
    }


def search(request: HttpRequest) -> HttpResponse:
    data = request.GET
    tree = selectors.categories_tree()
    form, params = _search_form(data, tree)
    result = None
    if params is not None:
        try:
            result = selectors.listings_search(params)
        except ValidationError as error:  # an unknown category, or an attribute it does not have
            form.add_selector_errors(error)
    category = next((node for node in tree if node.slug == data.get("category")), None)
    schema = selectors.effective_schema(category, tree) if category else []
    newest: list[Listing] = []
    if result is not None:
        _with_card_photos(result.results)
        if not result.results:  # the empty result suggests what is new
            newest = list(selectors.listings_matching(selectors.SearchParams())[0].order_by("-published_at")[:4])
            _with_card_photos(newest)
    filter_query = QueryDict(mutable=True)
    for key, values in data.lists():
        if key not in NOT_FILTERS:
            filter_query.setlist(key, values)
    return render(
        request,
        "listings/search.html",
        {
            "form": form,
            "result": result,
            "category": category,
            "breadcrumb": [node for node in tree if category and category.path.startswith(node.path)],
            **_attribute_controls(data, form, schema, result),
            "filters_open": bool(
                form.errors
                or form.attr_errors
                or any(data.get(name) for name in ADVANCED_FILTERS)
                or any(value for key, value in data.items() if key.startswith("attr."))
            ),
            "active_filters": _active_filters(data, form, tree, schema),
            "newest": newest,
            "filter_query": filter_query.urlencode(),
            "suggested_name": data.get("q") or (category.name if category else ""),
        },
    )


def listing_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        page = selectors.listing_page_get(slug=slug, member=request.user)
    except Http404:
        moved = selectors.listing_slug_redirect(slug=slug)
        if moved is not None and services.listing_visible_to(moved, request.user):
            return redirect(moved.get_absolute_url(), permanent=True)
        raise
    listing, related = page.listing, page.related
    lineage = [*listing.category.get_ancestors(), listing.category]
    schema: dict[str, dict] = {}
    for node in lineage:
        for definition in node.attribute_schema or []:
            schema[definition["name"]] = definition
    photos_with_renditions(listing.photos.all(), GALLERY_RENDITION)
    _with_card_photos(related)
    return render(
        request,
        "listings/detail.html",
        {
            "listing": listing,
            "photos": list(listing.photos.all()),
            "description_html": mark_safe(listing.description_html),  # noqa: S308 - Markdown sanitised by nh3
            "breadcrumb": lineage,
            "attributes": _attribute_rows(listing.attributes, schema),
            "related": related,
            "is_favourite": selectors.listing_is_favourite(member=request.user, listing=listing),
            "is_public": listing.status == ListingStatus.PUBLISHED,
            "location": listing.approximate_location,
        },
    )


def _attribute_rows(values: dict, schema: dict[str, dict]) -> list[dict]:
    rows = []
    for name, definition in schema.items():
        value = values.get(name)
        if value in (None, ""):
            continue
        if definition["type"] == "boolean":
            value = _("Yes") if value else _("No")
        rows.append({"label": definition.get("label") or name, "value": value})
    return rows


@require_POST
def favourite_toggle(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        if request.htmx:  # a swapped-in login page would land inside the button: send the whole page there
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{reverse('account_login')}?next={reverse('listings:detail', args=[slug])}"
            return response
        return redirect_to_login(reverse("listings:detail", args=[slug]))
    listing = selectors.listing_public_get(slug=slug, member=request.user)
    is_favourite = services.favourite_toggle(member=request.user, listing=listing)
    if request.htmx:
        return render(
            request,
            "listings/_favourite_button.html",
            {"listing": listing, "is_favourite": is_favourite, "announce": True, "next": request.POST.get("next", "")},
        )
    messages.success(request, _("Saved to your favourites.") if is_favourite else _("Removed from your favourites."))
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect(listing)


@login_required
def favourites(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.favourites_of(member=request.user), FAVOURITES_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    _with_card_photos(page.object_list)
    return render(request, "listings/favourites.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def saved_searches(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        raw_query = request.POST.get("query", "")
        search_page = reverse("listings:search") + (f"?{raw_query}" if raw_query else "")
        form, params = _search_form(QueryDict(raw_query), selectors.categories_tree())
        if params is None:
            messages.error(request, _("Fix the search before saving it."))
            return redirect(search_page)
        try:
            services.saved_search_create(
                member=request.user, name=request.POST.get("name", ""), query=params.as_query()
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(search_page)
        messages.success(request, _("Search saved. We will email you when a new listing matches it."))
        return redirect("listings:saved_searches")
    items = [
        {"saved": saved, "url": reverse("listings:search") + _encoded(saved_query_params(saved.query))}
        for saved in selectors.saved_searches_of(member=request.user)
    ]
    return render(request, "listings/saved_searches.html", {"items": items})


def _encoded(params: QueryDict) -> str:
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""


@login_required
@require_POST
def saved_search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = services.saved_search_delete(member=request.user, saved_search_id=pk)
    messages.success(request, _("Saved search “%(name)s” deleted.") % {"name": saved.name})
    return redirect("listings:saved_searches")


__all__ = [
    "favourite_toggle",
    "favourites",
    "listing_detail",
    "saved_search_delete",
    "saved_searches",
    "search",
]
