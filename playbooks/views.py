"""HTML for playbooks. The pages' routes call these: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from community.models import SellerStage
from playbooks import lessons, selectors, services
from playbooks.forms import FeedbackForm, PlaybookFilterForm, ProgressForm, TemplateUseForm
from playbooks.models import BusinessModelKind, PlaybookIndexPage, PlaybookPage, TemplateUseContext, WelcomeSeriesItem


def _query(params: dict[str, Any], **changes: Any) -> str:
    merged = {**params, **changes}
    clean = {key: value for key, value in merged.items() if value not in (None, "")}
    return f"?{urlencode(clean)}" if clean else "?"


def _filter_chips(form: PlaybookFilterForm, params: dict[str, str]) -> list[dict[str, str]]:
    filters = form.filters()
    labels = {
        "q": f"“{filters.q}”" if filters.q else "",
        "category": filters.category.name if filters.category else "",
        "region": filters.region.name if filters.region else "",
        "business": dict(BusinessModelKind.choices).get(filters.business, ""),
        "stage": dict(SellerStage.choices).get(filters.stage, ""),
        "tag": f"#{filters.tag}" if filters.tag else "",
    }
    return [
        {"label": str(label), "url": _query(params, **{key: "", "page": ""})} for key, label in labels.items() if label
    ]


def playbook_index_context(request: HttpRequest, *, index_page: PlaybookIndexPage) -> dict[str, Any]:
    form = PlaybookFilterForm(request.GET)
    valid = form.is_valid()
    filters = form.filters() if valid else selectors.PlaybookFilters()
    params = {key: value for key, value in request.GET.items() if key in form.fields and value}
    paginator = Paginator(selectors.playbook_cards(selectors.playbooks_filtered(filters)), index_page.PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return {
        "form": form,
        "filters": filters,
        "filters_valid": valid,
        "page_obj": page_obj,
        "playbooks": page_obj.object_list,
        "chips": _filter_chips(form, params) if valid else [],
        "previous_url": _query(params, page=page_obj.previous_page_number()) if page_obj.has_previous() else "",
        "next_url": _query(params, page=page_obj.next_page_number()) if page_obj.has_next() else "",
        "tag_links": [
            {**tag, "url": _query(params, tag=tag["tag__slug"], page="")} for tag in selectors.playbook_tags_in_use()
        ],
        "welcome_url": index_page.url + index_page.reverse_subpage("welcome"),
    }


def welcome_series_view(request: HttpRequest, *, index_page: PlaybookIndexPage) -> HttpResponse:
    stage = request.GET.get("stage") or selectors.member_stage(request.user)
    if stage not in SellerStage.values:
        stage = SellerStage.NEW
    series = selectors.welcome_series_for_stage(stage)
    base = index_page.url + index_page.reverse_subpage("welcome")
    return TemplateResponse(
        request,
        "playbooks/welcome.html",
        {
            "page": index_page,
            "self": index_page,
            "stage": stage,
            "stage_label": dict(SellerStage.choices)[stage],
            "stages": [
                {"value": value, "label": label, "url": f"{base}?stage={value}", "current": value == stage}
                for value, label in SellerStage.choices
            ],
            "series": series,
            "progress": selectors.welcome_series_progress(member=request.user, series=series),
        },
    )


def _page_urls(page: PlaybookPage) -> dict[str, str]:
    return {
        "progress_url": page.url + page.reverse_subpage("progress"),
        "feedback_url": page.url + page.reverse_subpage("feedback"),
        "template_use_url": page.url + page.reverse_subpage("template_use"),
    }


def _series_next(page: PlaybookPage) -> PlaybookPage | None:
    item = WelcomeSeriesItem.objects.filter(page=page, series__live=True).select_related("series").first()
    if item is None:
        return None
    following = (
        WelcomeSeriesItem.objects.filter(
            series=item.series, sort_order__gt=item.sort_order, page__in=selectors.playbooks_live()
        )
        .select_related("page")
        .order_by("sort_order")
        .first()
    )
    return following.page if following else None


def playbook_page_context(request: HttpRequest, *, page: PlaybookPage) -> dict[str, Any]:
    if getattr(request, "is_preview", False) or page.pk is None:
        # A CMS preview (perhaps of a page not saved yet): the content only, no member's state or forms.
        return {"progress": selectors.PlaybookProgress(page=page, steps=page.steps), "is_preview": True}
    feedback = selectors.feedback_of(member=request.user, page=page)
    initial = {"helpful": "yes" if feedback.helpful else "no", "comment": feedback.comment} if feedback else {}
    return {
        **_page_urls(page),
        "progress": selectors.playbook_progress(member=request.user, page=page),
        "feedback": feedback,
        "feedback_form": FeedbackForm(initial=initial),
        "feedback_summary": selectors.feedback_summary(page=page),
        "series_next": _series_next(page),
        "lessons_testing": lessons.lessons_testing(page=page, member=request.user),
    }


def _require_post_member(request: HttpRequest, page: PlaybookPage) -> HttpResponse | None:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(page.url)
    return None


def progress_toggle_view(request: HttpRequest, *, page: PlaybookPage) -> HttpResponse:
    refused = _require_post_member(request, page)
    if refused:
        return refused
    form = ProgressForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose a step."))
    step = form.cleaned_data["step"]
    done = form.cleaned_data["done"] if request.POST.get("done") in ("0", "1") else None
    try:
        services.welcome_step_toggle(member=request.user, page=page, step=step, done=done)
    except ValidationError:
        return HttpResponseBadRequest(_("This playbook has no such step."))
    if getattr(request, "htmx", False):
        progress = selectors.playbook_progress(member=request.user, page=page)
        found = next(item for item in progress.steps if item.key == step)
        return TemplateResponse(
            request,
            "playbooks/_step_toggle_response.html",
            {"page": page, "progress": progress, "step": found, **_page_urls(page)},
        )
    anchor = f"#step-{step.replace(':', '')}"
    return redirect(page.url + anchor)


def feedback_view(request: HttpRequest, *, page: PlaybookPage) -> HttpResponse:
    refused = _require_post_member(request, page)
    if refused:
        return refused
    form = FeedbackForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.feedback_submit(
                member=request.user,
                page=page,
                helpful=form.cleaned_data["helpful"],
                comment=form.cleaned_data["comment"],
            )
        except services.FeedbackRateLimited as exc:
            return TemplateResponse(request, "429.html", {"detail": str(exc)}, status=429)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = _("Say whether the playbook helped, and keep the comment short.")
    if error:
        context = {"page": page, "self": page, **playbook_page_context(request, page=page)}
        context.update({"feedback_form": form, "feedback_error": error})
        return TemplateResponse(request, "playbooks/playbook_page.html", context, status=400)
    messages.success(request, _("Thank you: your feedback reaches the playbook's facilitators."))
    return redirect(page.url + "#feedback")


def template_use_view(request: HttpRequest, *, page: PlaybookPage) -> HttpResponse:
    """POST block_id, and optionally context ("listing_form", "order_page", "messaging" or "playbook_page", the
    default) and the id of the member's own listing (anyone else's is a 404). Answers 204; called by the copy
    buttons here and on order pages, and the insert buttons of the listing form and conversations."""
    refused = _require_post_member(request, page)
    if refused:
        return refused
    form = TemplateUseForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    listing = None
    if form.cleaned_data["listing"]:
        from listings.models import Listing

        listing = get_object_or_404(Listing, pk=form.cleaned_data["listing"], seller=request.user)
    try:
        services.template_use_record(
            member=request.user,
            page=page,
            block_id=form.cleaned_data["block_id"],
            context=form.cleaned_data["context"] or TemplateUseContext.PLAYBOOK_PAGE,
            listing=listing,
        )
    except (ValidationError, PermissionDenied):
        return HttpResponseBadRequest()
    return HttpResponse(status=204)
