"""Notification pages: the list (mark one or all read), email preferences, and the unsubscribe link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from community.models import NotificationKind
from community.notifications import selectors, services
from community.notifications.forms import EmailPreferencesForm

PAGE_SIZE = 50


def notifications_list_render(request: HttpRequest) -> HttpResponse:
    items = list(selectors.notifications_for(member=request.user)[:PAGE_SIZE])
    unread = any(item.read_at is None for item in items)
    # htmx swaps just the list after "mark read"; a plain form post gets the whole page.
    template = "community/_notifications_list.html" if request.htmx else "community/notifications.html"
    return render(request, template, {"notifications": items, "unread": unread})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    if services.notification_read(member=request.user, notification_id=pk) is None:
        raise Http404
    if not request.htmx:
        return redirect("community:notifications")
    return notifications_list_render(request)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    current = selectors.email_preferences(member=request.user)
    form = EmailPreferencesForm(request.POST or None, initial_choices=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.email_preferences_update(member=request.user, preferences=form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your email choices are saved."))
            return redirect("community:notification_settings")
    return render(request, "community/notification_settings.html", {"form": form})


@csrf_exempt  # mail clients POST here for one-click unsubscribe (RFC 8058); the signed token is the credential
@require_http_methods(["GET", "POST"])
def notifications_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link would stop and a button; only a POST changes anything, so a mail scanner that
    opens every link in an email does not unsubscribe the member."""
    try:
        if request.method == "POST":
            member, kind = services.email_unsubscribe(token=token)
        else:
            member, kind = services.unsubscribe_token_read(token=token)
    except ValidationError as error:
        return render(request, "community/notifications_unsubscribe.html", {"error": error.messages[0]}, status=400)
    return render(
        request,
        "community/notifications_unsubscribe.html",
        {
            "kind_label": NotificationKind(kind).label,
            "signed_in": request.user == member,
            "done": request.method == "POST",
        },
    )
