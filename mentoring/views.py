"""Mentoring pages, mounted at /mentoring/: become a mentor or mentee, find a mentor, ask one, the mentor's inbox,
a mentorship (goals, sessions, completing, ending, rating) and the member's track.

Each view parses, checks permission, calls one service or selector and renders. A mentorship is seen only by its
two members (and staff, read-only); for anyone else it does not exist (404), before any input is looked at.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from community.models import Member
from mentoring import circles, outcomes, selectors, services
from mentoring.forms import (
    SKILL_SUGGESTIONS,
    CircleForm,
    CircleMemberAddForm,
    CirclePostForm,
    DeclineForm,
    EndForm,
    GoalForm,
    GoalProgressForm,
    InsightConsentForm,
    MenteeProfileForm,
    MentorProfileForm,
    MentorshipRequestForm,
    RatingForm,
    SessionForm,
)
from mentoring.models import ENGAGED_STATES, OPEN_STATES, Mentorship, MentorshipState, RatingSide

# --- helpers -------------------------------------------------------------------------------------------------------


def _member_zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    name = getattr(getattr(request.user, "profile", None), "timezone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _error_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _party_or_404(request: HttpRequest, pk: int) -> Mentorship:
    return selectors.mentorship_of_party(pk=pk, member=request.user)


# --- overview and profiles -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    mentorships = selectors.mentorships_of(member=request.user)
    return render(
        request,
        "mentoring/home.html",
        {
            "mentorships": mentorships,
            "mentor_profile": selectors.mentor_profile_of(member=request.user),
            "mentee_profile": selectors.mentee_profile_of(member=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def mentor_profile(request: HttpRequest) -> HttpResponse:
    profile = selectors.mentor_profile_of(member=request.user)
    initial = MentorProfileForm.initial_for(
        request.user, profile, selectors.member_listing_category_ids(member=request.user)
    )
    form = MentorProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mentor_profile_upsert(member=request.user, data=form.service_data())
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("Your mentor profile is saved. Mentees can now find you."))
            return redirect("mentoring:inbox")
    return render(
        request,
        "mentoring/mentor_profile.html",
        {"form": form, "profile": profile, "skill_suggestions": SKILL_SUGGESTIONS},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mentee_profile(request: HttpRequest) -> HttpResponse:
    profile = selectors.mentee_profile_of(member=request.user)
    tracks = selectors.tracks_ordered()
    stage = getattr(getattr(request.user, "profile", None), "seller_stage", "new")
    initial = MenteeProfileForm.initial_for(
        request.user,
        profile,
        selectors.member_listing_category_ids(member=request.user),
        selectors.track_for_stage(stage=stage),
    )
    form = MenteeProfileForm(request.POST or None, initial=initial, tracks=tracks)
    if request.method == "POST" and form.is_valid():
        try:
            services.mentee_profile_upsert(member=request.user, data=form.service_data())
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("Your mentee profile is saved. Here are the mentors who fit you best."))
            return redirect("mentoring:find")
    return render(
        request,
        "mentoring/mentee_profile.html",
        {"form": form, "profile": profile, "tracks": tracks, "skill_suggestions": SKILL_SUGGESTIONS},
        status=400 if form.errors else 200,
    )


# --- finding and asking a mentor -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def find(request: HttpRequest) -> HttpResponse:
    mentee = selectors.mentee_profile_of(member=request.user)
    if mentee is None:
        messages.info(request, _("First tell us about you and what you want to achieve."))
        return redirect("mentoring:mentee_profile")
    mentorships = selectors.mentorships_of(member=request.user)
    return render(
        request,
        "mentoring/find.html",
        {
            "mentee": mentee,
            "suggestions": selectors.mentoring_suggestions(mentee=request.user),
            "current": mentorships.current_as_mentee,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_mentor(request: HttpRequest, member_id: int) -> HttpResponse:
    mentee = selectors.mentee_profile_of(member=request.user)
    if mentee is None:
        messages.info(request, _("First tell us about you and what you want to achieve."))
        return redirect("mentoring:mentee_profile")
    mentor = selectors.mentors_for_matching().filter(member_id=member_id).first()
    if mentor is None or mentor.member_id == request.user.pk:
        raise Http404
    match = selectors.mentoring_match(mentee=request.user, mentor=mentor.member)
    form = MentorshipRequestForm(request.POST or None, initial={"goals": mentee.goals})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            mentorship = services.mentorship_request(
                mentee=request.user, mentor=mentor.member, track=mentee.track, goals=form.goal_lines()
            )
        except ValidationError as error:
            form.apply_service_errors(error)
            status = 429 if getattr(error, "code", None) == "rate_limited" else 400
        else:
            messages.success(
                request,
                _("Your request is sent to %(name)s. You will get a notification when they answer.")
                % {"name": mentor.member.display_name},
            )
            return redirect(mentorship)
    if form.errors and status == 200:
        status = 400
    return render(
        request,
        "mentoring/request.html",
        {"form": form, "mentor": mentor, "match": match, "mentee": mentee},
        status=status,
    )


# --- the mentor's inbox --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    profile = selectors.mentor_profile_of(member=request.user)
    mentorships = selectors.mentorships_of(member=request.user)
    engaged = [m for m in mentorships.as_mentor if m.state in ENGAGED_STATES]
    return render(
        request,
        "mentoring/inbox.html",
        {
            "profile": profile,
            "requests": selectors.mentor_inbox(mentor=request.user),
            "engaged": engaged,
            "places_left": max(0, profile.capacity - len(engaged)) if profile else 0,
            "decline_form": DeclineForm(),
        },
    )


@login_required
@require_POST
def request_accept(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        mentorship = services.mentorship_accept(mentorship_id=pk, mentor=request.user)
    except ValidationError as error:
        _error_messages(request, error)
        return redirect("mentoring:inbox")
    messages.success(
        request,
        _("You are now mentoring %(name)s. Plan your first session.") % {"name": mentorship.mentee.display_name},
    )
    return redirect(mentorship)


@login_required
@require_POST
def request_decline(request: HttpRequest, pk: int) -> HttpResponse:
    form = DeclineForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.mentorship_decline(mentorship_id=pk, mentor=request.user, note=note)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("The request is declined."))
    return redirect("mentoring:inbox")


# --- a mentorship --------------------------------------------------------------------------------------------------


def _render_mentorship(request: HttpRequest, pk: int, *, status: int = 200, **forms) -> HttpResponse:
    mentorship = selectors.mentorship_page_get(pk=pk, member=request.user)
    is_mentor = mentorship.mentor_id == request.user.pk
    is_party = mentorship.is_party(request.user)
    ratings = {rating.side: rating for rating in mentorship.ratings.all()}
    my_side = RatingSide.MENTOR if is_mentor else RatingSide.MENTEE
    can_rate = is_party and mentorship.state == MentorshipState.COMPLETED and my_side not in ratings
    zone = _member_zone(request)
    context = {
        "mentorship": mentorship,
        "is_mentor": is_mentor,
        "is_party": is_party,
        "other": mentorship.mentee if is_mentor else mentorship.mentor,
        "is_open": mentorship.state in OPEN_STATES,
        "is_engaged": mentorship.state in ENGAGED_STATES,
        "member_timezone": zone,
        "session_form": forms.get("session_form")
        or SessionForm(initial={"scheduled_at": timezone.now().replace(second=0, microsecond=0)}),
        "goal_form": forms.get("goal_form") or GoalForm(),
        "end_form": forms.get("end_form") or EndForm(),
        "rating_form": forms.get("rating_form") or RatingForm(),
        "can_rate": can_rate,
        "my_rating": ratings.get(my_side),
        "their_rating": ratings.get(RatingSide.MENTEE if is_mentor else RatingSide.MENTOR),
    }
    # Times are shown and typed in the member's own time zone.
    with timezone.override(zone):
        return render(request, "mentoring/mentorship.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def mentorship_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_mentorship(request, pk)


def _form_action(
    form_class: type, form_name: str, call: Callable[[HttpRequest, int, dict], object], success: str
) -> Callable[[HttpRequest, int], HttpResponse]:
    """A POST that validates a form and calls one service; errors re-render the mentorship page with the form."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        _party_or_404(request, pk)
        with timezone.override(_member_zone(request)):
            form = form_class(request.POST)
            valid = form.is_valid()
        if valid:
            try:
                call(request, pk, form.cleaned_data)
            except ValidationError as error:
                form.apply_service_errors(error)
            else:
                messages.success(request, success)
                return redirect("mentoring:mentorship", pk=pk)
        return _render_mentorship(request, pk, status=400, **{form_name: form})

    return view


