import pytest

from community.models import Role, RoleGrant
from community.services import role_grant, role_revoke
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_a_granted_facilitator_reaches_the_cms_and_edits_the_home_page(client):
    # given a member whom staff made a facilitator
    staff = MemberFactory(is_staff=True)
    member = MemberFactory()
    client.force_login(member)
    assert client.get("/cms/").status_code == 302  # not yet: sent to log in
    role_grant(member=member, role=Role.FACILITATOR, granted_by=staff)
    # when they open the CMS and the home page's editor
    dashboard = client.get("/cms/")
    from hub.models import HomePage

    editor = client.get(f"/cms/pages/{HomePage.objects.get().pk}/edit/")
    # then both open, and the nav links to the CMS
    assert dashboard.status_code == 200
    assert editor.status_code == 200
    assert 'href="/cms/"' in client.get("/").content.decode()


def test_revoking_the_role_closes_the_cms(client):
    staff = MemberFactory(is_staff=True)
    member = MemberFactory()
    role_grant(member=member, role=Role.FACILITATOR, granted_by=staff)
    role_revoke(member=member, role=Role.FACILITATOR, revoked_by=staff)
    client.force_login(member)
    assert client.get("/cms/").status_code == 302
    assert not RoleGrant.objects.filter(member=member).exists()


def test_only_staff_grant_roles():
    from django.core.exceptions import PermissionDenied

    member, other = MemberFactory(), MemberFactory()
    with pytest.raises(PermissionDenied):
        role_grant(member=other, role=Role.MODERATOR, granted_by=member)
    assert not RoleGrant.objects.filter(member=other).exists()


def test_staff_grant_a_role_in_the_django_admin(client):
    # given a superuser editing a member in the Django admin
    admin = MemberFactory(is_staff=True, is_superuser=True)
    member = MemberFactory()
    client.force_login(admin)
    url = f"/django-admin/community/member/{member.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "groups": [],
            "user_permissions": [],
            "date_joined_0": member.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": member.date_joined.strftime("%H:%M:%S"),
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-0-id": member.profile.pk,
            "profile-0-member": member.pk,
            "profile-0-display_name": "Granted",
            "profile-0-timezone": "UTC",
            "profile-0-seller_stage": "new",
            "profile-0-languages": "[]",
            "role_grants-TOTAL_FORMS": "1",
            "role_grants-INITIAL_FORMS": "0",
            "role_grants-0-role": "moderator",
            "role_grants-0-member": member.pk,
        }
    )
    data.pop("last_login", None)
    # when they add the moderator role and save
    response = client.post(url, data)
    # then the grant records who gave it, and the member joins the Moderators group
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    grant = RoleGrant.objects.get(member=member)
    assert (grant.role, grant.granted_by) == ("moderator", admin)
    assert member.groups.filter(name="Moderators").exists()
