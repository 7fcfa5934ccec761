"""Per-request member bookkeeping, kept cheap: one cache read for a suspension, one cache write a day for a visit.

- Days visited (a trust level requirement): the first request of the day of a signed-in member writes their
  `MemberVisit` row; the cache remembers it for the rest of the day, so later requests touch no table.
- Suspension: a suspended member's requests, from an existing session or a new sign-in, reach only their standing
  page (reason, end, appeal) and sign-out; pages redirect there, the API answers 403 with the reason.
- A service refusing a silenced or suspended member (`SanctionActive`) renders a page that says why, with status 403.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import moderation
from community.models import MemberVisit

VISIT_CACHE_SECONDS = 26 * 60 * 60
_ALWAYS_OPEN = ("/static/", "/media/", "/i18n/", "/favicon")


def visit_record(*, member_id: int) -> bool:
    """Writes today's visit of the member once; returns whether this call wrote it."""
    today = timezone.localdate()
    if not cache.add(f"trust:visit:{member_id}:{today.isoformat()}", 1, VISIT_CACHE_SECONDS):
        return False
    _visit, created = MemberVisit.objects.get_or_create(member_id=member_id, day=today)
    return created


class MemberActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            suspension = moderation.suspension_cached(member_id=user.pk)
            if suspension is not None and not self._open_when_suspended(request.path):
                return self._suspended(request)
            if suspension is None:
                visit_record(member_id=user.pk)
        return self.get_response(request)

    @staticmethod
    def _open_when_suspended(path: str) -> bool:
        # The standing page and its appeal form live under the same prefix.
        return (
            path.startswith(reverse("community:standing"))
            or path == reverse("account_logout")
            or path.startswith(_ALWAYS_OPEN)
        )

    @staticmethod
    def _suspended(request: HttpRequest) -> HttpResponse:
        sanction = moderation.sanction_active(member=request.user, kinds=("suspend",))
        message = moderation.sanction_message(sanction) if sanction else _("Your account is suspended.")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        if request.method != "GET" or request.headers.get("HX-Request"):
            return render(request, "community/moderation/refused.html", {"message": message}, status=403)
        return redirect("community:standing")

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, moderation.SanctionActive) and not request.path.startswith("/api/"):
            return render(request, "community/moderation/refused.html", {"message": str(exception)}, status=403)
        return None
