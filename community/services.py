"""Writes for members: profiles, roles, verification, notifications, data export and account deletion."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from community.models import (
    Member,
    Notification,
    NotificationKind,
    PhoneVerificationCode,
    Profile,
    Role,
    RoleGrant,
    Verification,
    VerificationKind,
    VerificationStatus,
)
from community.validators import safe_upload_name, validate_avatar, validate_document
from hub.realtime import group_send

# Staff-granted roles carry Django permissions through a group of the same name (see migration 0002).
ROLE_GROUPS = {Role.FACILITATOR: "Facilitators", Role.MODERATOR: "Moderators"}
PHONE_CODE_TTL = timedelta(minutes=10)
PHONE_CODE_MAX_ATTEMPTS = 5


def notifications_group(member_id: int) -> str:
    return f"member.{member_id}.notifications"


# --- Profiles and roles -------------------------------------------------------------------------------------


def profile_get_or_create(*, member: Member) -> Profile:
    profile, _created = Profile.objects.get_or_create(member=member)
    return profile


@transaction.atomic
def profile_update(*, member: Member, data: dict[str, Any]) -> Profile:
    """Updates the editable profile fields named in `data`; validates the whole profile before saving."""
    profile = profile_get_or_create(member=member)
    editable = {
        "display_name",
        "avatar",
        "bio",
        "location_name",
        "latitude",
        "longitude",
        "languages",
        "timezone",
        "seller_stage",
    }
    unknown = set(data) - editable
    if unknown:
        raise ValidationError({field: _("This field cannot be changed.") for field in unknown})
    avatar = data.get("avatar")
    if avatar and not getattr(avatar, "_committed", False):
        validate_avatar(avatar)
        avatar.name = safe_upload_name(avatar, stem="avatar")
    if "avatar" in data and profile.avatar and data["avatar"] != profile.avatar.name:
        # The replaced or cleared photo leaves storage once the new profile is committed.
        old_name, storage = profile.avatar.name, profile.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    for field, value in data.items():
        setattr(profile, field, value)
    if (profile.latitude is None) != (profile.longitude is None):
        raise ValidationError({"latitude": _("Give both latitude and longitude, or neither.")})
    profile.full_clean(exclude=["member"])
    profile.save()
    return profile


def rating_check(average: Decimal | None, count: int) -> None:
    """A review average from 1 to 5 over at least one review, or none over none (members' and listings' alike)."""
    if count < 0 or (count == 0) != (average is None) or (average is not None and not 1 <= average <= 5):
        raise ValidationError({"rating": [_("A rating is an average from 1 to 5 over at least one review.")]})


@transaction.atomic
def profile_rating_set(*, member: Member, average: Decimal | None, count: int) -> Profile:
    """Stores the seller's review average (two decimals) and count; the reviews themselves live in the orders
    app, which calls this whenever a review becomes visible or is hidden by a moderator."""
    rating_check(average, count)
    profile = profile_get_or_create(member=member)
    profile.rating_average = None if average is None else Decimal(average).quantize(Decimal("0.01"))
    profile.rating_count = count
    profile.save(update_fields=["rating_average", "rating_count", "updated_at"])
    return profile


def _roles_forget(member: Member) -> None:
    """Drops the member's prefetched role grants (community/auth_backends.py) after a change."""
    getattr(member, "_prefetched_objects_cache", {}).pop("role_grants", None)


@transaction.atomic
def member_roles_set(*, member: Member, roles: set[str]) -> set[str]:
    """Sets the roles a member chooses for themselves; staff-granted roles are left as they are."""
    unknown = roles - set(Role.values)
    if unknown:
        raise ValidationError({"roles": _("Unknown role.")})
    if roles & set(Role.staff_granted()):
        raise PermissionDenied(_("Facilitator and moderator roles are granted by staff."))
    current = set(RoleGrant.objects.filter(member=member).values_list("role", flat=True))
    self_service = set(Role.self_service())
    RoleGrant.objects.filter(member=member, role__in=(current & self_service) - roles).delete()
    RoleGrant.objects.bulk_create([RoleGrant(member=member, role=role) for role in roles - current])
    _roles_forget(member)
    return set(RoleGrant.objects.filter(member=member).values_list("role", flat=True))


