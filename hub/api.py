"""REST API foundations shared by every app: bearer tokens, pagination and the error format.

Errors: 400 `{"errors": {"field": ["message"]}}`; 401/403/404/429 `{"detail": "message"}`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.authentication import TokenAuthentication
from rest_framework.response import Response


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>`. A suspended member's token is refused (403 with the reason): the
    suspension middleware runs before DRF has authenticated a token, so the check is made here."""

    keyword = "Bearer"

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        from community import moderation

        if moderation.suspension_cached(member_id=user.pk) is not None:
            sanction = moderation.sanction_active(member=user, kinds=("suspend",))
            raise exceptions.PermissionDenied(
                moderation.sanction_message(sanction) if sanction is not None else _("Your account is suspended.")
            )
        return user, token


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


# Model fields whose API names differ: a model error on `latitude` is reported as `location.lat`.
API_FIELD_NAMES = {"latitude": "location.lat", "longitude": "location.lng", "location_name": "location.name"}


def _as_field_errors(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for field, value in detail.items():
            name = "non_field_errors" if field == "__all__" else API_FIELD_NAMES.get(field, field)
            if isinstance(value, dict):
                for sub, messages in _as_field_errors(value).items():
                    out[f"{name}.{sub}"] = messages
            else:
                out[name] = [str(m) for m in (value if isinstance(value, list) else [value])]
        return out
    return {"non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]}


def exception_handler(exc, context):
    # Imported here: DRF loads this module while rest_framework.views is still initialising.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response({"errors": _as_field_errors(detail)}, status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _as_field_errors(exc.detail)}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


def schema_public_endpoints(endpoints, **kwargs):
    """The OpenAPI schema documents /api/v1 only, not the CMS's internal admin API."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
