from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from hub.health import health_report


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, cache, channel layer and broker answer; 503 naming what did not."""
    ok, checks = health_report()
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
