"""Verification levels: email (allauth), phone (a code by SMS), government ID and business registration
(documents that staff review)."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _


class VerificationKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    GOVERNMENT_ID = "government_id", _("Government ID")
    BUSINESS = "business", _("Business registration")

    @classmethod
    def document_kinds(cls) -> list[str]:
        return [cls.GOVERNMENT_ID, cls.BUSINESS]


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


def private_storage():
    return storages["private"]


def document_upload_to(instance: "Verification", filename: str) -> str:
    return f"verification/{instance.member_id}/{instance.kind}/{filename}"


class Verification(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verifications")
    kind = models.CharField(max_length=16, choices=VerificationKind.choices)
    status = models.CharField(max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.PENDING)
    # Identity documents live in private storage and are streamed to staff only.
    document = models.FileField(storage=private_storage, upload_to=document_upload_to, blank=True)
    document_deleted_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(
        max_length=200, blank=True, help_text=_("Masked phone number or the registered business name.")
    )
    reason = models.TextField(blank=True, help_text=_("Why staff rejected it; shown to the member."))
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class PhoneVerificationCode(models.Model):
    """A one-time code sent by SMS; only its hash is stored."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    phone_number = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.phone_number[-2:]}"
