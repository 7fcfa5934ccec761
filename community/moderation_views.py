"""Pages for trust levels (the member's own page and the help page) and moderation (the member's standing and
appeal; the moderators' dashboard, member and post pages). Each view parses, checks permission, calls one service
or selector and renders. Moderator pages answer 404 to everyone else."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from community import moderation, trust
from community.forums.selectors import member_can_moderate
from community.models import (
    Appeal,
    Flag,
    Member,
    MemberTrust,
    Post,
    PostRevision,
    Sanction,
    SanctionKind,
    TrustLevel,
)

LOG_PER_PAGE = 50


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _moderator_or_404(request: HttpRequest) -> None:
    if not member_can_moderate(request.user):
        raise Http404


# --- Forms ----------------------------------------------------------------------------------------------------------


class AppealForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Why should moderators reconsider?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
    )


class SanctionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[
            (SanctionKind.SILENCE, gettext_lazy("Silence: can read, cannot post or send messages")),
            (SanctionKind.SUSPEND, gettext_lazy("Suspend: cannot use the site")),
        ],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (the member reads it)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    days = forms.IntegerField(label=gettext_lazy("Days"), min_value=0, max_value=365, initial=7)
    hours = forms.IntegerField(label=gettext_lazy("Hours"), min_value=0, max_value=23, initial=0)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )


class TrustLockForm(forms.Form):
    level = forms.TypedChoiceField(
        label=gettext_lazy("Lock at level"),
        choices=[("", gettext_lazy("Not locked: computed from activity")), *TrustLevel.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000, required=False)


# --- Trust ----------------------------------------------------------------------------------------------------------


@login_required
def trust_page(request: HttpRequest) -> HttpResponse:
    progress = trust.trust_progress(member=request.user)
    kept = trust.trust_regular_kept(member=request.user) if progress.level == TrustLevel.REGULAR else []
    return render(request, "community/trust.html", {"progress": progress, "kept": kept})


def trust_help(request: HttpRequest) -> HttpResponse:
    levels = [
        {
            "level": level,
            "label": label,
            "paths": trust.RULES.get(level, ()),
            "allows": trust.ALLOWANCES[level].summary,
        }
        for level, label in TrustLevel.choices
    ]
    return render(
        request,
        "community/trust_help.html",
        {
            "levels": levels,
            "metric_labels": trust.METRIC_LABELS,
            "window_days": trust.REGULAR_WINDOW.days,
            "grace_days": trust.REGULAR_GRACE.days,
            "flag_threshold": trust.FLAG_WEIGHT_TO_HIDE,
        },
    )


# --- The member's standing ------------------------------------------------------------------------------------------


@login_required
def standing(request: HttpRequest) -> HttpResponse:
    sanctions = list(moderation.member_sanctions(member=request.user))
    return render(
        request,
        "community/moderation/standing.html",
        {"sanctions": sanctions, "form": AppealForm(), "active": [s for s in sanctions if s.is_active]},
    )


@login_required
@require_POST
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = get_object_or_404(Sanction, pk=pk, member=request.user)
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            moderation.appeal_create(sanction=sanction, member=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Your appeal is sent. A moderator will answer here."))
            return redirect("community:standing")
    sanctions = list(moderation.member_sanctions(member=request.user))
    return render(
        request,
        "community/moderation/standing.html",
        {
            "sanctions": sanctions,
            "form": form,
            "form_for": sanction.pk,
            "active": [s for s in sanctions if s.is_active],
        },
        status=400,
    )


# --- Moderators -----------------------------------------------------------------------------------------------------


@login_required
def moderation_home(request: HttpRequest) -> HttpResponse:
    _moderator_or_404(request)
    page = Paginator(moderation.moderation_log(), LOG_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "community/moderation/home.html",
        {
            "appeals": moderation.appeals_open(),
            "sanctions": moderation.sanctions_active(),
            "page": page,
            "reason_form": ReasonForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def moderation_member(request: HttpRequest, pk: int) -> HttpResponse:
    _moderator_or_404(request)
    member = get_object_or_404(Member.objects.select_related("profile"), pk=pk)
    form = SanctionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                moderation.sanction_create(
                    member=member,
                    moderator=request.user,
                    kind=data["kind"],
                    reason=data["reason"],
                    duration=timedelta(days=data["days"], hours=data["hours"]),
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Done: %(name)s has been told why.") % {"name": member.display_name})
                return redirect("community:moderation_member", pk=member.pk)
        status = 400
    stored = MemberTrust.objects.filter(member=member).first()
    return render(
        request,
        "community/moderation/member.html",
        {
            "member": member,
            "form": form,
            "sanctions": moderation.member_sanctions(member=member),
            "trust": stored,
            "lock_form": TrustLockForm(initial={"level": stored.locked_level if stored else None}),
            "reason_form": ReasonForm(),
            "log": moderation.moderation_log().filter(member=member)[:20],
        },
        status=status,
    )


@login_required
@require_POST
def moderation_trust_lock(request: HttpRequest, pk: int) -> HttpResponse:
    _moderator_or_404(request)
    member = get_object_or_404(Member, pk=pk)
    form = TrustLockForm(request.POST)
    if form.is_valid():
        trust.trust_level_lock(
            member=member, moderator=request.user, level=form.cleaned_data["level"], reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Trust level saved."))
    else:
        messages.error(request, _("Choose a level from 0 to 4, or none."))
    return redirect("community:moderation_member", pk=member.pk)


@login_required
@require_POST
def sanction_lift(request: HttpRequest, pk: int) -> HttpResponse:
    _moderator_or_404(request)
    sanction = get_object_or_404(Sanction, pk=pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        moderation.sanction_lift(sanction=sanction, moderator=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The sanction is lifted."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or "community:moderation")


@login_required
@require_POST
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _moderator_or_404(request)
    appeal = get_object_or_404(Appeal, pk=pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    decision = request.POST.get("decision")
    if decision not in ("grant", "deny"):
        messages.error(request, _("Grant or deny the appeal."))
        return redirect("community:moderation")
    try:
        moderation.appeal_decide(
            appeal=appeal,
            moderator=request.user,
            grant=decision == "grant",
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The appeal is decided and the member told."))
    return redirect("community:moderation")


@login_required
@require_http_methods(["GET", "POST"])
def moderation_post(request: HttpRequest, pk: int) -> HttpResponse:
    """A post with every earlier version of it and its flags; hide or restore it with a reason."""
    _moderator_or_404(request)
    post = get_object_or_404(Post.objects.select_related("topic", "author__profile"), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST":
        form.is_valid()
        action = moderation.post_hide if request.POST.get("action") == "hide" else moderation.post_restore
        try:
            action(post=post, moderator=request.user, reason=form.cleaned_data.get("reason", ""))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Saved, and written to the moderation log."))
            return redirect("community:moderation_post", pk=post.pk)
    return render(
        request,
        "community/moderation/post.html",
        {
            "post": post,
            "revisions": PostRevision.objects.filter(post=post).select_related("edited_by__profile"),
            "flags": Flag.objects.filter(post=post).select_related("flagger__profile"),
            "form": form,
            "log": moderation.moderation_log().filter(post=post)[:20],
        },
        status=400 if form.errors else 200,
    )