@transaction.atomic
def role_grant(*, member: Member, role: str, granted_by: Member) -> RoleGrant:
    """Staff grant any role; facilitator and moderator also join the group that carries their permissions."""
    if not granted_by.is_staff:
        raise PermissionDenied(_("Only staff grant roles."))
    grant, _created = RoleGrant.objects.get_or_create(member=member, role=role, defaults={"granted_by": granted_by})
    _roles_forget(member)
    if role in ROLE_GROUPS:
        member.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    if role == Role.MODERATOR and not member.is_staff:
        # Moderators work in the Django admin; their group limits them to the review queue.
        member.is_staff = True
        member.save(update_fields=["is_staff"])
    return grant


@transaction.atomic
def role_revoke(*, member: Member, role: str, revoked_by: Member) -> None:
    if not revoked_by.is_staff:
        raise PermissionDenied(_("Only staff revoke roles."))
    RoleGrant.objects.filter(member=member, role=role).delete()
    _roles_forget(member)
    if role in ROLE_GROUPS:
        member.groups.remove(*Group.objects.filter(name=ROLE_GROUPS[role]))
    if role == Role.MODERATOR and member.is_staff and not member.is_superuser:
        member.is_staff = False
        member.save(update_fields=["is_staff"])


# --- Notifications ------------------------------------------------------------------------------------------


def notification_create(*, member: Member, text: str, url: str = "", kind: str = "account") -> Notification:
    """Stores a notification and pushes it to the member's open pages once the transaction commits. No email:
    `community.notifications.services.notification_send` adds the email the member chose for the kind."""
    notification = Notification.objects.create(member=member, kind=kind, text=text[:300], url=url)

    def push() -> None:
        group_send(
            notifications_group(member.pk),
            {"type": "notification.new", "id": notification.pk, "text": notification.text, "url": url},
        )

    transaction.on_commit(push)
    return notification


# --- Verification -------------------------------------------------------------------------------------------


def verification_email_record(*, member: Member) -> Verification:
    """Called when allauth confirms an email address."""
    verification, _created = Verification.objects.update_or_create(
        member=member,
        kind=VerificationKind.EMAIL,
        defaults={"status": VerificationStatus.APPROVED, "reviewed_at": timezone.now()},
    )
    return verification


@transaction.atomic
def verification_document_submit(*, member: Member, kind: str, document, detail: str = "") -> Verification:
    """A member uploads an ID or business document for staff review; a new upload replaces a pending one."""
    if kind not in VerificationKind.document_kinds():
        raise ValidationError({"kind": _("Choose a document type.")})
    if not document:
        raise ValidationError({"document": _("Choose a file to upload.")})
    validate_document(document)
    document.name = safe_upload_name(document, stem=kind)
    existing = Verification.objects.select_for_update().filter(member=member, kind=kind).first()
    if existing and existing.status == VerificationStatus.APPROVED:
        raise ValidationError({"kind": _("This verification is already approved.")})
    if existing:
        _document_erase(existing)
        existing.delete()
    return Verification.objects.create(member=member, kind=kind, document=document, detail=detail[:200])


def _locked_pending(verification_id: int) -> Verification:
    verification = Verification.objects.select_for_update().get(pk=verification_id)
    if verification.status != VerificationStatus.PENDING:
        raise ValidationError(_("This verification has already been reviewed."))
    return verification


def verification_reviewer_check(reviewer: Member) -> None:
    """Staff and moderators review documents: both need the admin and the permission to change verifications."""
    if not (reviewer.is_staff and reviewer.has_perm("community.change_verification")):
        raise PermissionDenied


