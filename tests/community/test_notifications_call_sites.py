"""The apps that tell members things go through the notifications centre: each notification has its kind, and
every email about one follows the member's choice for that kind (and carries the unsubscribe link)."""

from __future__ import annotations

import pytest

from community.messaging import tasks as messaging_tasks
from community.models import EmailDelivery, Notification, NotificationKind
from community.notifications.services import email_preferences_update
from hub.celery import app as celery_app
from orders import services as order_services
from orders.notifications import order_email_send
from tests.community.test_forums_support import member, reply, topic
from tests.community.test_messaging_support import buyer_and_seller, orders_app_stand_in, start
from tests.orders.factories import MemberFactory, item_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_order_emails_follow_the_buyers_choice(mailoutbox):
    order = order_services.order_create(
        buyer=MemberFactory(), listing_id=item_listing(title="Teal mug").pk, payment_method="pm_card_visa"
    )
    assert Notification.objects.filter(member=order.buyer, kind=NotificationKind.ORDERS).exists()
    mailoutbox.clear()
    # by default order news is emailed at once, with the link to stop it
    assert order_email_send(order_id=order.pk, email="order_placed", recipient="buyer")
    assert "/members/notifications/unsubscribe/" in mailoutbox[0].body
    # once the buyer chose never, it is not
    email_preferences_update(member=order.buyer, preferences={NotificationKind.ORDERS: EmailDelivery.NEVER})
    assert not order_email_send(order_id=order.pk, email="order_placed", recipient="buyer")
    assert len(mailoutbox) == 1


def test_the_away_email_for_messages_follows_the_recipients_choice(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    orders_app_stand_in(settings)
    buyer, seller = buyer_and_seller()
    email_preferences_update(member=seller, preferences={NotificationKind.MESSAGES: EmailDelivery.DIGEST})
    delivery = start(buyer, seller)
    assert Notification.objects.get(member=seller).kind == NotificationKind.MESSAGES
    with django_capture_on_commit_callbacks(execute=True):
        messaging_tasks.message_email_if_unread(delivery.message.pk, seller.pk)
    assert mailoutbox == []  # it waits for the digest instead


def test_forum_replies_are_forum_kind_and_emailed_only_when_chosen(
    eager, mailoutbox, django_capture_on_commit_callbacks
):
    asker, answerer = member("Ada Asker"), member("Rex Replier")
    opened = topic(asker)
    with django_capture_on_commit_callbacks(execute=True):
        reply(opened, answerer, body="First answer")
    assert Notification.objects.get(member=asker).kind == NotificationKind.FORUMS
    assert mailoutbox == []  # forum replies go to the digest by default
    email_preferences_update(member=asker, preferences={NotificationKind.FORUMS: EmailDelivery.IMMEDIATELY})
    with django_capture_on_commit_callbacks(execute=True):
        reply(opened, answerer, body="Second answer")
    assert [m.subject for m in mailoutbox] == ["Rex Replier replied to “How do you price handmade mugs?”"]
    assert mailoutbox[0].to == [asker.email]
