"""Mentoring in the REST API: ranked mentor suggestions, requests and their acceptance, and a mentorship's sessions.

Reads go through `mentoring.selectors`, writes through `mentoring.services`; errors use the format of `hub.api`
(400 `{"errors": {"goals": [...]}}`, 404/429 `{"detail": ...}`). Mentors and mentees are identified by their member
id. A mentorship that is not the member's own answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import Member
from hub.api import PageNumberPagination
from mentoring import selectors, services
from mentoring.models import Mentorship, MentorshipSession, Track

# ---------------------------------------------------------------------------------------------------------------
# Read serializers
# ---------------------------------------------------------------------------------------------------------------


class MentorshipMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class MentorCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()


class TrackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    stage = serializers.CharField()


class MentorSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="member_id", help_text="The mentor's member id (use it to send a request).")
    display_name = serializers.CharField(source="member.display_name")
    headline = serializers.CharField()
    stage = serializers.CharField(source="member.profile.seller_stage")
    languages = serializers.ListField(child=serializers.CharField(), source="member.profile.languages")
    timezone = serializers.CharField(source="member.profile.timezone")
    categories = serializers.SerializerMethodField()
    skills = serializers.SerializerMethodField()
    availability = serializers.CharField()
    places_left = serializers.SerializerMethodField()

    @extend_schema_field(MentorCategorySerializer(many=True))
    def get_categories(self, mentor) -> list[dict[str, Any]]:
        return MentorCategorySerializer(mentor.categories.all(), many=True).data

    def get_skills(self, mentor) -> list[str]:
        return sorted(tag.name for tag in mentor.skills.all())

    def get_places_left(self, mentor) -> int:
        return max(0, mentor.capacity - mentor.engaged_count)


class SuggestionSerializer(serializers.Serializer):
    mentor = MentorSerializer()
    score = serializers.IntegerField(help_text="0 to 100; higher fits better.")
    reasons = serializers.SerializerMethodField(help_text="Why, in the request's language.")
    requested = serializers.BooleanField(help_text="A request of yours is waiting with this mentor.")

    def get_reasons(self, suggestion) -> list[str]:
        return [str(reason) for reason in suggestion.reasons]


class GoalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    progress = serializers.IntegerField(help_text="0 to 100.")


class MentorshipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="The mentorship's page.")
    state = serializers.CharField(help_text="proposed, accepted, active, completed or ended.")
    origin = serializers.CharField(help_text="request or intake.")
    score = serializers.IntegerField(help_text="The match score when it was proposed.")
    mentor = MentorshipMemberSerializer()
    mentee = MentorshipMemberSerializer()
    track = TrackSerializer()
    goals = GoalSerializer(many=True, source="goals.all")
    end_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, mentorship) -> str:
        return self.context["request"].build_absolute_uri(mentorship.get_absolute_url())


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scheduled_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    notes = serializers.CharField()
    logged_by = MentorshipMemberSerializer(allow_null=True)
    logged_at = serializers.DateTimeField()


# ---------------------------------------------------------------------------------------------------------------
# Input serializers
# ---------------------------------------------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "A track id or slug."})
class TrackInputField(serializers.Field):
    default_error_messages = {"invalid": "Give a track id or slug.", "unknown": "Unknown track."}

    def to_internal_value(self, data) -> Track:
        if isinstance(data, bool) or not isinstance(data, (int, str)) or data == "":
            self.fail("invalid")
        lookup = {"pk": data} if isinstance(data, int) else {"slug": str(data).strip()[:120]}
        track = Track.objects.filter(**lookup).first()
        if track is None:
            self.fail("unknown")
        return track

    def to_representation(self, value):
        return value.pk


class MentorshipRequestSerializer(serializers.Serializer):
    mentor = serializers.IntegerField(min_value=1, help_text="The mentor's member id, from the suggestions.")
    track = TrackInputField(required=False, help_text="Your mentee profile's track when left out.")
    goals = serializers.ListField(
        child=serializers.CharField(max_length=200),
        min_length=1,
        max_length=services.MAX_GOALS,
        help_text=f"1 to {services.MAX_GOALS} goals, each at most 200 characters.",
    )

    def validate_mentor(self, value: int) -> Member:
        member = Member.objects.filter(pk=value, is_active=True).first()
        if member is None:
            raise serializers.ValidationError("Unknown mentor.")
        return member


class SessionInputSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField(help_text="ISO 8601 with an offset; without one it is taken as UTC.")
    duration_minutes = serializers.IntegerField(min_value=10, max_value=480)
    notes = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")


# ---------------------------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------------------------


def _service_call(call, *args, **kwargs):
    """Runs a service; its rate limit answers 429, its other refusals 400 with field errors (hub.api)."""
    try:
        return call(*args, **kwargs)
    except DjangoValidationError as error:
        if getattr(error, "code", None) == "rate_limited":
            raise exceptions.Throttled(detail=" ".join(error.messages)) from error
        raise


def _mentorship_response(request, mentorship_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    mentorship = (
        Mentorship.objects.select_related("mentor__profile", "mentee__profile", "track")
        .prefetch_related("goals")
        .get(pk=mentorship_id)
    )
    return Response(MentorshipSerializer(mentorship, context={"request": request}).data, status=status_code)


class SuggestionListView(APIView):
    """The mentors who fit the signed-in mentee best, highest score first, with the reasons."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="mentoring_suggestions",
        responses={200: inline_serializer("SuggestionList", {"results": SuggestionSerializer(many=True)})},
    )
    def get(self, request):
        if selectors.mentee_profile_of(member=request.user) is None:
            raise exceptions.PermissionDenied("Fill in your mentee profile first (/mentoring/mentee/).")
        suggestions = selectors.mentoring_suggestions(mentee=request.user)
        return Response({"results": SuggestionSerializer(suggestions, many=True).data})


