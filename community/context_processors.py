from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from community.models import Role


def navigation(request) -> dict:
    """The main navigation, adapted to the member's roles."""
    user = getattr(request, "user", None)
    items = [
        {"label": _("Home"), "url": "/"},
        {"label": _("Browse"), "url": reverse("listings:search")},
        {"label": _("Forum"), "url": reverse("forums:index")},
        {"label": _("Playbooks"), "url": "/playbooks/"},
    ]
    if user is None or not user.is_authenticated:
        return {"nav_items": items}
    roles = {grant.role for grant in user.role_grants.all()}
    items.append({"label": _("Sell"), "url": reverse("sell:mine")})
    items.append({"label": _("Orders"), "url": reverse("orders:mine")})
    items.append({"label": _("Messages"), "url": reverse("messaging:inbox")})
    items.append({"label": _("Mentoring"), "url": reverse("mentoring:home")})
    items.append({"label": _("My profile"), "url": reverse("community:profile", kwargs={"pk": user.pk})})
    if Role.FACILITATOR in roles or user.is_staff:
        items.append({"label": _("CMS"), "url": "/cms/"})
    if Role.MODERATOR in roles or user.is_staff:
        items.append({"label": _("Moderation"), "url": reverse("community:moderation")})
    if user.is_staff and user.has_perm("community.view_verification"):
        items.append({"label": _("Review queue"), "url": "/django-admin/community/verification/?status=pending"})
    if user.is_staff:
        items.append({"label": _("Admin"), "url": "/django-admin/"})
    return {"nav_items": items, "nav_roles": roles}
