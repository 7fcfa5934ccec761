"""Factories and upload helpers for the community tests."""

from __future__ import annotations

import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from community.models import RoleGrant, Verification, VerificationKind, VerificationStatus
from tests.factories import PASSWORD, MemberFactory

__all__ = [
    "PASSWORD",
    "MemberFactory",
    "RoleGrantFactory",
    "StaffFactory",
    "VerificationFactory",
    "bomb_png",
    "pdf_upload",
    "png_bytes",
    "png_upload",
]

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class StaffFactory(MemberFactory):
    is_staff = True
    is_superuser = True


class RoleGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleGrant

    member = factory.SubFactory(MemberFactory)
    role = "buyer"


class VerificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Verification

    member = factory.SubFactory(MemberFactory)
    kind = VerificationKind.GOVERNMENT_ID
    status = VerificationStatus.PENDING
    document = factory.django.FileField(filename="passport.pdf", data=PDF_BYTES)


def png_bytes(size: tuple[int, int] = (8, 8), color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(name: str = "avatar.png", size: tuple[int, int] = (8, 8)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(size), content_type="image/png")


def pdf_upload(name: str = "passport.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def bomb_png() -> bytes:
    """A small file that declares 10000×10000 pixels: a 1-bit blank image compresses to a few kilobytes."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG", optimize=False)
    return buffer.getvalue()