class MentorshipRequestView(APIView):
    """A mentee asks a mentor; the mentor accepts or declines. At most ten requests a day."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="mentoring_request_create",
        request=MentorshipRequestSerializer,
        responses={201: MentorshipSerializer},
    )
    def post(self, request):
        serializer = MentorshipRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        mentorship = _service_call(
            services.mentorship_request,
            mentee=request.user,
            mentor=data["mentor"],
            track=data.get("track"),
            goals=data["goals"],
        )
        return _mentorship_response(request, mentorship.pk, status_code=status.HTTP_201_CREATED)


class MentorshipAcceptView(APIView):
    """The mentor accepts a request, within their capacity. Anyone else gets 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="mentoring_request_accept", request=None, responses=MentorshipSerializer)
    def post(self, request, pk: int):
        if not Mentorship.objects.filter(pk=pk, mentor=request.user).exists():
            raise exceptions.NotFound
        mentorship = _service_call(services.mentorship_accept, mentorship_id=pk, mentor=request.user)
        return _mentorship_response(request, mentorship.pk)


class MentorshipSessionsView(APIView):
    """A mentorship's sessions (newest first), and logging one. Only its two members; anyone else gets 404."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="mentoring_sessions_list",
        responses=inline_serializer(
            "SessionPage",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": SessionSerializer(many=True),
            },
        ),
    )
    def get(self, request, pk: int):
        mentorship = selectors.mentorship_of_party(pk=pk, member=request.user)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.mentorship_sessions(mentorship=mentorship), request, view=self)
        return paginator.get_paginated_response(SessionSerializer(page, many=True).data)

    @extend_schema(
        operation_id="mentoring_sessions_create", request=SessionInputSerializer, responses={201: SessionSerializer}
    )
    def post(self, request, pk: int):
        selectors.mentorship_of_party(pk=pk, member=request.user)
        serializer = SessionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = _service_call(services.session_log, mentorship_id=pk, by=request.user, **serializer.validated_data)
        session = MentorshipSession.objects.select_related("logged_by__profile").get(pk=session.pk)
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)
