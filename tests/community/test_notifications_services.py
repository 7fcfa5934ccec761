"""notification_send, email preferences per kind, the daily digest and the unsubscribe link."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from community.models import EmailDelivery, Notification, NotificationDigest, NotificationKind
from community.notifications import selectors, services
from hub.celery import app as celery_app
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def send(member, kind, text="Something happened", url="/forum/t/1/", **extra):
    return services.notification_send(member=member, kind=kind, text=text, url=url, **extra)


def test_defaults_email_money_and_moderation_immediately_and_forum_replies_in_the_digest():
    member = MemberFactory()
    preferences = selectors.email_preferences(member=member)
    assert preferences[NotificationKind.ORDERS] == EmailDelivery.IMMEDIATELY
    assert preferences[NotificationKind.MODERATION] == EmailDelivery.IMMEDIATELY
    assert preferences[NotificationKind.FORUMS] == EmailDelivery.DIGEST
    assert set(preferences) == set(NotificationKind.values)


def test_an_immediate_kind_is_stored_and_emailed_after_commit_with_an_unsubscribe_link(
    eager, mailoutbox, django_capture_on_commit_callbacks
):
    # given a member who keeps the default for orders (immediately)
    member = MemberFactory()
    # when something about an order happens
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(
            member, NotificationKind.ORDERS, text="You have been paid", email_subject="Paid", email_body="Body text"
        )
    # then it is in the list and in one email with the link to stop such emails
    assert Notification.objects.get(pk=notification.pk).kind == NotificationKind.ORDERS
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [member.email]
    assert email.subject == "Paid"
    assert email.body.startswith("Body text")
    assert "/members/notifications/unsubscribe/" in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.extra_headers["List-Unsubscribe"].startswith("<http")


def test_without_an_email_text_the_email_gives_the_notification_and_its_link(
    eager, mailoutbox, django_capture_on_commit_callbacks
):
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        send(member, NotificationKind.MENTORING, text="Ada accepted your request", url="/mentoring/3/")
    assert mailoutbox[0].subject == "Ada accepted your request"
    assert "/mentoring/3/" in mailoutbox[0].body


def test_digest_and_never_kinds_are_not_emailed_at_once(eager, mailoutbox, django_capture_on_commit_callbacks):
    member = MemberFactory()
    services.email_preferences_update(member=member, preferences={NotificationKind.ORDERS: EmailDelivery.NEVER})
    with django_capture_on_commit_callbacks(execute=True):
        send(member, NotificationKind.FORUMS)  # digest by default
        send(member, NotificationKind.ORDERS)  # never, by choice
    assert mailoutbox == []
    assert Notification.objects.filter(member=member).count() == 2  # still in the list


def test_a_choice_changed_before_the_task_runs_is_respected(mailoutbox, django_capture_on_commit_callbacks):
    member = MemberFactory()
    notification = send(member, NotificationKind.ACCOUNT)
    services.email_preferences_update(member=member, preferences={NotificationKind.ACCOUNT: EmailDelivery.NEVER})
    assert services.notification_email_deliver(notification_id=notification.pk, subject="s", body="b") is False
    assert mailoutbox == []


def test_preferences_refuse_unknown_kinds_and_choices_and_save_nothing():
    member = MemberFactory()
    with pytest.raises(ValidationError) as error:
        services.email_preferences_update(
            member=member, preferences={"orders": "never", "gossip": "never", "forums": "hourly"}
        )
    assert set(error.value.message_dict) == {"gossip", "forums"}
    assert selectors.email_preferences(member=member)["orders"] == EmailDelivery.IMMEDIATELY


def test_marking_one_read_only_touches_the_members_own():
    member, stranger = MemberFactory(), MemberFactory()
    theirs = Notification.objects.create(member=stranger, text="Not yours")
    assert services.notification_read(member=member, notification_id=theirs.pk) is None
    theirs.refresh_from_db()
    assert theirs.read_at is None


# --- Digest --------------------------------------------------------------------------------------------------

DAY = date(2026, 3, 10)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def notify(member, kind, text, when, read=False):
    notification = Notification.objects.create(member=member, kind=kind, text=text, url="/forum/t/9/")
    Notification.objects.filter(pk=notification.pk).update(created_at=when, read_at=when if read else None)
    return notification


def test_the_digest_lists_the_days_unread_digest_kinds_once(mailoutbox, django_capture_on_commit_callbacks):
    # given a member with forum replies (digest) that day, one read, one the day before, and an order (immediate)
    member = MemberFactory()
    notify(member, NotificationKind.FORUMS, "Ann replied to “Kilns”", at(DAY, 9))
    notify(member, NotificationKind.EVENTS, "A session starts soon", at(DAY, 22))
    notify(member, NotificationKind.FORUMS, "Already read", at(DAY, 10), read=True)
    notify(member, NotificationKind.FORUMS, "The day before", at(DAY - timedelta(days=1), 23))
    notify(member, NotificationKind.ORDERS, "You have been paid", at(DAY, 11))
    # when the digest runs for that day, twice
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notifications_digest_send(day=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.notifications_digest_send(day=DAY)
    # then one email lists exactly the two unread digest notifications of that day
    assert (first, second) == (1, 0)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [member.email]
    assert email.subject == "Your Guildhall digest: 2 notifications"
    assert "Ann replied to “Kilns”" in email.body and "A session starts soon" in email.body
    assert "Already read" not in email.body and "The day before" not in email.body
    assert "You have been paid" not in email.body
    assert email.body.count("/members/notifications/unsubscribe/") == 2  # one link per kind listed
    assert NotificationDigest.objects.get(member=member, day=DAY).count == 2


def test_no_digest_when_there_is_nothing_to_list(mailoutbox, django_capture_on_commit_callbacks):
    # given one member with only read or immediate notifications, and one who chose never for forums
    quiet = MemberFactory()
    notify(quiet, NotificationKind.FORUMS, "Read", at(DAY, 9), read=True)
    notify(quiet, NotificationKind.ORDERS, "Paid", at(DAY, 9))
    opted_out = MemberFactory()
    services.email_preferences_update(member=opted_out, preferences={NotificationKind.FORUMS: EmailDelivery.NEVER})
    notify(opted_out, NotificationKind.FORUMS, "Reply", at(DAY, 9))
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.notifications_digest_send(day=DAY)
    assert sent == 0
    assert mailoutbox == []
    assert not NotificationDigest.objects.exists()


def test_an_order_kind_moved_to_the_digest_goes_there(mailoutbox, django_capture_on_commit_callbacks):
    member = MemberFactory()
    services.email_preferences_update(member=member, preferences={NotificationKind.ORDERS: EmailDelivery.DIGEST})
    notify(member, NotificationKind.ORDERS, "New order for “Mug”", at(DAY, 12))
    with django_capture_on_commit_callbacks(execute=True):
        services.notifications_digest_send(day=DAY)
    assert "New order for “Mug”" in mailoutbox[0].body
    assert mailoutbox[0].subject == "Your Guildhall digest: 1 notification"


def test_the_beat_schedule_runs_the_digest_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["community-notifications-digest"]
    assert entry["task"] == "community.notifications_digest_send"
    celery_app.loader.import_default_modules()  # what a worker and beat do at start: autodiscovery, CELERY_IMPORTS
    assert celery_app.tasks["community.notifications_digest_send"].name == entry["task"]


# --- Unsubscribe ---------------------------------------------------------------------------------------------


def test_an_unsubscribe_link_sets_its_kind_to_never_and_a_forged_one_is_refused():
    member = MemberFactory()
    token = services.unsubscribe_token(member=member, kind=NotificationKind.MENTORING)
    assert services.email_unsubscribe(token=token) == (member, NotificationKind.MENTORING)
    preferences = selectors.email_preferences(member=member)
    assert preferences[NotificationKind.MENTORING] == EmailDelivery.NEVER
    assert preferences[NotificationKind.ORDERS] == EmailDelivery.IMMEDIATELY
    with pytest.raises(ValidationError):
        services.email_unsubscribe(token=token[:-2] + "xx")