@transaction.atomic
def verification_approve(*, verification_id: int, reviewer: Member) -> Verification:
    verification_reviewer_check(reviewer)
    verification = _locked_pending(verification_id)
    verification.status = VerificationStatus.APPROVED
    verification.reason = ""
    verification.reviewed_at = timezone.now()
    verification.reviewed_by = reviewer
    verification.save(update_fields=["status", "reason", "reviewed_at", "reviewed_by"])
    from community.notifications.services import notification_send

    notification_send(
        member=verification.member,
        kind=NotificationKind.ACCOUNT,
        text=_("Your %(kind)s verification was approved.") % {"kind": verification.get_kind_display()},
        url="/members/me/verification/",
    )
    return verification


@transaction.atomic
def verification_reject(*, verification_id: int, reviewer: Member, reason: str) -> Verification:
    verification_reviewer_check(reviewer)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the member a reason.")})
    verification = _locked_pending(verification_id)
    verification.status = VerificationStatus.REJECTED
    verification.reason = reason.strip()
    verification.reviewed_at = timezone.now()
    verification.reviewed_by = reviewer
    verification.save(update_fields=["status", "reason", "reviewed_at", "reviewed_by"])
    from community.notifications.services import notification_send

    notification_send(
        member=verification.member,
        kind=NotificationKind.ACCOUNT,
        text=_("Your %(kind)s verification was not approved: %(reason)s")
        % {"kind": verification.get_kind_display(), "reason": verification.reason},
        url="/members/me/verification/",
    )
    return verification


def _document_erase(verification: Verification) -> None:
    if verification.document:
        name = verification.document.name
        storage = verification.document.storage
        transaction.on_commit(lambda: storage.delete(name))
        verification.document = ""
        verification.document_deleted_at = timezone.now()


@transaction.atomic
def verification_document_delete(*, member: Member, verification_id: int) -> Verification:
    """Deletes the uploaded file on the member's request; an approval already given stands."""
    verification = Verification.objects.select_for_update().get(pk=verification_id, member=member)
    _document_erase(verification)
    verification.save(update_fields=["document", "document_deleted_at"])
    return verification


def _phone_code_hash(code: str, phone_number: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone_number}:{code}".encode(), hashlib.sha256).hexdigest()


def normalise_phone_number(raw: str) -> str:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            {"phone_number": _("Enter the number in international form, e.g. +44 7911 123456.")}
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError({"phone_number": _("This is not a valid phone number.")})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@transaction.atomic
def phone_code_send(*, member: Member, phone_number: str) -> PhoneVerificationCode:
    number = normalise_phone_number(phone_number)
    recent = PhoneVerificationCode.objects.filter(
        member=member, created_at__gte=timezone.now() - timedelta(hours=1)
    ).count()
    if recent >= 5:
        raise ValidationError({"phone_number": _("Too many codes sent. Try again in an hour.")})
    code = f"{secrets.randbelow(1_000_000):06d}"
    record = PhoneVerificationCode.objects.create(
        member=member,
        phone_number=number,
        code_hash=_phone_code_hash(code, number),
        expires_at=timezone.now() + PHONE_CODE_TTL,
    )
    backend = import_string(settings.SMS_BACKEND)()
    message = _("Your Guildhall code is %(code)s") % {"code": code}
    transaction.on_commit(lambda: backend.send(to=number, body=message))
    return record


