"""A member's own data: exporting it and deleting the account."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone
from rest_framework.authtoken.models import Token

from community import services
from community.models import (
    Member,
    Notification,
    PhoneVerificationCode,
    RoleGrant,
    Verification,
    VerificationKind,
    VerificationStatus,
)
from tests.community.factories import PASSWORD, MemberFactory, StaffFactory, VerificationFactory, png_bytes

pytestmark = pytest.mark.django_db

PRIVACY = "/members/me/privacy/"
EXPORT = "/members/me/privacy/export.json"


@pytest.fixture
def member(client, media_root):
    """A member with everything Guildhall can store about one."""
    member = MemberFactory(email="private.person@example.test", display_name="Pat Private")
    profile = services.profile_update(
        member=member,
        data={
            "bio": "Weaver in Leeds.",
            "location_name": "Leeds",
            "latitude": Decimal("53.8"),
            "longitude": Decimal("-1.55"),
        },
    )
    profile.avatar.save("pat.png", ContentFile(png_bytes()), save=True)
    services.member_roles_set(member=member, roles={"seller"})
    approved = VerificationFactory(member=member)
    services.verification_approve(verification_id=approved.pk, reviewer=StaffFactory())
    VerificationFactory(member=member, kind=VerificationKind.BUSINESS, detail="Pat's Looms Ltd")
    PhoneVerificationCode.objects.create(
        member=member, phone_number="+447911123456", code_hash="x", expires_at=timezone.now()
    )
    Token.objects.create(user=member)
    client.force_login(member)
    return Member.objects.get(pk=member.pk)


@pytest.fixture
def neighbour():
    neighbour = MemberFactory(email="neighbour@example.test", display_name="Nelly Neighbour")
    services.member_roles_set(member=neighbour, roles={"mentor"})
    VerificationFactory(member=neighbour, kind=VerificationKind.BUSINESS, detail="Nelly's Knits")
    return neighbour


def test_export_contains_the_members_data_and_nobody_elses(client, member, neighbour):
    # when the member downloads their data
    response = client.get(EXPORT)
    # then it is a JSON file for them to keep
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == "private.person@example.test"
    assert data["account"]["email_addresses"] == [
        {"email": "private.person@example.test", "verified": True, "primary": True}
    ]
    assert data["profile"]["display_name"] == "Pat Private"
    assert data["profile"]["bio"] == "Weaver in Leeds."
    assert data["profile"]["location"] == {"name": "Leeds", "lat": 53.8, "lng": -1.55}
    assert data["roles"] == ["seller"]
    kinds = {(v["kind"], v["status"]) for v in data["verifications"]}
    assert kinds == {(VerificationKind.GOVERNMENT_ID, "approved"), (VerificationKind.BUSINESS, "pending")}
    assert len(data["notifications"]) == 1
    # and nothing of another member is in it
    body = response.content.decode()
    for foreign in ["neighbour@example.test", "Nelly", "mentor", str(neighbour.pk) + "/"]:
        assert foreign not in body


def test_export_requires_sign_in(client):
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_deleting_the_account_anonymises_it_and_logs_out_everywhere(
    client, member, neighbour, django_capture_on_commit_callbacks
):
    # given the member is also signed in on another device
    other_device = client.__class__()
    other_device.force_login(member)
    avatar_path = Path(member.profile.avatar.path)
    document_paths = [
        Path(storages["private"].path(v.document.name)) for v in Verification.objects.filter(member=member)
    ]
    assert avatar_path.is_file() and all(path.is_file() for path in document_paths)
    # when they delete their account with their password
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PRIVACY, {"password": PASSWORD, "confirm": "DELETE"})
    # then they are signed out and sent home
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    # and the row is kept but carries nothing personal
    deleted = Member.objects.get(pk=member.pk)
    assert deleted.email != "private.person@example.test"
    assert "private.person" not in deleted.email
    assert deleted.is_active is False
    assert deleted.deleted_at is not None
    assert not deleted.has_usable_password()
    profile = deleted.profile
    assert (profile.display_name, profile.bio, profile.location_name, profile.phone_number) == ("", "", "", "")
    assert profile.latitude is None and profile.longitude is None
    assert not profile.avatar
    # and the files, addresses, tokens, roles and codes are gone
    assert not avatar_path.exists()
    assert not any(path.exists() for path in document_paths)
    assert not EmailAddress.objects.filter(user=member).exists()
    assert not EmailAddress.objects.filter(email="private.person@example.test").exists()
    assert not Token.objects.filter(user=member).exists()
    assert not RoleGrant.objects.filter(member=member).exists()
    assert not Verification.objects.filter(member=member).exists()
    assert not Notification.objects.filter(member=member).exists()
    assert not PhoneVerificationCode.objects.filter(member=member).exists()
    # and the other device is signed out too
    assert other_device.get("/members/me/edit/").status_code == 302
    # and the profile is gone for everyone, while the neighbour is untouched
    assert client.get(f"/members/{member.pk}/").status_code == 404
    assert client.get(f"/members/{neighbour.pk}/").status_code == 200
    assert Verification.objects.filter(member=neighbour).count() == 1
    # and the old password no longer opens anything
    client.post("/accounts/login/", {"login": "private.person@example.test", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_the_address_of_a_deleted_account_can_join_again(client, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PRIVACY, {"password": PASSWORD, "confirm": "DELETE"})
    response = client.post(
        "/accounts/signup/",
        {
            "email": "private.person@example.test",
            "display_name": "Pat Again",
            "password1": "amber-lantern-quietly-41",
            "password2": "amber-lantern-quietly-41",
            "accept_terms": "on",
        },
    )
    assert response.status_code == 302
    assert Member.objects.get(email="private.person@example.test").pk != member.pk


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"password": "not-my-password", "confirm": "DELETE"}, "password"),
        ({"password": PASSWORD, "confirm": "delete"}, "confirm"),
        ({"password": PASSWORD, "confirm": ""}, "confirm"),
    ],
    ids=["wrong-password", "lowercase-confirm", "missing-confirm"],
)
def test_deletion_is_refused_without_password_and_confirmation(
    client, member, django_capture_on_commit_callbacks, data, field
):
    avatar_path = Path(member.profile.avatar.path)
    # when the member submits the form wrongly
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PRIVACY, data)
    # then the form says what is missing and nothing is deleted
    assert response.status_code == 200
    assert field in response.context["form"].errors
    member.refresh_from_db()
    assert member.is_active is True
    assert member.email == "private.person@example.test"
    assert member.profile.display_name == "Pat Private"
    assert avatar_path.is_file()
    assert Verification.objects.filter(member=member, status=VerificationStatus.APPROVED).exists()
    assert Token.objects.filter(user=member).exists()
    assert client.get("/members/me/edit/").status_code == 200
