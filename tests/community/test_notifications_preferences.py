"""The email preferences page, marking one notification read on the page, and the unsubscribe link."""

from __future__ import annotations

import pytest

from community.models import EmailDelivery, Notification, NotificationKind
from community.notifications import selectors, services
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_preferences_page_shows_one_labelled_group_per_kind(client):
    member = MemberFactory()
    client.force_login(member)
    html = client.get("/members/me/notifications/email/").content.decode()
    assert html.count("<legend>") >= len(NotificationKind.values)
    assert "Forum replies and mentions" in html
    assert "In the daily digest" in html


def test_saving_preferences(client):
    member = MemberFactory()
    client.force_login(member)
    data = {kind: EmailDelivery.IMMEDIATELY for kind in NotificationKind.values}
    data["forums"] = EmailDelivery.NEVER
    response = client.post("/members/me/notifications/email/", data, follow=True)
    assert "Your email choices are saved." in response.content.decode()
    assert selectors.email_preferences(member=member)["forums"] == EmailDelivery.NEVER


def test_a_bad_choice_is_shown_next_to_its_kind_and_nothing_is_saved(client):
    member = MemberFactory()
    client.force_login(member)
    data = {kind: EmailDelivery.IMMEDIATELY for kind in NotificationKind.values}
    data["orders"] = "hourly"
    del data["forums"]
    response = client.post("/members/me/notifications/email/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose one of the options." in html
    assert "Choose how you hear about this." in html
    assert selectors.email_preferences(member=member)["forums"] == EmailDelivery.DIGEST


def test_marking_one_read_with_htmx_and_a_strangers_is_404(client):
    member, stranger = MemberFactory(), MemberFactory()
    mine = Notification.objects.create(member=member, text="Mine <i>here</i>")
    other = Notification.objects.create(member=member, text="Still unread")
    theirs = Notification.objects.create(member=stranger, text="Theirs")
    client.force_login(member)
    response = client.post(f"/members/me/notifications/{mine.pk}/read/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="notifications-list">')
    assert "Mine &lt;i&gt;here&lt;/i&gt;" in html
    assert html.count("Mark read") == 1  # only "Still unread" keeps its button
    assert "Mark all as read" in html
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None and other.read_at is None
    assert client.post(f"/members/me/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_page_query_count_does_not_grow_with_notifications(client, django_assert_max_num_queries):
    member = MemberFactory()
    client.force_login(member)
    Notification.objects.create(member=member, text="One")
    with django_assert_max_num_queries(30) as few:
        client.get("/members/me/notifications/")
    for i in range(40):
        Notification.objects.create(member=member, text=f"More {i}", kind=NotificationKind.FORUMS)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/members/me/notifications/")
    assert response.content.decode().count("data-notification-item") == 41


def test_one_click_unsubscribe_from_an_email(client):
    # given a link from an email, opened without signing in
    member = MemberFactory()
    token = services.unsubscribe_token(member=member, kind=NotificationKind.FORUMS)
    # when it is opened (as a mail scanner would too), nothing changes yet: the page asks
    response = client.get(f"/members/notifications/unsubscribe/{token}/")
    assert response.status_code == 200
    assert "Stop these emails" in response.content.decode()
    assert selectors.email_preferences(member=member)["forums"] == EmailDelivery.DIGEST
    # when the member presses the button, forum emails stop and the page says so
    response = client.post(f"/members/notifications/unsubscribe/{token}/")
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert selectors.email_preferences(member=member)["forums"] == EmailDelivery.NEVER


def test_a_mail_clients_one_click_post_works_without_csrf(client):
    member = MemberFactory()
    token = services.unsubscribe_token(member=member, kind=NotificationKind.EVENTS)
    response = client.post(f"/members/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert selectors.email_preferences(member=member)["events"] == EmailDelivery.NEVER


def test_a_forged_unsubscribe_link_is_refused_clearly(client):
    member = MemberFactory()
    token = services.unsubscribe_token(member=member, kind=NotificationKind.FORUMS).replace(":", ":x", 1)
    response = client.get(f"/members/notifications/unsubscribe/{token}/")
    assert response.status_code == 400
    assert "This unsubscribe link is not valid." in response.content.decode()
    assert selectors.email_preferences(member=member)["forums"] == EmailDelivery.DIGEST
