"""Live sessions ("events") in the REST API, under /api/v1/events.

Reads go through `community.live.selectors`, writes through `community.live.services`; errors use the format of
`hub.api` (400 `{"errors": {...}}`, 404 `{"detail": ...}` for a session the member may not see). Members only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from community.live import selectors, services
from community.models import RSVPStatus, SessionStatus, SessionVisibility


class EventHostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    capacity = serializers.IntegerField()
    seats_left = serializers.SerializerMethodField()
    topic = serializers.CharField()
    region = serializers.SerializerMethodField()
    host = EventHostSerializer()
    # Plain strings (values listed in help_text): other apps' "status" enums would collide in the schema.
    visibility = serializers.CharField(help_text=f"One of: {', '.join(SessionVisibility.values)}.")
    status = serializers.CharField(help_text=f"One of: {', '.join(SessionStatus.values)}.")
    my_rsvp = serializers.CharField(allow_null=True, help_text="going, waitlist, or null when not RSVP'd.")
    url = serializers.SerializerMethodField()
    ics_url = serializers.SerializerMethodField()

    def get_seats_left(self, session) -> int:
        return max(session.capacity - session.going_count, 0)

    @extend_schema(
        responses=inline_serializer("EventRegion", {"slug": serializers.SlugField(), "name": serializers.CharField()})
    )
    def get_region(self, session) -> dict | None:
        return {"slug": session.region.slug, "name": session.region.name} if session.region_id else None

    def get_url(self, session) -> str:
        return self.context["request"].build_absolute_uri(session.get_absolute_url())

    def get_ics_url(self, session) -> str:
        return self.context["request"].build_absolute_uri(f"{session.get_absolute_url()}event.ics")


class RSVPSerializer(serializers.Serializer):
    event = serializers.IntegerField(source="session_id")
    status = serializers.CharField(help_text=f"One of: {', '.join(RSVPStatus.values)}.")
    created_at = serializers.DateTimeField()


def _paginated(name: str, item) -> serializers.Serializer:
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


class EventListView(APIView):
    """Upcoming sessions the caller may see, soonest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="events_list",
        parameters=[
            OpenApiParameter("region", str, description="A region category's slug."),
            OpenApiParameter("topic", str, description="Part of the topic, case-insensitive."),
        ],
        responses=_paginated("PaginatedEvents", EventSerializer),
    )
    def get(self, request):
        sessions = selectors.sessions_upcoming(
            member=request.user,
            region=request.query_params.get("region", "")[:80],
            topic=request.query_params.get("topic", "")[:80],
        )
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(sessions, request, view=self)
        return paginator.get_paginated_response(EventSerializer(page, many=True, context={"request": request}).data)


class EventDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="events_retrieve", responses=EventSerializer)
    def get(self, request, pk: int):
        session = selectors.session_get_for(session_id=pk, member=request.user)
        return Response(EventSerializer(session, context={"request": request}).data)


class EventRSVPView(APIView):
    """POST takes a seat (or a waitlist place when full; 201, or 200 if already RSVP'd); DELETE gives it back."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="events_rsvp_create", request=None, responses={201: RSVPSerializer, 200: RSVPSerializer}
    )
    def post(self, request, pk: int):
        session = selectors.session_get_for(session_id=pk, member=request.user)
        existed = selectors.session_rsvp(session=session, member=request.user) is not None
        try:
            rsvp = services.rsvp_create(session=session, member=request.user)
        except PermissionDenied as error:
            raise Http404 from error
        return Response(RSVPSerializer(rsvp).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(operation_id="events_rsvp_destroy", request=None, responses={204: None})
    def delete(self, request, pk: int):
        session = selectors.session_get_for(session_id=pk, member=request.user)
        if not services.rsvp_cancel(session=session, member=request.user):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)
