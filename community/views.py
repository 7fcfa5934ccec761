"""Member pages. Each view parses, checks permission, calls one service or selector and renders."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community import selectors, services
from community.forms import (
    AccountDeleteForm,
    DocumentVerificationForm,
    PhoneCodeForm,
    PhoneNumberForm,
    ProfileForm,
)
from community.models import RoleGrant, Verification, VerificationKind
from community.notifications.services import notifications_read_all
from community.notifications.views import notifications_list_render


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_public_get(pk=pk)
    return render(
        request,
        "community/profile_detail.html",
        {"member": member, "profile": member.profile, "badges": selectors.member_badges(member)},
    )


@login_required
def profile_me(request: HttpRequest) -> HttpResponse:
    return redirect("community:profile", pk=request.user.pk)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = services.profile_get_or_create(member=request.user)
    current_roles = sorted(RoleGrant.objects.filter(member=request.user).values_list("role", flat=True))
    form = ProfileForm(
        request.POST or None,
        request.FILES or None,
        instance=profile,
        initial={"roles": current_roles},
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ProfileForm.Meta.fields if name != "avatar"}
        if "avatar" in request.FILES:
            data["avatar"] = request.FILES["avatar"]
        elif form.cleaned_data["avatar"] is False:  # "clear" ticked
            data["avatar"] = ""
        try:
            with transaction.atomic():
                services.profile_update(member=request.user, data=data)
                services.member_roles_set(member=request.user, roles=set(form.cleaned_data["roles"]))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("community:profile", pk=request.user.pk)
    return render(request, "community/profile_edit.html", {"form": form, "profile": profile})


@login_required
@require_http_methods(["GET", "POST"])
def verification(request: HttpRequest) -> HttpResponse:
    member = request.user
    document_form = DocumentVerificationForm(prefix="doc")
    phone_form = PhoneNumberForm(prefix="phone")
    code_form = PhoneCodeForm(prefix="code")
    action = request.POST.get("action")
    if request.method == "POST":
        try:
            if action == "document":
                document_form = DocumentVerificationForm(request.POST, request.FILES, prefix="doc")
                if document_form.is_valid():
                    services.verification_document_submit(
                        member=member,
                        kind=document_form.cleaned_data["kind"],
                        document=document_form.cleaned_data["document"],
                        detail=document_form.cleaned_data["detail"],
                    )
                    messages.success(request, _("Thank you. Staff will review your document."))
                    return redirect("community:verification")
            elif action == "phone":
                phone_form = PhoneNumberForm(request.POST, prefix="phone")
                if phone_form.is_valid():
                    services.phone_code_send(member=member, phone_number=phone_form.cleaned_data["phone_number"])
                    messages.success(request, _("We sent a code by SMS. Enter it below."))
                    return redirect("community:verification")
            elif action == "code":
                code_form = PhoneCodeForm(request.POST, prefix="code")
                if code_form.is_valid():
                    services.phone_code_confirm(member=member, code=code_form.cleaned_data["code"])
                    messages.success(request, _("Your phone number is verified."))
                    return redirect("community:verification")
        except ValidationError as error:
            form = {"document": document_form, "phone": phone_form, "code": code_form}[action]
            _apply_errors(form, error)
    return render(
        request,
        "community/verification.html",
        {
            "verifications": selectors.member_verifications(member=member),
            "document_form": document_form,
            "phone_form": phone_form,
            "code_form": code_form,
            "kinds": VerificationKind,
        },
    )


@login_required
@require_POST
def verification_document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Verification, pk=pk, member=request.user)
    services.verification_document_delete(member=request.user, verification_id=pk)
    messages.success(request, _("Your document is deleted."))
    return redirect("community:verification")


def verification_document(request: HttpRequest, pk: int) -> FileResponse:
    """Streams an identity document to staff; anyone else is told it does not exist."""
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.has_perm("community.view_verification")):
        raise Http404
    verification = get_object_or_404(Verification, pk=pk)
    if not verification.document:
        raise Http404
    response = FileResponse(verification.document.open("rb"), as_attachment=False)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def privacy(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None, member=request.user)
    if request.method == "POST" and form.is_valid():
        services.member_delete(member=request.user)
        logout(request)
        messages.success(request, _("Your account is deleted. Thank you for being part of Guildhall."))
        return redirect("/")
    return render(request, "community/privacy.html", {"form": form})


@login_required
def privacy_export(request: HttpRequest) -> HttpResponse:
    data = services.member_export(member=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="guildhall-data-{stamp}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        notifications_read_all(member=request.user)
        if not request.htmx:
            return redirect("community:notifications")
    return notifications_list_render(request)