session_create = _form_action(
    SessionForm,
    "session_form",
    lambda request, pk, data: services.session_log(mentorship_id=pk, by=request.user, **data),
    gettext_lazy("The session is logged."),
)
goal_create = _form_action(
    GoalForm,
    "goal_form",
    lambda request, pk, data: services.goal_add(mentorship_id=pk, by=request.user, text=data["text"]),
    gettext_lazy("The goal is added."),
)
mentorship_end = _form_action(
    EndForm,
    "end_form",
    lambda request, pk, data: services.mentorship_end(mentorship_id=pk, by=request.user, reason=data["reason"]),
    gettext_lazy("The mentorship has ended."),
)
mentorship_rate = _form_action(
    RatingForm,
    "rating_form",
    lambda request, pk, data: services.mentorship_rate(mentorship_id=pk, by=request.user, **data),
    gettext_lazy("Thank you: your rating is saved."),
)


@login_required
@require_POST
def goal_progress(request: HttpRequest, pk: int, goal_id: int) -> HttpResponse:
    _party_or_404(request, pk)
    form = GoalProgressForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the progress as a percentage from 0 to 100."))
        return redirect("mentoring:mentorship", pk=pk)
    try:
        services.goal_progress_set(goal_id=goal_id, by=request.user, progress=form.cleaned_data["progress"])
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("The progress is saved."))
    return redirect("mentoring:mentorship", pk=pk)


