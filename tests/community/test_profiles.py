"""The public profile and the profile edit form."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community import services
from community.models import Member, RoleGrant, Verification, VerificationKind, VerificationStatus
from tests.community.factories import MemberFactory, RoleGrantFactory, StaffFactory, bomb_png, png_bytes, png_upload

pytestmark = pytest.mark.django_db

EDIT = "/members/me/edit/"


def profile_url(member: Member) -> str:
    return f"/members/{member.pk}/"


def edit_data(**overrides) -> dict:
    data = {
        "display_name": "Mira Maker",
        "bio": "I make oak spoons.",
        "location_name": "Bristol",
        "latitude": "51.454500",
        "longitude": "-2.587900",
        "languages": ["en", "cy"],
        "timezone": "Europe/London",
        "seller_stage": "growing",
        "roles": ["seller", "mentor"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def member(client):
    member = MemberFactory(display_name="Original Name")
    client.force_login(member)
    return member


def stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_edit_form_saves_profile_fields_and_self_service_roles(client, member, media_root):
    # when a member fills in their profile, with a photo, and says they sell and mentor
    response = client.post(EDIT, edit_data(avatar=png_upload()))
    # then they land on their public profile, which shows what they entered
    assert response.status_code == 302
    assert response["Location"] == profile_url(member)
    profile = Member.objects.get(pk=member.pk).profile
    assert profile.display_name == "Mira Maker"
    assert profile.bio == "I make oak spoons."
    assert profile.location_name == "Bristol"
    assert (profile.latitude, profile.longitude) == (Decimal("51.454500"), Decimal("-2.587900"))
    assert profile.languages == ["en", "cy"]
    assert profile.timezone == "Europe/London"
    assert profile.seller_stage == "growing"
    assert set(RoleGrant.objects.filter(member=member).values_list("role", flat=True)) == {"seller", "mentor"}
    page = client.get(profile_url(member)).content.decode()
    assert "Mira Maker" in page
    assert "Seller" in page and "Mentor" in page


def test_uploaded_avatar_is_saved_and_shown(client, member, media_root):
    # when a member uploads a photo with their profile
    client.post(EDIT, edit_data(avatar=png_upload("me.png")))
    # then it is stored and shown on their public profile
    profile = Member.objects.get(pk=member.pk).profile
    assert profile.avatar.name.startswith(f"avatars/{member.pk}/")
    assert profile.avatar.name.endswith(".png")
    assert stored_files(media_root) == [profile.avatar.name]
    assert profile.avatar.url in client.get(profile_url(member)).content.decode()


def test_ticking_clear_removes_the_avatar(client, member, media_root):
    # given a member with a photo
    profile = member.profile
    profile.avatar.save("old.png", ContentFile(png_bytes()), save=True)
    assert client.get(profile_url(member)).content.decode().count(profile.avatar.url) == 1
    # when they tick "clear" and save
    response = client.post(EDIT, edit_data(**{"avatar-clear": "on"}))
    # then the profile has no photo any more
    assert response.status_code == 302
    profile.refresh_from_db()
    assert not profile.avatar, profile.avatar.name


def test_unticking_a_role_removes_it(client, member):
    # given a member who sells and mentors
    services.member_roles_set(member=member, roles={"seller", "mentor"})
    # when they untick mentor
    client.post(EDIT, edit_data(roles=["seller"]))
    # then only seller is left
    assert set(RoleGrant.objects.filter(member=member).values_list("role", flat=True)) == {"seller"}


@pytest.mark.parametrize("role", ["facilitator", "moderator"])
def test_members_cannot_grant_themselves_staff_roles(client, member, role):
    # when a member forges a form post asking for a staff-granted role
    response = client.post(EDIT, edit_data(display_name="Changed", roles=[role]))
    # then the form says no and nothing is written
    assert response.status_code == 200
    assert "roles" in response.context["form"].errors
    assert not RoleGrant.objects.filter(member=member).exists()
    assert Member.objects.get(pk=member.pk).profile.display_name == "Original Name"


def test_staff_granted_roles_survive_a_profile_edit(client, member):
    # given a member whom staff made a facilitator
    services.role_grant(member=member, role="facilitator", granted_by=StaffFactory())
    # when they edit their profile, ticking only self-service roles
    client.post(EDIT, edit_data(roles=["buyer"]))
    # then they are still a facilitator
    assert set(RoleGrant.objects.filter(member=member).values_list("role", flat=True)) == {"buyer", "facilitator"}


def oversized_png() -> bytes:
    """A valid PNG padded past 5 MB."""
    return png_bytes() + b"\0" * (5 * 1024 * 1024 + 1)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (oversized_png, "The image is too large"),
        (lambda: b"MZ\x90\x00 this is a Windows program, not a picture", "Upload a valid image"),
        (bomb_png, "The image has too many pixels (10000×10000)"),
    ],
    ids=["over-5MB", "not-an-image", "decompression-bomb"],
)
def test_bad_avatar_is_rejected_with_a_clear_message_and_nothing_saved(client, member, media_root, content, message):
    # when a member uploads a bad avatar along with other changes
    upload = SimpleUploadedFile("avatar.png", content(), content_type="image/png")
    response = client.post(EDIT, edit_data(display_name="Changed", avatar=upload))
    # then the form explains what is wrong
    assert response.status_code == 200
    errors = response.context["form"].errors["avatar"]
    assert any(message in error for error in errors), errors
    assert message in response.content.decode()
    # and nothing was saved: neither the file nor the other fields
    profile = Member.objects.get(pk=member.pk).profile
    assert not profile.avatar
    assert profile.display_name == "Original Name"
    assert stored_files(media_root) == []


def test_markup_in_name_and_bio_is_shown_as_text_on_the_public_profile(client, member):
    # given a member who typed markup into their name and bio
    client.post(EDIT, edit_data(display_name="<script>alert(1)</script>", bio="<script>alert('bio')</script><b>hi</b>"))
    assert Member.objects.get(pk=member.pk).profile.display_name == "<script>alert(1)</script>"
    # when a stranger opens the profile
    html = client.__class__().get(profile_url(member)).content.decode()
    # then the markup is shown as text, never run
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;hi&lt;/b&gt;" in html
    assert "<script>alert" not in html
    assert "<b>hi</b>" not in html


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"languages": ["en", "klingon"]}, "languages"),
        ({"latitude": "51.5", "longitude": None}, "longitude"),
        ({"latitude": "91", "longitude": "0"}, "latitude"),
        ({"display_name": "   "}, "display_name"),
    ],
    ids=["timezone", "language", "latitude-without-longitude", "latitude-out-of-range", "blank-name"],
)
def test_invalid_profile_values_are_rejected_and_nothing_saved(client, member, overrides, field):
    # when a member submits an invalid value
    response = client.post(EDIT, edit_data(**overrides))
    # then the field carries an error and the profile is unchanged
    assert response.status_code == 200
    assert field in response.context["form"].errors
    profile = Member.objects.get(pk=member.pk).profile
    assert profile.display_name == "Original Name"
    assert profile.timezone == "UTC"
    assert profile.latitude is None
    assert not RoleGrant.objects.filter(member=member).exists()


def test_latitude_without_longitude_tells_the_member_to_give_both(client, member):
    response = client.post(EDIT, edit_data(longitude=""))
    assert "Give both latitude and longitude, or neither." in response.content.decode()


def test_edit_page_requires_sign_in(client):
    # when an anonymous visitor opens the edit page
    response = client.get(EDIT)
    # then they are sent to sign in, and come back afterwards
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={EDIT}"
    assert client.post(EDIT, edit_data()).status_code == 302


def test_profile_of_an_inactive_member_is_not_found(client):
    # given a deactivated member and a member who deleted their account
    inactive = MemberFactory(display_name="Gone Quiet", is_active=False)
    deleted = services.member_delete(member=MemberFactory(display_name="Gone Away"))
    # when a stranger opens their profiles
    # then neither exists
    assert client.get(profile_url(inactive)).status_code == 404
    assert client.get(profile_url(deleted)).status_code == 404


def test_public_profile_shows_badges_and_roles(client):
    # given a member with a verified email and an approved ID and two roles
    member = MemberFactory(display_name="Trusted Trader")
    services.member_roles_set(member=member, roles={"seller", "buyer"})
    Verification.objects.create(member=member, kind=VerificationKind.EMAIL, status=VerificationStatus.APPROVED)
    Verification.objects.create(member=member, kind=VerificationKind.GOVERNMENT_ID, status=VerificationStatus.APPROVED)
    Verification.objects.create(member=member, kind=VerificationKind.BUSINESS, status=VerificationStatus.PENDING)
    # when a stranger opens the profile
    html = client.get(profile_url(member)).content.decode()
    # then approved verifications show as badges, pending ones do not
    assert "badge-email" in html
    assert "badge-government_id" in html
    assert "badge-business" not in html
    assert "Seller" in html and "Buyer" in html


def _profile_queries(client, member: Member) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(profile_url(member))
    assert response.status_code == 200
    return len(queries)


def test_profile_page_queries_do_not_grow_with_roles_and_verifications(client):
    # given a member with one role and one verification, and one with four roles and three verifications
    few = MemberFactory(display_name="Few")
    RoleGrantFactory(member=few, role="buyer")
    Verification.objects.create(member=few, kind=VerificationKind.EMAIL, status=VerificationStatus.APPROVED)
    many = MemberFactory(display_name="Many")
    for role in ["buyer", "seller", "mentor", "ambassador"]:
        RoleGrantFactory(member=many, role=role)
    for kind in [VerificationKind.EMAIL, VerificationKind.PHONE, VerificationKind.GOVERNMENT_ID]:
        Verification.objects.create(member=many, kind=kind, status=VerificationStatus.APPROVED)
    _profile_queries(client, few)  # warm per-process caches (site settings, content types)
    # when a visitor opens each profile
    # then both pages cost the same number of queries
    assert _profile_queries(client, many) == _profile_queries(client, few)


def test_a_replaced_or_cleared_avatar_leaves_no_file_behind(
    client, member, media_root, django_capture_on_commit_callbacks
):
    # given a member who uploaded a photo
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EDIT, edit_data(avatar=png_upload("first.png")))
    first = Member.objects.get(pk=member.pk).profile.avatar.name
    assert stored_files(media_root) == [first]
    # when they replace it
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EDIT, edit_data(avatar=png_upload("second.png")))
    # then only the new photo is stored
    second = Member.objects.get(pk=member.pk).profile.avatar.name
    assert second != first
    assert stored_files(media_root) == [second]
    # and when they clear it, no photo is stored at all
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EDIT, edit_data(**{"avatar-clear": "on"}))
    assert not Member.objects.get(pk=member.pk).profile.avatar
    assert stored_files(media_root) == []
