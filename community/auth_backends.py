"""Authentication backends that load the signed-in member with what nearly every page needs.

Each request loads `request.user` once; the navigation reads the member's roles and the header their profile.
Loading the profile with the member and prefetching the role grants saves a query or two on every page a member
opens (the forum topic page's budget is 12). Services that change roles drop the prefetched grants
(`community.services._roles_forget`) so a request that changes them reads the new ones."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend

from community.models import Member


class _MemberLoading:
    def get_user(self, user_id):
        member = Member.objects.select_related("profile").prefetch_related("role_grants").filter(pk=user_id).first()
        return member if member is not None and self.user_can_authenticate(member) else None


class MemberBackend(_MemberLoading, ModelBackend):
    """django.contrib.auth's ModelBackend (the Django admin and `force_login`)."""


class MemberAuthenticationBackend(_MemberLoading, AuthenticationBackend):
    """allauth's backend (sign-in by email)."""
