"""Verification: documents that staff review in private, phone codes by SMS, and the badges they earn."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.template import Context, Template
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from community import selectors, services
from community.models import (
    Notification,
    PhoneVerificationCode,
    Role,
    RoleGrant,
    Verification,
    VerificationKind,
    VerificationStatus,
)
from tests.community.factories import (
    PDF_BYTES,
    MemberFactory,
    StaffFactory,
    VerificationFactory,
    pdf_upload,
    png_upload,
)

pytestmark = pytest.mark.django_db

VERIFY = "/members/me/verification/"
PHONE = "+447911123456"


def document_url(verification: Verification) -> str:
    return f"/members/verification/{verification.pk}/document/"


def private_path(name: str) -> Path:
    return Path(storages["private"].path(name))


def badges_html(member) -> str:
    member = selectors.members_with_badges().get(pk=member.pk)
    return Template("{% load members %}{% member_name member %}").render(Context({"member": member}))


@pytest.fixture
def member(client):
    member = MemberFactory(display_name="Vera Verified")
    client.force_login(member)
    return member


# --- Documents -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "extension"),
    [(pdf_upload, ".pdf"), (lambda: png_upload("scan.png"), ".png")],
    ids=["pdf", "png"],
)
def test_document_upload_is_pending_and_kept_in_private_storage(client, member, upload, extension):
    # when a member uploads their ID
    response = client.post(
        VERIFY, {"action": "document", "doc-kind": "government_id", "doc-detail": "", "doc-document": upload()}
    )
    # then it awaits review
    assert response.status_code == 302
    verification = Verification.objects.get(member=member)
    assert verification.kind == VerificationKind.GOVERNMENT_ID
    assert verification.status == VerificationStatus.PENDING
    # and the file sits in private storage, outside the public media folder
    assert verification.document.storage is storages["private"]
    path = private_path(verification.document.name)
    assert path.is_file()
    assert path.suffix == extension
    assert not path.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not storages["default"].exists(verification.document.name)
    # and the member sees it pending, with no badge yet
    assert "Pending review" in client.get(VERIFY).content.decode()
    assert "badge-government_id" not in badges_html(member)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 20),
        ("scan.pdf", b"\x00\x01garbage that only claims to be a PDF"),
    ],
    ids=["exe", "garbage-named-pdf"],
)
def test_non_document_upload_is_rejected(client, member, name, content):
    # when a member uploads something that is neither a PDF nor an image
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post(
        VERIFY, {"action": "document", "doc-kind": "government_id", "doc-detail": "", "doc-document": upload}
    )
    # then the page says so and nothing is stored
    assert response.status_code == 200
    form = response.context["document_form"]
    assert form.errors
    assert not Verification.objects.filter(member=member).exists()


def test_a_rejected_document_is_told_which_formats_are_accepted(client, member):
    upload = SimpleUploadedFile("setup.exe", b"MZ\x90\x00 not a document", content_type="application/octet-stream")
    response = client.post(
        VERIFY, {"action": "document", "doc-kind": "government_id", "doc-detail": "", "doc-document": upload}
    )
    assert response.status_code == 200
    assert "PDF" in " ".join(response.context["document_form"].non_field_errors())


def test_a_document_over_10_mb_is_rejected(client, member):
    upload = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    response = client.post(
        VERIFY, {"action": "document", "doc-kind": "business", "doc-detail": "Big Ltd", "doc-document": upload}
    )
    assert response.status_code == 200
    assert "The file is too large; the limit is 10 MB." in response.content.decode()
    assert not Verification.objects.filter(member=member).exists()


def test_a_new_upload_replaces_a_pending_document(client, member, django_capture_on_commit_callbacks):
    # given a pending document
    old = VerificationFactory(member=member)
    old_path = private_path(old.document.name)
    assert old_path.is_file()
    # when the member uploads a better scan
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            VERIFY, {"action": "document", "doc-kind": "government_id", "doc-detail": "", "doc-document": pdf_upload()}
        )
    # then only the new one is pending, and the old file is gone
    new = Verification.objects.get(member=member)
    assert new.pk != old.pk
    assert private_path(new.document.name).is_file()
    assert not old_path.exists()


def test_documents_are_shown_to_staff_only(client, member):
    # given a member's pending ID document
    verification = VerificationFactory(member=member)
    # then neither its owner, nor another member, nor an anonymous visitor can open it
    assert client.get(document_url(verification)).status_code == 404
    stranger = client.__class__()
    stranger.force_login(MemberFactory())
    assert stranger.get(document_url(verification)).status_code == 404
    assert client.__class__().get(document_url(verification)).status_code == 404
    # but staff can, and it is not cached
    staff = client.__class__()
    staff.force_login(StaffFactory())
    response = staff.get(document_url(verification))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert "no-store" in response["Cache-Control"]


def test_approve_and_reject_services_enforce_the_review_rules():
    staff = StaffFactory()
    pending = VerificationFactory()
    # a non-staff reviewer is refused
    with pytest.raises(PermissionDenied):
        services.verification_approve(verification_id=pending.pk, reviewer=MemberFactory())
    with pytest.raises(PermissionDenied):
        services.verification_reject(verification_id=pending.pk, reviewer=MemberFactory(), reason="Blurry")
    # a rejection needs a reason
    with pytest.raises(ValidationError) as excinfo:
        services.verification_reject(verification_id=pending.pk, reviewer=staff, reason="   ")
    assert "reason" in excinfo.value.message_dict
    pending.refresh_from_db()
    assert pending.status == VerificationStatus.PENDING
    # a rejection with a reason is recorded and told to the member
    rejected = services.verification_reject(verification_id=pending.pk, reviewer=staff, reason="The photo is blurry")
    assert rejected.status == VerificationStatus.REJECTED
    assert rejected.reviewed_by == staff
    assert "The photo is blurry" in Notification.objects.get(member=pending.member).text
    # and a second review of the same verification is refused
    with pytest.raises(ValidationError):
        services.verification_approve(verification_id=pending.pk, reviewer=staff)
    pending.refresh_from_db()
    assert pending.status == VerificationStatus.REJECTED


def test_a_rejection_and_its_reason_show_on_the_members_page(client, member):
    verification = VerificationFactory(member=member)
    services.verification_reject(verification_id=verification.pk, reviewer=StaffFactory(), reason="Expired passport")
    html = client.get(VERIFY).content.decode()
    assert "Rejected" in html
    assert "Expired passport" in html


def test_staff_approve_in_the_django_admin_and_the_member_gets_a_badge(client):
    # given a pending ID and a superuser
    verification = VerificationFactory(member=MemberFactory(display_name="Ida"))
    client.force_login(StaffFactory())
    change_url = f"/django-admin/community/verification/{verification.pk}/change/"
    assert client.get(change_url).status_code == 200
    # when they approve it in the admin
    response = client.post(change_url, {"decision": "approve", "reason": "", "_save": "Save"})
    # then the review is recorded
    assert response.status_code == 302
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.APPROVED
    assert verification.reviewed_at is not None
    # and the member's name carries the ID badge wherever it appears
    assert "badge-government_id" in badges_html(verification.member)
    assert "badge-government_id" in client.__class__().get(f"/members/{verification.member.pk}/").content.decode()
    # and the member is notified
    notification = Notification.objects.get(member=verification.member)
    assert "approved" in notification.text


def test_admin_rejection_without_a_reason_is_refused(client):
    verification = VerificationFactory()
    client.force_login(StaffFactory())
    response = client.post(
        f"/django-admin/community/verification/{verification.pk}/change/", {"decision": "reject", "reason": ""}
    )
    assert response.status_code == 200
    assert "Give the member a reason for the rejection." in response.content.decode()
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.PENDING


def test_a_second_review_in_the_admin_is_refused(client):
    # given a document another reviewer already rejected
    verification = VerificationFactory()
    services.verification_reject(verification_id=verification.pk, reviewer=StaffFactory(), reason="Blurry")
    client.force_login(StaffFactory())
    # when a second reviewer tries to approve it
    response = client.post(f"/django-admin/community/verification/{verification.pk}/change/", {"decision": "approve"})
    # then they are told it was already reviewed, and the rejection stands
    assert response.status_code == 200
    assert "This verification has already been reviewed." in response.content.decode()
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.REJECTED


def test_an_approved_document_cannot_be_replaced(client, member):
    approved = VerificationFactory(member=member)
    services.verification_approve(verification_id=approved.pk, reviewer=StaffFactory())
    response = client.post(
        VERIFY, {"action": "document", "doc-kind": "government_id", "doc-detail": "", "doc-document": pdf_upload()}
    )
    assert response.status_code == 200
    assert "This verification is already approved." in response.content.decode()
    assert Verification.objects.get(member=member).pk == approved.pk


def test_documents_are_not_reachable_under_the_public_media_url(client, member):
    # given an uploaded document
    verification = VerificationFactory(member=member)
    # when anyone guesses its path under the public media URL
    response = client.get(settings.MEDIA_URL + verification.document.name)
    # then there is nothing there
    assert response.status_code == 404


def test_member_deletes_their_document_and_the_approval_stands(client, member, django_capture_on_commit_callbacks):
    # given an approved ID document
    verification = VerificationFactory(member=member)
    services.verification_approve(verification_id=verification.pk, reviewer=StaffFactory())
    path = private_path(verification.document.name)
    assert path.is_file()
    # when the member deletes the file
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/members/me/verification/{verification.pk}/delete-document/")
    # then the file is gone, even for staff, but the approval and badge stay
    assert response.status_code == 302
    assert not path.exists()
    verification.refresh_from_db()
    assert not verification.document
    assert verification.document_deleted_at is not None
    assert verification.status == VerificationStatus.APPROVED
    assert "badge-government_id" in badges_html(member)
    staff = client.__class__()
    staff.force_login(StaffFactory())
    assert staff.get(document_url(verification)).status_code == 404


def test_members_cannot_delete_someone_elses_document(client, member, django_capture_on_commit_callbacks):
    other = VerificationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/members/me/verification/{other.pk}/delete-document/")
    assert response.status_code == 404
    assert private_path(other.document.name).is_file()


# --- Phone ---------------------------------------------------------------------------------------------------


def send_code(client, django_capture_on_commit_callbacks, outbox, number: str = PHONE) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY, {"action": "phone", "phone-phone_number": number})
    assert response.status_code == 302, response.context["phone_form"].errors
    return outbox[-1]["body"].rsplit(" ", 1)[-1]


def confirm(client, code: str):
    return client.post(VERIFY, {"action": "code", "code-code": code})


def a_wrong_code(code: str) -> str:
    return "111111" if code != "111111" else "222222"


def test_right_phone_code_earns_the_phone_badge(client, member, django_capture_on_commit_callbacks, _sms_outbox):
    # when a member asks for a code and types it in
    code = send_code(client, django_capture_on_commit_callbacks, _sms_outbox, number="+44 7911 123456")
    assert _sms_outbox[-1]["to"] == PHONE
    assert len(code) == 6 and code.isdigit()
    response = confirm(client, code)
    # then their phone is verified, shown masked, and earns a badge
    assert response.status_code == 302
    verification = Verification.objects.get(member=member, kind=VerificationKind.PHONE)
    assert verification.status == VerificationStatus.APPROVED
    assert verification.detail.endswith("456")
    assert PHONE not in client.get(VERIFY).content.decode()
    member.profile.refresh_from_db()
    assert member.profile.phone_number == PHONE
    assert "badge-phone" in badges_html(member)
    # and the code cannot be used twice
    assert "The code has expired" in confirm(client, code).content.decode()


def test_five_wrong_codes_lock_the_code_even_against_the_right_one(
    client, member, django_capture_on_commit_callbacks, _sms_outbox
):
    # given a code sent by SMS
    code = send_code(client, django_capture_on_commit_callbacks, _sms_outbox)
    # when the member types five wrong codes
    for attempt in range(5):
        response = confirm(client, a_wrong_code(code))
        assert response.status_code == 200
        assert "That code is not right." in response.content.decode()
        assert PhoneVerificationCode.objects.get(member=member).attempts == attempt + 1
    # then even the right code is refused
    response = confirm(client, code)
    assert response.status_code == 200
    assert "Too many wrong codes. Ask for a new one." in response.content.decode()
    assert not Verification.objects.filter(member=member, kind=VerificationKind.PHONE).exists()
    assert "badge-phone" not in badges_html(member)


def test_an_expired_code_is_refused(client, member, django_capture_on_commit_callbacks, _sms_outbox):
    code = send_code(client, django_capture_on_commit_callbacks, _sms_outbox)
    PhoneVerificationCode.objects.filter(member=member).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = confirm(client, code)
    assert response.status_code == 200
    assert "The code has expired. Ask for a new one." in response.content.decode()
    assert not Verification.objects.filter(member=member, kind=VerificationKind.PHONE).exists()


def test_at_most_five_codes_an_hour_are_sent(client, member, django_capture_on_commit_callbacks, _sms_outbox):
    # given five codes sent within the hour
    for _ in range(5):
        send_code(client, django_capture_on_commit_callbacks, _sms_outbox)
    # when the member asks for a sixth
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY, {"action": "phone", "phone-phone_number": PHONE})
    # then no SMS goes out
    assert response.status_code == 200
    assert "Too many codes sent. Try again in an hour." in response.content.decode()
    assert len(_sms_outbox) == 5


@pytest.mark.parametrize("number", ["12345", "+44 1234", "not a number"])
def test_invalid_phone_number_is_rejected_and_no_sms_sent(
    client, member, django_capture_on_commit_callbacks, _sms_outbox, number
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY, {"action": "phone", "phone-phone_number": number})
    assert response.status_code == 200
    assert "phone_number" in response.context["phone_form"].errors
    assert _sms_outbox == []
    assert not PhoneVerificationCode.objects.filter(member=member).exists()


# --- Roles ---------------------------------------------------------------------------------------------------

ROLES = st.sets(st.sampled_from(Role.values))
STAFF_ROLES = st.sets(st.sampled_from(Role.staff_granted()))


@hypothesis_settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(held_self=st.sets(st.sampled_from(Role.self_service())), held_staff=STAFF_ROLES, requested=ROLES)
def test_member_roles_set_never_grants_nor_removes_a_staff_granted_role(held_self, held_staff, requested):
    with transaction.atomic():
        # given a member holding some roles, some of them granted by staff
        member = MemberFactory()
        RoleGrant.objects.bulk_create([RoleGrant(member=member, role=role) for role in held_self | held_staff])
        # when they ask for any set of roles
        try:
            services.member_roles_set(member=member, roles=set(requested))
        except PermissionDenied:
            assert requested & set(Role.staff_granted())
        after = set(RoleGrant.objects.filter(member=member).values_list("role", flat=True))
        # then their staff-granted roles are exactly what staff gave them
        assert after & set(Role.staff_granted()) == held_staff
        # and their self-service roles are what they asked for, unless the request was refused as a whole
        if not requested & set(Role.staff_granted()):
            assert after & set(Role.self_service()) == requested
        else:
            assert after & set(Role.self_service()) == held_self
        transaction.set_rollback(True)


def test_a_moderator_reviews_documents_in_the_review_queue_their_menu_links_to(client):
    # given a member whom staff made a moderator, and a pending document
    moderator = MemberFactory(display_name="Mo Moderator")
    services.role_grant(member=moderator, role=Role.MODERATOR, granted_by=StaffFactory())
    verification = VerificationFactory()
    client.force_login(moderator)
    # when they follow "Review queue" from the menu
    queue = re.search(r'href="([^"]+)">Review queue<', client.get("/members/me/edit/").content.decode()).group(1)
    response = client.get(queue.replace("&amp;", "&"))
    # then they see the pending document
    assert response.status_code == 200
    assert f"/django-admin/community/verification/{verification.pk}/change/" in response.content.decode()
    # and can approve it
    response = client.post(f"/django-admin/community/verification/{verification.pk}/change/", {"decision": "approve"})
    assert response.status_code == 302
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.APPROVED
    assert verification.reviewed_by == moderator
