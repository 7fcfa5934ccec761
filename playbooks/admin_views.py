"""The facilitators' feedback queue in the CMS: members' comments on playbooks, resolved one by one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from playbooks import selectors, services
from playbooks.models import PlaybookFeedback

STATUSES = {"open": gettext_lazy("Open"), "resolved": gettext_lazy("Resolved"), "all": gettext_lazy("All")}


def feedback_queue_view(request: HttpRequest) -> HttpResponse:
    if not services.can_review_feedback(request.user):
        raise PermissionDenied
    status = request.GET.get("status", "open")
    if status not in STATUSES:
        status = "open"
    page_obj = Paginator(selectors.feedback_queue(status=status), 30).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "playbooks/admin/feedback_queue.html",
        {
            "page_title": _("Playbook feedback"),
            "header_icon": "comment",
            "status": status,
            "statuses": [(key, str(label)) for key, label in STATUSES.items()],
            "page_obj": page_obj,
        },
    )


@require_POST
def feedback_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    feedback = get_object_or_404(PlaybookFeedback, pk=pk)
    resolved = request.POST.get("resolved", "1") == "1"
    services.feedback_resolve(feedback=feedback, resolved_by=request.user, resolved=resolved)
    messages.success(request, _("Feedback marked resolved.") if resolved else _("Feedback reopened."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return redirect(next_url or "playbooks_feedback_queue")
