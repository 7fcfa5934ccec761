"""Trust levels: computed from forum and marketplace activity, promotion and demotion, locks, the nightly refresh,
days visited, the gates they set (posts, messages, flags) and the member's trust page and the help page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from community import trust
from community.forums import services as forum_services
from community.messaging import services as messaging_services
from community.models import (
    Conversation,
    MemberTrust,
    MemberVisit,
    Message,
    ModerationAction,
    Post,
    Reaction,
    Topic,
    TopicRead,
    TrustLevel,
)
from tests.community.test_forums_support import category, member, moderator, reply, topic
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

MARKET: dict[int, dict[str, int]] = {}


def market_counts(*, member_id: int, since=None) -> dict[str, int]:
    """Stands in for orders.hooks.member_marketplace_counts in the tests that are not about the orders app."""
    return MARKET.get(member_id, {"orders_completed": 0, "good_reviews": 0})


@pytest.fixture(autouse=True)
def _market(settings):
    settings.TRUST_MARKETPLACE_COUNTS = "tests.community.test_trust.market_counts"
    MARKET.clear()


def newcomer(days: int = 0):
    created = MemberFactory()
    created.date_joined = timezone.now() - timedelta(days=days)
    created.save(update_fields=["date_joined"])
    return created


def read_topics(reader, count: int, posts_each: int) -> list[Topic]:
    """The reader has entered `count` topics and read `posts_each` posts in each (read markers)."""
    author = member()
    cat = category()
    topics = [
        Topic.objects.create(category=cat, author=author, title=f"Topic {n}", post_count=posts_each)
        for n in range(count)
    ]
    TopicRead.objects.bulk_create(TopicRead(member=reader, topic=t, last_read_number=posts_each) for t in topics)
    return topics


def visits(who, days: int) -> None:
    today = timezone.localdate()
    MemberVisit.objects.bulk_create(MemberVisit(member=who, day=today - timedelta(days=n)) for n in range(days))


def reactions(*, giver, receiver, count: int) -> None:
    opened = topic(member())
    for n in range(count):
        post = Post.objects.create(topic=opened, author=receiver, number=100 + n, body="x", body_html="x")
        Reaction.objects.create(post=post, member=giver, kind="like")


def test_a_fresh_member_is_level_0_and_reading_the_forum_earns_level_1():
    # given a member who joined two days ago and read nothing
    reader = newcomer(days=2)
    assert trust.trust_level_compute(member=reader).level == TrustLevel.NEW
    # when they have entered 4 topics and read 28 posts: not yet
    read_topics(reader, 4, 7)
    assert trust.trust_level_compute(member=reader).level == TrustLevel.NEW
    # then 5 topics and 35 posts read earn level 1
    read_topics(reader, 1, 7)
    result = trust.trust_level_compute(member=reader)
    assert result.level == TrustLevel.BASIC
    assert (result.figures["topics_entered"], result.figures["posts_read"]) == (5, 35)


def test_nobody_reaches_level_1_on_their_first_day():
    reader = newcomer(days=0)
    read_topics(reader, 10, 10)
    assert trust.trust_level_compute(member=reader).level == TrustLevel.NEW


def test_a_completed_order_is_the_marketplace_path_to_level_1_and_reviews_to_level_2():
    seller = newcomer(days=8)
    MARKET[seller.pk] = {"orders_completed": 1, "good_reviews": 0}
    assert trust.trust_level_compute(member=seller).level == TrustLevel.BASIC
    # level 2 by the marketplace: 3 completed orders, a good review and 10 days visited
    MARKET[seller.pk] = {"orders_completed": 3, "good_reviews": 1}
    visits(seller, 9)
    assert trust.trust_level_compute(member=seller).level == TrustLevel.BASIC
    visits_extra = timezone.localdate() - timedelta(days=9)
    MemberVisit.objects.create(member=seller, day=visits_extra)
    assert trust.trust_level_compute(member=seller).level == TrustLevel.MEMBER


def test_the_orders_hook_counts_completed_orders_and_good_published_reviews(settings):
    from orders.hooks import member_marketplace_counts
    from orders.models import Review
    from tests.orders.factories import order_row

    settings.TRUST_MARKETPLACE_COUNTS = "orders.hooks.member_marketplace_counts"
    buyer = newcomer(days=3)
    now = timezone.now()
    done = order_row(buyer=buyer, state="completed", completed_at=now)
    order_row(buyer=buyer, state="paid")
    seller = done.seller
    published = {"visible_from": now, "published_at": now}
    review = {"order": done, "listing": done.listing, **published}
    Review.objects.create(author=buyer, subject=seller, author_role="buyer", rating=5, **review)
    Review.objects.create(author=seller, subject=buyer, author_role="seller", rating=2, **review)
    assert member_marketplace_counts(member_id=buyer.pk) == {"orders_completed": 1, "good_reviews": 0}
    assert member_marketplace_counts(member_id=seller.pk) == {"orders_completed": 1, "good_reviews": 1}
    assert trust.trust_level_compute(member=buyer).level == TrustLevel.BASIC


def test_level_2_by_the_forum_path_needs_every_requirement():
    regular = newcomer(days=10)
    read_topics(regular, 20, 5)
    visits(regular, 15)
    reactions(giver=regular, receiver=member(), count=1)
    assert trust.trust_level_compute(member=regular).level == TrustLevel.BASIC  # no reaction received, no replies
    reactions(giver=member(), receiver=regular, count=1)
    opened = [topic(member(), title=f"Question number {n}") for n in range(3)]
    for t in opened:
        reply(t, regular)
    assert trust.trust_level_compute(member=regular).level == TrustLevel.MEMBER


def _regular(days_visited: int = 50):
    """A member whose last 100 days meet level 3's forum path."""
    who = newcomer(days=200)
    read_topics(who, 25, 12)
    visits(who, days_visited)
    reactions(giver=who, receiver=member(), count=30)
    reactions(giver=member(), receiver=who, count=20)
    for n in range(10):
        reply(topic(member(), title=f"Regular topic {n}"), who)
    return who