TRANSITION_VIEWS: dict[str, tuple[Callable[..., Mentorship], str]] = {
    "start": (
        lambda pk, member: services.mentorship_start(mentorship_id=pk, by=member),
        gettext_lazy("The mentorship is active."),
    ),
    "complete": (
        lambda pk, member: services.mentorship_complete(mentorship_id=pk, by=member),
        gettext_lazy("The mentorship is complete. Now rate how it went."),
    ),
    "withdraw": (
        lambda pk, member: services.mentorship_withdraw(mentorship_id=pk, mentee=member),
        gettext_lazy("Your request is withdrawn."),
    ),
}


@login_required
@require_POST
def mentorship_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _party_or_404(request, pk)
    call, success = TRANSITION_VIEWS[action]
    try:
        call(pk, request.user)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, success)
    return redirect("mentoring:mentorship", pk=pk)


# --- my track ------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_track(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        milestone_id = request.POST.get("milestone", "")
        services.milestone_mark(
            milestone_id=int(milestone_id) if milestone_id.isdigit() else 0, member=request.user, by=request.user
        )
        messages.success(request, _("Well done! The milestone is marked as reached."))
        return redirect("mentoring:track")
    services.milestones_refresh(member=request.user)
    progress = selectors.track_progress(member=request.user)
    if progress is None:
        messages.info(request, _("Choose a track first: it comes with your mentee profile."))
        return redirect("mentoring:mentee_profile")
    return render(request, "mentoring/track.html", {"progress": progress})


# --- outcomes: the insight page and the mentee's consent -------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def insight(request: HttpRequest, pk: int) -> HttpResponse:
    """The mentee's figures at the start and now, beside their peers' medians: for the mentee always, for the mentor
    only with the mentee's consent, 404 for everyone else."""
    found = outcomes.mentorship_insight(pk=pk, member=request.user)
    return render(
        request,
        "mentoring/insight.html",
        {"insight": found, "mentorship": found.mentorship, "min_peers": outcomes.MIN_PEERS},
    )


@login_required
@require_POST
def insight_consent(request: HttpRequest, pk: int) -> HttpResponse:
    form = InsightConsentForm(request.POST)
    consent = bool(form.is_valid() and form.cleaned_data["consent"])
    services.mentorship_insight_consent_set(mentorship_id=pk, mentee=request.user, consent=consent)
    if consent:
        messages.success(request, _("Your mentor can now see your shop's figures. You can stop sharing at any time."))
    else:
        messages.success(request, _("Your mentor no longer sees your shop's figures."))
    return redirect("mentoring:insight", pk=pk)


# --- coaching circles ------------------------------------------------------------------------------------------------


def _circle_form(request: HttpRequest, initial: dict | None = None) -> CircleForm:
    """The circle form, its first meeting read in the time zone chosen in it (the member's own by default)."""
    zone_name = request.POST.get("timezone") or (initial or {}).get("timezone") or ""
    try:
        zone = zoneinfo.ZoneInfo(zone_name) if zone_name else _member_zone(request)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = _member_zone(request)
    with timezone.override(zone):
        form = CircleForm(request.POST or None, initial=initial or {"timezone": zone.key, "open_to_requests": True})
        if request.method == "POST":
            form.is_valid()  # parses the first meeting in that zone; errors are read by the caller
    return form


