"""The playbook side of a lesson learned, under /forum/t/<pk>/: linking the playbooks it tests (its author or a
facilitator) and promoting it into a playbook draft (facilitators). The writes live in playbooks.lessons; a topic
the member may not see, or an action they may not take, is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.forums import selectors
from playbooks import lessons
from playbooks.models import PlaybookPage


def _ids(values) -> list[int]:
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise ValidationError({"playbooks": _("Choose published playbooks.")}) from None
    return ids


def _errors(error: ValidationError) -> list[str]:
    return error.messages


@login_required
@require_POST
def lesson_playbooks(request: HttpRequest, pk: int) -> HttpResponse:
    """POST playbook=<page id> (repeated): the playbooks this lesson tests, replacing the earlier choice."""
    topic = selectors.topic_get_for(topic_id=pk, member=request.user)
    if not lessons.can_link_playbooks(member=request.user, topic=topic):
        raise Http404
    try:
        ids = _ids(request.POST.getlist("playbook"))
        pages = list(PlaybookPage.objects.filter(pk__in=ids))
        if len(pages) != len(set(ids)):
            raise ValidationError({"playbooks": _("Choose published playbooks.")})
        lessons.lesson_playbooks_set(member=request.user, topic=topic, pages=pages)
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("The playbooks this lesson tests are saved."))
    return redirect(f"{topic.get_absolute_url()}#lesson-playbooks")


@login_required
@require_POST
def lesson_promote(request: HttpRequest, pk: int) -> HttpResponse:
    """POST playbook=<page id>: a facilitator promotes the lesson into a draft of that playbook, for review."""
    topic = selectors.topic_get_for(topic_id=pk, member=request.user)
    if not lessons.can_promote(member=request.user, topic=topic):
        raise Http404
    page = PlaybookPage.objects.filter(pk=_int_or_none(request.POST.get("playbook"))).first()
    if page is None:
        messages.error(request, _("Choose the playbook to add the lesson to."))
        return redirect(f"{topic.get_absolute_url()}#lesson-playbooks")
    try:
        lessons.lesson_promote(facilitator=request.user, topic=topic, page=page)
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The lesson is in a new draft of “%(title)s”, waiting for a second facilitator's review.")
            % {"title": page.title},
        )
    return redirect(f"{topic.get_absolute_url()}#lesson-playbooks")


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