def test_level_3_is_earned_over_100_days_and_lost_only_after_the_grace_period():
    # given a member who meets level 3's bar
    who = _regular()
    stored = trust.trust_level_apply(member=who)
    assert stored.level == TrustLevel.REGULAR
    # when their visits in the window fall below the bar
    MemberVisit.objects.filter(member=who).order_by("day")[:1].get().delete()
    MemberVisit.objects.filter(member=who, day__lt=timezone.localdate() - timedelta(days=20)).delete()
    # then within 14 days of promotion they keep level 3
    assert trust.trust_level_apply(member=who).level == TrustLevel.REGULAR
    # and after the grace period they return to level 2 (not lower: levels 1 and 2 are kept)
    later = timezone.now() + timedelta(days=15)
    demoted = trust.trust_level_apply(member=who, now=later)
    assert demoted.level == TrustLevel.MEMBER
    assert demoted.figures["computed_level"] == TrustLevel.MEMBER


def test_a_sanction_in_the_window_costs_level_3():
    from community import moderation

    who = _regular()
    assert trust.trust_level_compute(member=who).level == TrustLevel.REGULAR
    moderation.member_silence(member=who, moderator=moderator(), reason="Spam links", duration=timedelta(hours=2))
    assert trust.trust_level_compute(member=who).level == TrustLevel.MEMBER


def test_levels_1_and_2_are_never_lost():
    who = newcomer(days=30)
    MemberTrust.objects.create(member=who, level=TrustLevel.MEMBER, level_since=timezone.now() - timedelta(days=90))
    assert trust.trust_level_apply(member=who).level == TrustLevel.MEMBER


def test_a_moderator_locks_a_level_and_the_lock_is_logged():
    who, mod = newcomer(days=30), moderator()
    with pytest.raises(PermissionDenied):
        trust.trust_level_lock(member=who, moderator=member(), level=TrustLevel.LEADER)
    stored = trust.trust_level_lock(member=who, moderator=mod, level=TrustLevel.LEADER, reason="Runs the meetups")
    assert stored.level == TrustLevel.LEADER
    # activity does not move a locked level
    assert trust.trust_level_apply(member=who).level == TrustLevel.LEADER
    assert ModerationAction.objects.get(action="trust_locked", member=who).reason == "Runs the meetups"
    # unlocking gives the member the level their activity earns
    assert trust.trust_level_lock(member=who, moderator=mod, level=None).level == TrustLevel.NEW
    assert ModerationAction.objects.filter(action="trust_locked", member=who).count() == 2


def test_the_nightly_refresh_promotes_recent_visitors_and_is_scheduled():
    reader = newcomer(days=3)
    read_topics(reader, 5, 6)
    visits(reader, 1)
    idle = newcomer(days=3)
    assert trust.trust_levels_refresh() >= 1
    assert MemberTrust.objects.get(member=reader).level == TrustLevel.BASIC
    assert not MemberTrust.objects.filter(member=idle).exists()
    schedule = django_settings.CELERY_BEAT_SCHEDULE["community-trust-levels-refresh"]
    assert schedule["task"] == trust.trust_levels_refresh_task.name == "community.trust_levels_refresh"
    assert trust.trust_levels_refresh_task.apply().get() >= 1


