"""Live session pages under /live/. Each view parses, finds what the member may see through the selectors (anything
else is a 404), calls one service and renders or redirects. Every room action is a POST form that works without
JavaScript; with JavaScript the page sends the same actions over the websocket and updates live."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community.live import ics, selectors, services
from community.live.forms import ChatForm, QuestionForm, SessionForm
from community.models import RSVPStatus, SessionVisibility


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error) or _("You cannot do this.")


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    region = request.GET.get("region", "")[:80]
    topic = request.GET.get("topic", "")[:80]
    return render(
        request,
        "community/live/index.html",
        {
            "upcoming": list(selectors.sessions_upcoming(member=request.user, region=region, topic=topic)[:50]),
            "past": selectors.sessions_past(member=request.user),
            "can_host": selectors.member_can_host(request.user),
            "regions": selectors.regions(),
            "region": region,
            "topic": topic,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    if not selectors.member_can_host(request.user):
        raise PermissionDenied
    form = SessionForm(request.POST or None, initial={"visibility": SessionVisibility.MEMBERS})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                session = services.session_schedule(host=request.user, **form.service_kwargs())
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Session scheduled."))
                return redirect(session)
    return render(request, "community/live/edit.html", {"form": form, "session": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for(session_id=pk, member=request.user)
    if session.host_id != request.user.pk:
        raise PermissionDenied
    initial = {
        "title": session.title,
        "description": session.description,
        "starts_at": session.starts_at,
        "duration_minutes": session.duration_minutes,
        "capacity": session.capacity,
        "topic": session.topic,
        "region": session.region,
        "visibility": session.visibility,
        "role": session.role,
        "invitees": "\n".join(member.email for member in session.invitees.all()),
    }
    form = SessionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.session_update(session=session, member=request.user, **form.service_kwargs())
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Session updated."))
                return redirect(session)
    return render(request, "community/live/edit.html", {"form": form, "session": session}, status=status)


@login_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for(session_id=pk, member=request.user)
    rsvp = selectors.session_rsvp(session=session, member=request.user)
    return render(
        request,
        "community/live/session.html",
        {
            "session": session,
            "rsvp": rsvp,
            "waitlist_position": selectors.waitlist_position(rsvp=rsvp)
            if rsvp and rsvp.status == RSVPStatus.WAITLIST
            else None,
            "seats_left": max(session.capacity - session.going_count, 0),
            "questions": selectors.session_questions(session=session, member=request.user),
            "chat": selectors.session_chat(session=session),
            "presence": selectors.presence_count(session_id=session.pk),
            "is_host": session.host_id == request.user.pk,
            "can_moderate": selectors.member_may_moderate_session(session=session, member=request.user),
            "question_form": QuestionForm(),
            "chat_form": ChatForm(),
        },
    )


def _session_action(request: HttpRequest, pk: int, call, success: str, **kwargs) -> HttpResponse:
    session = selectors.session_get_for(session_id=pk, member=request.user)
    try:
        call(session=session, **kwargs)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        if success:
            messages.success(request, success)
    return redirect(session)


@login_required
@require_POST
def rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    if request.POST.get("action") == "cancel":
        return _session_action(request, pk, services.rsvp_cancel, _("You gave your place back."), member=request.user)
    session = selectors.session_get_for(session_id=pk, member=request.user)
    try:
        place = services.rsvp_create(session=session, member=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        if place.status == RSVPStatus.GOING:
            messages.success(request, _("You're going. We'll remind you a day and an hour before."))
        else:
            messages.info(request, _("The session is full: you're on the waitlist and will get the next free seat."))
    return redirect(session)


@login_required
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_action(request, pk, services.session_cancel, _("Session cancelled."), member=request.user)


@login_required
@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_action(
        request, pk, services.session_end_and_archive, _("Session ended and archived."), member=request.user
    )


@login_required
@require_POST
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_action(
        request, pk, services.question_ask, _("Question added."), author=request.user, body=request.POST.get("body", "")
    )


@login_required
@require_POST
def chat(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_action(request, pk, services.chat_post, "", author=request.user, body=request.POST.get("body", ""))


QUESTION_ACTIONS = {
    "upvote": (services.question_upvote, {}),
    "answer": (services.question_answer, {"answered": True}),
    "unanswer": (services.question_answer, {"answered": False}),
    "pin": (services.question_pin, {"pinned": True}),
    "unpin": (services.question_pin, {"pinned": False}),
    "remove": (services.question_remove, {}),
}


@login_required
@require_POST
def question_action(request: HttpRequest, pk: int, question_id: int, action: str) -> HttpResponse:
    if action not in QUESTION_ACTIONS:
        raise Http404
    call, extra = QUESTION_ACTIONS[action]
    return _session_action(request, pk, call, "", question_id=question_id, member=request.user, **extra)


# --- Calendars -----------------------------------------------------------------------------------------------------


def _ics_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for(session_id=pk, member=request.user)
    return _ics_response(ics.calendar([session]), f"guildhall-live-{session.pk}.ics")


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The member's calendar feed: anyone holding the secret URL reads it (calendar apps cannot sign in)."""
    member = selectors.feed_member(token=token)
    if member is None:
        raise Http404
    body = ics.calendar(selectors.feed_sessions(member=member), name=_("Guildhall live sessions"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.feed_token_revoke(member=request.user)
            messages.success(request, _("Your calendar feed address no longer works."))
        else:
            services.feed_token_rotate(member=request.user)
            messages.success(request, _("Your calendar feed has a new address; the old one no longer works."))
        return redirect("live:calendar")
    token = selectors.feed_token_for(member=request.user)
    feed_url = request.build_absolute_uri(reverse("live:feed", kwargs={"token": token.token})) if token else ""
    return render(request, "community/live/calendar.html", {"feed_url": feed_url})
