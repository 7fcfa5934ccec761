import pytest

from community.models import Notification
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_mark_all_read_with_htmx_swaps_only_the_list(client):
    # given a member with two unread notifications and a stranger with one
    member = MemberFactory()
    stranger = MemberFactory()
    Notification.objects.create(member=member, text="Your ID was approved")
    Notification.objects.create(member=member, text="Welcome <b>aboard</b>")
    Notification.objects.create(member=stranger, text="Not yours")
    client.force_login(member)
    # when they mark all as read through htmx
    response = client.post("/members/me/notifications/", HTTP_HX_REQUEST="true")
    # then only the list comes back, escaped, and only their notifications are read
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="notifications-list">')
    assert "<html" not in html
    assert "Welcome &lt;b&gt;aboard&lt;/b&gt;" in html
    assert "Not yours" not in html
    assert "You are all caught up." in html and "Mark all as read" not in html
    assert Notification.objects.filter(member=member, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(member=stranger, read_at__isnull=True).count() == 1


def test_plain_post_redirects_back_to_the_page(client):
    member = MemberFactory()
    client.force_login(member)
    response = client.post("/members/me/notifications/")
    assert response.status_code == 302
    assert response["Location"] == "/members/me/notifications/"


def test_notifications_need_a_signed_in_member(client):
    response = client.get("/members/me/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