def test_a_visit_is_written_once_a_day_per_member(client, django_assert_max_num_queries):
    who = member()
    client.force_login(who)
    client.get(reverse("community:trust_help"))
    client.get(reverse("community:trust_help"))
    assert MemberVisit.objects.filter(member=who).count() == 1
    assert MemberVisit.objects.get(member=who).day == timezone.localdate()
    # the second request of the day writes nothing (the cache remembers the visit)
    from community.middleware import visit_record

    with django_assert_max_num_queries(0):
        assert visit_record(member_id=who.pk) is False


# --- Gates ------------------------------------------------------------------------------------------------------


def test_a_new_member_sends_at_most_50_messages_a_day_and_a_basic_member_more():
    sender, other = newcomer(days=0), member()
    first = messaging_services.conversation_start(sender=sender, recipient=other, body="Hello there")
    conversation = first.conversation
    long_ago = timezone.now() - timedelta(hours=3)  # outside the 10-minute window, inside the day
    Message.objects.bulk_create(
        Message(conversation=conversation, sender=sender, body=f"m{n}", created_at=long_ago) for n in range(49)
    )
    with pytest.raises(messaging_services.RateLimited, match="50 messages a day") as error:
        messaging_services.message_send(conversation=conversation, sender=sender, body="One more")
    assert "trust level" in str(error.value)
    assert Message.objects.filter(sender=sender).count() == 50
    # once promoted, the daily cap is gone
    MemberTrust.objects.filter(member=sender).update(level=TrustLevel.BASIC)
    sender = type(sender).objects.get(pk=sender.pk)
    assert messaging_services.message_send(conversation=conversation, sender=sender, body="Thanks").message.pk
    assert Conversation.objects.count() == 1


def test_flags_weigh_by_trust_level():
    post = reply(topic(member()), member())
    # three level-0 members' flags do not hide a post
    for _n in range(3):
        forum_services.flag_create(post=post, flagger=newcomer(), reason="spam")
    post.refresh_from_db()
    assert not post.hidden
    # two level-1 flags (weight 2) still do not; a third (weight 3) does
    forum_services.flag_create(post=post, flagger=member(), reason="spam")
    forum_services.flag_create(post=post, flagger=member(), reason="spam")
    post.refresh_from_db()
    assert not post.hidden
    forum_services.flag_create(post=post, flagger=member(), reason="spam")
    post.refresh_from_db()
    assert post.hidden


def test_two_regulars_or_one_moderator_hide_a_post():
    post = reply(topic(member()), member())
    for _n in range(2):
        regular = member()
        MemberTrust.objects.filter(member=regular).update(level=TrustLevel.REGULAR)
        forum_services.flag_create(post=post, flagger=type(regular).objects.get(pk=regular.pk), reason="spam")
    post.refresh_from_db()
    assert post.hidden
    other = reply(topic(member()), member())
    forum_services.flag_create(post=other, flagger=moderator(), reason="inappropriate")
    other.refresh_from_db()
    assert other.hidden


# --- Pages --------------------------------------------------------------------------------------------------------


def test_the_trust_page_shows_the_level_what_it_allows_and_progress_with_figures(client):
    reader = newcomer(days=2)
    read_topics(reader, 3, 4)
    client.force_login(reader)
    response = client.get(reverse("community:trust"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Level 0: New member" in page
    assert "Up to 2 links, 1 image and 2 mentions in a post" in page
    assert "progress to level 1: Basic member" in page
    assert "3 / 5" in page and "12 / 30" in page  # topics entered, posts read
    assert '<progress max="100" value="60"' in page  # 3 of 5 topics
    assert reverse("community:trust_help") in page
    # the member reaches level 1 and the page says so
    read_topics(reader, 2, 10)
    assert "Level 1: Basic member" in client.get(reverse("community:trust")).content.decode()


def test_the_trust_page_is_for_signed_in_members_and_linked_from_their_profile(client):
    assert client.get(reverse("community:trust")).status_code == 302
    who = member("Pat Profile")
    client.force_login(who)
    assert reverse("community:trust") in client.get(reverse("community:profile", args=[who.pk])).content.decode()
    assert reverse("community:trust") in client.get(reverse("community:profile_edit")).content.decode()


def test_the_help_page_explains_promotion_demotion_and_each_level(client):
    page = client.get(reverse("community:trust_help")).content.decode()
    for text in ("Promotion", "Demotion", "Level 0: New member", "Level 3: Regular", "Level 4: Leader", "100 days"):
        assert text in page
    assert "Orders completed ≥ 1" in page
