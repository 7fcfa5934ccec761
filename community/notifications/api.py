"""Notifications in the REST API: the member's list (paginated, `?unread=true`), mark read, email preferences.

Someone else's notification is a 404, exactly like one that does not exist. Errors use the format of `hub.api`.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from community.models import EmailDelivery, Notification, NotificationKind
from community.notifications import selectors, services


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "created_at", "read", "read_at"]

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


PreferencesSerializer = type(
    "NotificationEmailPreferencesSerializer",
    (serializers.Serializer,),
    {kind: serializers.ChoiceField(choices=EmailDelivery.choices, required=False) for kind in NotificationKind.values},
)


def _paginated(name: str, item) -> serializers.Serializer:
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "unread": serializers.IntegerField(),
            "results": item(many=True),
        },
    )


class NotificationListView(APIView):
    """The member's notifications, newest first, with their unread count."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_list",
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread notifications.")],
        responses=_paginated("PaginatedNotifications", NotificationSerializer),
    )
    def get(self, request):
        unread_param = request.query_params.get("unread", "").lower()
        if unread_param not in {"", "true", "false", "1", "0"}:
            return Response({"errors": {"unread": ["Use true or false."]}}, status=400)
        unread_only = unread_param in {"true", "1"}
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(
            selectors.notifications_for(member=request.user, unread_only=unread_only), request, view=self
        )
        response = paginator.get_paginated_response(NotificationSerializer(page, many=True).data)
        response.data["unread"] = selectors.notifications_for(member=request.user, unread_only=True).count()
        return response


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="notifications_read", request=None, responses=NotificationSerializer)
    def post(self, request, pk: int):
        notification = services.notification_read(member=request.user, notification_id=pk)
        if notification is None:
            raise NotFound()
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_read_all",
        request=None,
        responses=inline_serializer("NotificationsReadAll", {"marked": serializers.IntegerField()}),
    )
    def post(self, request):
        return Response({"marked": services.notifications_read_all(member=request.user)})


class NotificationPreferencesView(APIView):
    """Email choice per kind of notification: `immediately`, `digest` or `never`. PUT may give only some kinds."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(operation_id="notification_preferences_get", responses=PreferencesSerializer)
    def get(self, request):
        return Response(selectors.email_preferences(member=request.user))

    @extend_schema(
        operation_id="notification_preferences_update", request=PreferencesSerializer, responses=PreferencesSerializer
    )
    def put(self, request):
        if not isinstance(request.data, dict) or not request.data:
            return Response(
                {"errors": {"non_field_errors": ["Send an object of kind: immediately, digest or never."]}}, status=400
            )
        unknown = sorted(set(request.data) - set(NotificationKind.values))
        if unknown:
            return Response({"errors": {kind: ["Unknown kind of notification."] for kind in unknown}}, status=400)
        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.email_preferences_update(member=request.user, preferences=serializer.validated_data))
