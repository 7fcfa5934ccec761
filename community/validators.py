"""Validators for what members upload and type. Images are opened with Pillow, never trusted by extension."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.conf import global_settings, settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def validate_image_upload(file, *, max_bytes: int, max_pixels: int) -> None:
    """Accepts a JPEG, PNG, WebP or GIF under `max_bytes` and `max_pixels`; checks the content, not the name."""
    size = getattr(file, "size", None) or 0
    if size > max_bytes:
        raise ValidationError(
            _("The image is too large (%(size)s MB); the limit is %(limit)s MB."),
            code="file_too_large",
            params={"size": round(size / 1024 / 1024, 1), "limit": max_bytes // 1024 // 1024},
        )
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
            width, height = image.size
            if width * height > max_pixels:
                raise ValidationError(
                    _("The image has too many pixels (%(width)s×%(height)s)."),
                    code="too_many_pixels",
                    params={"width": width, "height": height},
                )
            image.verify()
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow refuses to open it at all: far too many pixels
        raise ValidationError(
            _("The image has too many pixels; the limit is %(limit)s million."),
            code="too_many_pixels",
            params={"limit": max_pixels // 1_000_000},
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(_("Upload a valid image: JPEG, PNG, WebP or GIF."), code="invalid_image") from exc
    finally:
        file.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(_("Upload a valid image: JPEG, PNG, WebP or GIF."), code="invalid_image")


def validate_avatar(file) -> None:
    # Only new uploads are checked: a stored file is already known good.
    if not file or getattr(file, "_committed", False):
        return
    validate_image_upload(file, max_bytes=settings.AVATAR_MAX_BYTES, max_pixels=settings.AVATAR_MAX_PIXELS)


def validate_document(file) -> None:
    """Identity and business documents: a PDF or an image, checked by content."""
    size = getattr(file, "size", 0) or 0
    if size > settings.DOCUMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is too large; the limit is %(limit)s MB."),
            code="file_too_large",
            params={"limit": settings.DOCUMENT_MAX_BYTES // 1024 // 1024},
        )
    file.seek(0)
    head = file.read(5)
    file.seek(0)
    if head == b"%PDF-":
        return
    message = _("Upload a PDF, JPEG or PNG file.")
    try:
        validate_image_upload(file, max_bytes=settings.DOCUMENT_MAX_BYTES, max_pixels=settings.AVATAR_MAX_PIXELS * 2)
        with Image.open(file) as image:
            image_format = image.format
    except ValidationError as exc:
        if exc.code == "invalid_image":
            raise ValidationError(message, code="invalid_document") from exc
        raise
    finally:
        file.seek(0)
    if image_format not in {"JPEG", "PNG"}:
        raise ValidationError(message, code="invalid_document")


@cache
def language_codes() -> frozenset[str]:
    return frozenset(code for code, _name in global_settings.LANGUAGES)


def validate_languages(value) -> None:
    if not isinstance(value, list) or len(value) > 12:
        raise ValidationError(_("Choose up to 12 languages."), code="invalid_languages")
    unknown = [code for code in value if code not in language_codes()]
    if unknown:
        raise ValidationError(
            _("Unknown language: %(codes)s."),
            code="invalid_languages",
            params={"codes": ", ".join(map(str, unknown))},
        )


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in timezone_names():
        raise ValidationError(_("Unknown timezone."), code="invalid_timezone")


PILLOW_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def safe_upload_name(file, *, stem: str) -> str:
    """A server-chosen file name whose extension matches the content, so a member's file name (say `x.html`)
    can never make a stored upload be served as something else."""
    import uuid

    file.seek(0)
    head = file.read(5)
    file.seek(0)
    if head == b"%PDF-":
        extension = "pdf"
    else:
        with Image.open(file) as image:
            extension = PILLOW_EXTENSIONS.get(image.format or "", "bin")
        file.seek(0)
    return f"{stem}-{uuid.uuid4().hex[:12]}.{extension}"
