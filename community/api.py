"""Members in the REST API: tokens and the signed-in member."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from community import selectors, services
from community.models import Member, Profile


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class LocationSerializer(serializers.Serializer):
    name = serializers.CharField(source="location_name", max_length=120, allow_blank=True, required=False)
    lat = serializers.DecimalField(
        source="latitude",
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        allow_null=True,
        required=False,
        coerce_to_string=False,
    )
    lng = serializers.DecimalField(
        source="longitude",
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        allow_null=True,
        required=False,
        coerce_to_string=False,
    )

    def validate(self, attrs):
        if (attrs.get("latitude") is None) != (attrs.get("longitude") is None):
            raise serializers.ValidationError({"lng": "Give both lat and lng, or neither."})
        return attrs


class ProfileSerializer(serializers.ModelSerializer):
    location = LocationSerializer(source="*", required=False)
    avatar = serializers.ImageField(read_only=True)

    class Meta:
        model = Profile
        fields = ["display_name", "avatar", "bio", "location", "languages", "timezone", "seller_stage"]


class MeSerializer(serializers.ModelSerializer):
    profile = ProfileSerializer()
    roles = serializers.SerializerMethodField()
    verifications = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = ["id", "email", "profile", "roles", "verifications", "date_joined"]

    def get_roles(self, member: Member) -> list[str]:
        return sorted(member.role_names)

    def get_verifications(self, member: Member) -> list[str]:
        return selectors.member_badges(member)


class TokenView(APIView):
    """Exchanges an email and password for a bearer token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # allauth's adapter applies the same per-email "login_failed" limit as the login form.
        try:
            member = get_adapter(request._request).authenticate(
                request._request,
                email=serializer.validated_data["email"].lower(),
                password=serializer.validated_data["password"],
            )
        except DjangoValidationError:
            return Response(
                {"detail": "Too many failed attempts for this account. Try again later."},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if member is None or not member.is_active:
            return Response({"errors": {"non_field_errors": ["Email or password is not right."]}}, status=400)
        if not EmailAddress.objects.filter(user=member, verified=True).exists():
            return Response({"errors": {"email": ["Verify your email address first; we sent you a link."]}}, status=400)
        token, _created = Token.objects.get_or_create(user=member)
        return Response({"token": token.key}, status=status.HTTP_200_OK)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        member = selectors.members_with_badges().get(pk=request.user.pk)
        return Response(MeSerializer(member).data)

    @extend_schema(request=ProfileSerializer, responses=MeSerializer)
    def patch(self, request):
        serializer = ProfileSerializer(instance=request.user.profile, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.profile_update(member=request.user, data=dict(serializer.validated_data))
        member = selectors.members_with_badges().get(pk=request.user.pk)
        return Response(MeSerializer(member).data)
