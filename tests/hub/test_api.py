"""The REST API: bearer tokens, the signed-in member, the error format, throttling and the schema."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community import services
from community.models import Member, Verification, VerificationKind, VerificationStatus
from tests.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/me"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def member():
    member = MemberFactory(email="api.user@example.test", display_name="Api User")
    services.member_roles_set(member=member, roles={"seller", "buyer"})
    Verification.objects.create(member=member, kind=VerificationKind.EMAIL, status=VerificationStatus.APPROVED)
    return member


def bearer(member: Member) -> dict:
    token, _created = Token.objects.get_or_create(user=member)
    return {"HTTP_AUTHORIZATION": f"Bearer {token.key}"}


def auth_token_rate() -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_token"].split("/")[0])


def test_email_and_password_give_a_token_that_opens_me(api, member):
    # when a member exchanges their email and password for a token
    response = api.post(TOKEN, {"email": "API.User@example.test", "password": PASSWORD}, format="json")
    # then they get one
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=member).key
    # and it opens their own record
    response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == member.pk
    assert body["email"] == "api.user@example.test"
    assert body["profile"]["display_name"] == "Api User"
    assert body["roles"] == ["buyer", "seller"]
    assert body["verifications"] == ["email"]


def test_wrong_password_is_a_400_with_a_non_field_error(api, member):
    response = api.post(TOKEN, {"email": member.email, "password": "not-it"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["errors"]
    assert list(body["errors"]) == ["non_field_errors"]
    assert body["errors"]["non_field_errors"][0]
    assert not Token.objects.filter(user=member).exists()


def test_unknown_email_answers_like_a_wrong_password(api, member):
    wrong_password = api.post(TOKEN, {"email": member.email, "password": "not-it"}, format="json")
    unknown = api.post(TOKEN, {"email": "nobody@example.test", "password": PASSWORD}, format="json")
    assert unknown.status_code == wrong_password.status_code == 400
    assert unknown.json() == wrong_password.json()


def test_missing_fields_are_named(api):
    response = api.post(TOKEN, {}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"email", "password"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())


def test_unverified_email_gets_no_token(api):
    member = MemberFactory(email="unverified@example.test", verified=False)
    EmailAddress.objects.create(user=member, email=member.email, verified=False, primary=True)
    response = api.post(TOKEN, {"email": member.email, "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    assert not Token.objects.filter(user=member).exists()


def test_deactivated_member_gets_no_token(api, member):
    # given a member whom staff deactivated
    Member.objects.filter(pk=member.pk).update(is_active=False)
    # when they ask for a token with the right password
    response = api.post(TOKEN, {"email": member.email, "password": PASSWORD}, format="json")
    # then they are refused like any failed sign-in, and no token exists
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not Token.objects.filter(user=member).exists()


def test_a_deactivated_members_old_token_stops_working(api, member):
    headers = bearer(member)
    assert api.get(ME, **headers).status_code == 200
    Member.objects.filter(pk=member.pk).update(is_active=False)
    assert api.get(ME, **headers).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer not-a-real-token"}, {"HTTP_AUTHORIZATION": "Token abc"}],
    ids=["none", "bad-token", "wrong-scheme"],
)
def test_me_without_valid_credentials_is_401_with_detail(api, headers):
    response = api.get(ME, **headers)
    assert response.status_code == 401
    body = response.json()
    assert list(body) == ["detail"]
    assert body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_patch_me_updates_the_profile(api, member):
    response = api.patch(
        ME,
        {"display_name": "Renamed", "location": {"name": "York", "lat": "53.958300", "lng": "-1.080300"}},
        format="json",
        **bearer(member),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["profile"]["display_name"] == "Renamed"
    profile = Member.objects.get(pk=member.pk).profile
    assert profile.display_name == "Renamed"
    assert profile.location_name == "York"
    assert str(profile.latitude) == "53.958300"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"location": {"lat": 200, "lng": 0}}, "location.lat"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"display_name": "x" * 500}, "display_name"),
        ({"languages": ["en", "klingon"]}, "languages"),
        ({"location": {"lat": 10}}, "location.lng"),
    ],
    ids=["latitude-200", "timezone", "long-name", "language", "lat-without-lng"],
)
def test_patch_me_with_bad_data_is_a_400_naming_the_field_and_saves_nothing(api, member, payload, field):
    # when a client sends an invalid value
    response = api.patch(ME, {"bio": "changed", **payload}, format="json", **bearer(member))
    # then the answer names the field and nothing is saved
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors, errors
    assert all(isinstance(message, str) and message for message in errors[field])
    profile = Member.objects.get(pk=member.pk).profile
    assert profile.bio == ""
    assert profile.display_name == "Api User"
    assert profile.latitude is None
    assert profile.timezone == "UTC"


def test_patch_me_cannot_change_read_only_things(api, member):
    response = api.patch(ME, {"phone_number": "+447911123456", "email": "evil@example.test"}, format="json")
    assert response.status_code == 401
    response = api.patch(
        ME, {"phone_number": "+447911123456", "email": "evil@example.test"}, format="json", **bearer(member)
    )
    member = Member.objects.get(pk=member.pk)
    assert member.email == "api.user@example.test"
    assert member.profile.phone_number == ""


def test_token_endpoint_is_throttled(api, member):
    # given as many token requests from one client as the auth_token rate allows
    for _ in range(auth_token_rate()):
        assert api.post(TOKEN, {}, format="json").status_code == 400
    # when one more comes, even with the right password
    response = api.post(TOKEN, {"email": member.email, "password": PASSWORD}, format="json")
    # then it is refused with the API's error shape
    assert response.status_code == 429
    assert list(response.json()) == ["detail"]
    assert "Retry-After" in response
    assert not Token.objects.filter(user=member).exists()


def test_token_throttle_cannot_be_dodged_with_a_forged_forwarded_for_header(api, member):
    # given a client that sends a new X-Forwarded-For with every request
    for attempt in range(auth_token_rate()):
        assert api.post(TOKEN, {}, format="json", HTTP_X_FORWARDED_FOR=f"10.9.0.{attempt}").status_code == 400
    # when it goes over the rate
    response = api.post(
        TOKEN, {"email": member.email, "password": PASSWORD}, format="json", HTTP_X_FORWARDED_FOR="10.9.1.1"
    )
    # then it is throttled all the same
    assert response.status_code == 429


def test_a_burst_of_failed_token_requests_for_one_email_locks_it_from_any_address(api, member):
    # given as many wrong passwords for one email as the login form's per-email limit allows, from many addresses
    per_email = next(
        int(rate.split("/")[0])
        for rate in settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")
        if rate.endswith("/key")
    )
    for attempt in range(per_email):
        response = api.post(
            TOKEN, {"email": member.email, "password": "guess"}, format="json", REMOTE_ADDR=f"10.8.0.{attempt}"
        )
        assert response.status_code == 400
    # when the right password comes from yet another address
    response = api.post(TOKEN, {"email": member.email, "password": PASSWORD}, format="json", REMOTE_ADDR="10.8.1.1")
    # then no token is given
    assert response.status_code == 429
    assert list(response.json()) == ["detail"]
    assert not Token.objects.filter(user=member).exists()


def test_schema_is_openapi_3_and_lists_the_endpoints(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/auth/token", "/api/v1/me"} <= set(schema["paths"])
    assert "patch" in schema["paths"]["/api/v1/me"]


def test_swagger_ui_is_served_from_our_own_static_files(api):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