def phone_code_confirm(*, member: Member, code: str) -> Verification:
    """Checks a code. A wrong code still counts as an attempt, so the attempt is committed before the error."""
    with transaction.atomic():
        record = (
            PhoneVerificationCode.objects.select_for_update()
            .filter(member=member, used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if record is None:
            raise ValidationError({"code": _("The code has expired. Ask for a new one.")})
        if record.attempts >= PHONE_CODE_MAX_ATTEMPTS:
            raise ValidationError({"code": _("Too many wrong codes. Ask for a new one.")})
        if hmac.compare_digest(record.code_hash, _phone_code_hash(code.strip(), record.phone_number)):
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            Profile.objects.filter(member=member).update(phone_number=record.phone_number)
            verification, _created = Verification.objects.update_or_create(
                member=member,
                kind=VerificationKind.PHONE,
                defaults={
                    "status": VerificationStatus.APPROVED,
                    "detail": f"•••• {record.phone_number[-3:]}",
                    "reviewed_at": timezone.now(),
                },
            )
            return verification
        record.attempts += 1
        record.save(update_fields=["attempts"])
    raise ValidationError({"code": _("That code is not right.")})


# --- Privacy ------------------------------------------------------------------------------------------------


def member_export(*, member: Member) -> dict[str, Any]:
    """Everything Guildhall stores about a member, as JSON-ready data (documents by name, not content)."""
    from allauth.account.models import EmailAddress

    profile = profile_get_or_create(member=member)
    return {
        "account": {
            "id": member.pk,
            "email": member.email,
            "date_joined": member.date_joined.isoformat(),
            "last_login": member.last_login.isoformat() if member.last_login else None,
            "email_addresses": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in EmailAddress.objects.filter(user=member)
            ],
        },
        "profile": {
            "display_name": profile.display_name,
            "bio": profile.bio,
            "avatar": profile.avatar.name if profile.avatar else None,
            "location": {
                "name": profile.location_name,
                "lat": float(profile.latitude) if profile.latitude is not None else None,
                "lng": float(profile.longitude) if profile.longitude is not None else None,
            },
            "languages": profile.languages,
            "timezone": profile.timezone,
            "seller_stage": profile.seller_stage,
            "phone_number": profile.phone_number,
        },
        "roles": sorted(RoleGrant.objects.filter(member=member).values_list("role", flat=True)),
        "verifications": [
            {
                "kind": verification.kind,
                "status": verification.status,
                "detail": verification.detail,
                "reason": verification.reason,
                "submitted_at": verification.submitted_at.isoformat(),
                "reviewed_at": verification.reviewed_at.isoformat() if verification.reviewed_at else None,
                "document": verification.document.name.rsplit("/", 1)[-1] if verification.document else None,
            }
            for verification in Verification.objects.filter(member=member)
        ],
        "notifications": [
            {"text": n.text, "url": n.url, "created_at": n.created_at.isoformat()}
            for n in Notification.objects.filter(member=member)
        ],
        "exported_at": timezone.now().isoformat(),
    }


@transaction.atomic
def member_delete(*, member: Member) -> Member:
    """Erases personal data and closes the account. The row stays, anonymised, so that records the law keeps
    (orders, ledger entries) keep a party to point at."""
    from allauth.account.models import EmailAddress
    from rest_framework.authtoken.models import Token

    member = Member.objects.select_for_update().get(pk=member.pk)
    profile = profile_get_or_create(member=member)
    if profile.avatar:
        avatar_name, avatar_storage = profile.avatar.name, profile.avatar.storage
        transaction.on_commit(lambda: avatar_storage.delete(avatar_name))
    Profile.objects.filter(pk=profile.pk).update(
        display_name="",
        avatar="",
        bio="",
        location_name="",
        latitude=None,
        longitude=None,
        languages=[],
        timezone="UTC",
        phone_number="",
    )
    for verification in Verification.objects.filter(member=member):
        _document_erase(verification)
    Verification.objects.filter(member=member).delete()
    PhoneVerificationCode.objects.filter(member=member).delete()
    Notification.objects.filter(member=member).delete()
    EmailAddress.objects.filter(user=member).delete()
    Token.objects.filter(user=member).delete()
    RoleGrant.objects.filter(member=member).delete()
    member.groups.clear()
    member.email = f"deleted-{member.pk}-{secrets.token_hex(4)}@deleted.invalid"
    member.set_unusable_password()
    member.is_active = False
    member.is_staff = False
    member.is_superuser = False
    member.deleted_at = timezone.now()
    member.save(update_fields=["email", "password", "is_active", "is_staff", "is_superuser", "deleted_at"])
    # Every open session ends: Django checks each session against the password hash, which has just changed.
    return member