@login_required
@require_http_methods(["GET"])
def circle_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "mentoring/circles.html",
        {
            "section": "circles",
            "mine": circles.circles_of(member=request.user),
            "to_join": circles.circles_to_join(member=request.user),
            "can_create": circles.is_facilitator(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def circle_create(request: HttpRequest) -> HttpResponse:
    if not circles.is_facilitator(request.user):
        raise Http404
    form = _circle_form(request)
    if request.method == "POST" and not form.errors:
        try:
            circle = circles.circle_create(facilitator=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("The circle is created. Now add the sellers who will meet in it."))
            return redirect(circle)
    return render(
        request, "mentoring/circle_form.html", {"form": form, "circle": None}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def circle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    circle = circles.circle_for_facilitator(pk=pk, member=request.user)
    form = _circle_form(request, initial=CircleForm.initial_for(circle))
    if request.method == "POST" and not form.errors:
        try:
            circle = circles.circle_update(circle_id=pk, facilitator=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("The circle is saved."))
            return redirect(circle)
    with timezone.override(zoneinfo.ZoneInfo(circle.timezone)):
        return render(
            request,
            "mentoring/circle_form.html",
            {"form": form, "circle": circle},
            status=400 if form.errors else 200,
        )


def _render_circle(request: HttpRequest, pk: int, *, status: int = 200, **forms) -> HttpResponse:
    found = circles.circle_page(pk=pk, member=request.user)
    with timezone.override(_member_zone(request)):
        return render(
            request,
            "mentoring/circle.html",
            {
                "section": "circles",
                "page": found,
                "circle": found.circle,
                "post_form": forms.get("post_form") or CirclePostForm(),
                "add_form": forms.get("add_form") or CircleMemberAddForm(),
            },
            status=status,
        )


@login_required
@require_http_methods(["GET"])
def circle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_circle(request, pk)


@login_required
@require_POST
def circle_post(request: HttpRequest, pk: int) -> HttpResponse:
    circles.circle_for_member(pk=pk, member=request.user)  # 404 for strangers, before the input is read
    form = CirclePostForm(request.POST)
    if form.is_valid():
        try:
            circles.circle_post_create(circle_id=pk, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("Your message is posted."))
            return redirect("mentoring:circle", pk=pk)
    return _render_circle(request, pk, status=400, post_form=form)


@login_required
@require_POST
def circle_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    circles.circle_for_facilitator(pk=pk, member=request.user)
    form = CircleMemberAddForm(request.POST)
    if form.is_valid():
        member = Member.objects.filter(email__iexact=form.cleaned_data["email"]).first()
        try:
            added = circles.circle_member_add(circle_id=pk, facilitator=request.user, member=member)
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("%(name)s is in the circle.") % {"name": added.member.display_name})
            return redirect("mentoring:circle", pk=pk)
    return _render_circle(request, pk, status=400, add_form=form)


@login_required
@require_POST
def circle_join(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        circles.circle_join_request(circle_id=pk, member=request.user)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("You asked to join. The facilitator will answer."))
    return redirect("mentoring:circles")


@login_required
@require_POST
def circle_answer(request: HttpRequest, pk: int, member_id: int, answer: str) -> HttpResponse:
    try:
        circles.circle_request_answer(
            circle_id=pk, facilitator=request.user, member_id=member_id, approve=answer == "approve"
        )
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("The request is answered."))
    return redirect("mentoring:circle", pk=pk)


@login_required
@require_POST
def circle_leave(request: HttpRequest, pk: int) -> HttpResponse:
    circles.circle_leave(circle_id=pk, member=request.user)
    messages.success(request, _("You left the circle."))
    return redirect("mentoring:circles")


@login_required
@require_POST
def circle_member_remove(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    circles.circle_member_remove(circle_id=pk, facilitator=request.user, member_id=member_id)
    messages.success(request, _("The member is removed from the circle."))
    return redirect("mentoring:circle", pk=pk)


@login_required
@require_http_methods(["GET"])
def circle_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    circle = circles.circle_for_member(pk=pk, member=request.user)
    body = circles.circle_ics(circle, url=request.build_absolute_uri(circle.get_absolute_url()))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="circle-{circle.pk}.ics"'
    return response
