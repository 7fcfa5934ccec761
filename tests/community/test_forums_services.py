"""Forum services: topics and posts, Markdown safety, mentions and notifications, edits, reactions, answers,
moderation, flags, first-day limits and private categories."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from community.forums import selectors, services
from community.models import (
    FlagStatus,
    HiddenReason,
    Mention,
    Notification,
    Post,
    PostRevision,
    Reaction,
    Role,
    TopicKind,
    TopicRead,
    WatchLevel,
)
from tests.community.test_forums_support import category, member, moderator, private_category, reply, topic

pytestmark = pytest.mark.django_db


def test_a_topic_opens_with_its_first_post_and_counters():
    # given a member
    author = member("Sam Seller")
    # when they open a topic with tags
    opened = topic(author, tags=["Pricing", "mugs", "pricing"])
    # then the opening post is number 1, the author watches it and has read it
    first = opened.posts.get()
    assert first.number == 1
    assert (opened.post_count, opened.reply_count) == (1, 0)
    assert sorted(opened.tags.names()) == ["mugs", "pricing"]
    assert opened.watches.get().level == WatchLevel.WATCHING
    assert TopicRead.objects.get(topic=opened, member=author).last_read_number == 1


def test_markdown_is_rendered_and_script_is_inert():
    author = member()
    opened = topic(author, body="**Bold** <script>alert('x')</script> [a](javascript:alert(1))")
    html = opened.posts.get().body_html
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_replies_number_posts_and_notify_the_author_and_watchers_but_not_the_muted():
    # given a topic, a watcher and a member who muted it
    author, watcher, muted, replier = member("Asker"), member("Watcher"), member("Muted"), member("Replier")
    opened = topic(author)
    services.topic_watch_set(topic=opened, member=watcher, level=WatchLevel.WATCHING)
    services.topic_watch_set(topic=opened, member=muted, level=WatchLevel.MUTED)
    # when someone replies
    post = reply(opened, replier)
    # then the post is number 2, and the author and watcher are told; the muted member and the replier are not
    assert post.number == 2
    opened.refresh_from_db()
    assert (opened.post_count, opened.reply_count, opened.last_poster_id) == (2, 1, replier.pk)
    told = set(Notification.objects.values_list("member_id", flat=True))
    assert told == {author.pk, watcher.pk}
    assert Notification.objects.get(member=author).url.endswith("#post-2")


def test_mentions_by_display_name_and_by_id_create_rows_links_and_notifications():
    # given members with display names
    author, sam, ana, stranger = member("Asker"), member("Sam Seller"), member("Ana Ambassador"), member("Nobody")
    opened = topic(author)
    # when a reply mentions one by name (mid-sentence) and one by id
    post = reply(opened, stranger, body=f"Ask @Sam Seller about glazes, and @member-{ana.pk} too. @Not Anyone")
    # then both are mentioned, linked to their profiles, and told
    assert set(Mention.objects.filter(post=post).values_list("member_id", flat=True)) == {sam.pk, ana.pk}
    assert f'href="/members/{sam.pk}/"' in post.body_html or sam.get_absolute_url() in post.body_html
    assert "@Sam Seller</a> about glazes" in post.body_html
    assert "@Not Anyone" in post.body_html
    mentioned = Notification.objects.filter(member__in=[sam, ana])
    assert mentioned.count() == 2
    assert all("mentioned you" in n.text for n in mentioned)


def test_a_mention_does_not_reach_a_member_who_cannot_see_the_category():
    insider, outsider = member("Insider"), member("Outsider")
    room = private_category(insider)
    opened = topic(insider, room)
    reply(opened, insider, body="Hey @Outsider, look")
    assert not Notification.objects.filter(member=outsider).exists()


def test_quoting_notifies_the_quoted_author():
    author, answerer, third = member("Asker"), member("Answerer"), member("Third")
    opened = topic(author)
    answer = reply(opened, answerer)
    quoting = reply(opened, third, body="Agreed!", quote=answer)
    assert quoting.quote == answer
    assert "quoted you" in Notification.objects.filter(member=answerer).latest("id").text
    other = topic(author, title="Another topic entirely")
    with pytest.raises(ValidationError):
        reply(other, third, quote=answer)


def test_editing_keeps_history_and_only_the_author_may_edit():
    author, other = member("Author"), member("Other")
    opened = topic(author, body="First words")
    first = opened.posts.get()
    with pytest.raises(PermissionDenied):
        services.post_edit(post=first, editor=other, body="Hijack")
    edited = services.post_edit(post=first, editor=author, body="Better words")
    assert edited.body == "Better words" and "Better words" in edited.body_html
    assert edited.edited_at is not None
    assert list(PostRevision.objects.filter(post=first).values_list("body", flat=True)) == ["First words"]


def test_reactions_toggle_once_per_kind():
    author, fan = member(), member()
    post = topic(author).posts.get()
    assert services.reaction_toggle(post=post, member=fan, kind="like") is True
    assert services.reaction_toggle(post=post, member=fan, kind="thanks") is True
    assert Reaction.objects.filter(post=post).count() == 2
    assert services.reaction_toggle(post=post, member=fan, kind="like") is False
    assert list(Reaction.objects.filter(post=post).values_list("kind", flat=True)) == ["thanks"]
    with pytest.raises(ValidationError):
        services.reaction_toggle(post=post, member=author, kind="like")
    with pytest.raises(ValidationError):
        services.reaction_toggle(post=post, member=fan, kind="love")


def test_only_the_asker_accepts_an_answer_to_a_question():
    asker, answerer = member("Asker"), member("Answerer")
    question = topic(asker, kind=TopicKind.QUESTION)
    answer = reply(question, answerer)
    with pytest.raises(PermissionDenied):
        services.answer_accept(topic=question, post=answer, member=answerer)
    with pytest.raises(ValidationError):
        services.answer_accept(topic=question, post=question.posts.get(number=1), member=asker)
    accepted = services.answer_accept(topic=question, post=answer, member=asker)
    assert accepted.accepted_answer == answer
    assert "accepted your answer" in Notification.objects.filter(member=answerer).latest("id").text
    discussion = topic(asker)
    other_answer = reply(discussion, answerer)
    with pytest.raises(ValidationError):
        services.answer_accept(topic=discussion, post=other_answer, member=asker)


def test_pinning_and_closing_are_for_moderators_and_closed_topics_refuse_replies():
    author, mod, staff = member(), moderator(), member(is_staff=True)
    opened = topic(author)
    with pytest.raises(PermissionDenied):
        services.topic_pin(topic=opened, member=author)
    assert services.topic_pin(topic=opened, member=mod).pinned
    assert services.topic_close(topic=opened, member=staff).closed
    opened.refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        reply(opened, author)
    assert reply(opened, mod, body="Closing note from a moderator").number == 2


def test_three_flags_from_different_members_hide_a_post_and_moderators_resolve():
    # given a post
    author = member("Author")
    post = reply(topic(member()), author)
    flaggers = [member(f"Flagger {n}") for n in range(3)]
    # when two members flag it, it stays; the same member cannot flag twice
    services.flag_create(post=post, flagger=flaggers[0], reason="spam")
    services.flag_create(post=post, flagger=flaggers[1], reason="off_topic")
    with pytest.raises(ValidationError, match="already flagged"):
        services.flag_create(post=post, flagger=flaggers[1], reason="spam")
    post.refresh_from_db()
    assert not post.hidden
    # when a third member flags it, it is hidden and its author told
    flag = services.flag_create(post=post, flagger=flaggers[2], reason="other", text="Selling off-site")
    post.refresh_from_db()
    assert post.hidden and post.hidden_reason == HiddenReason.FLAGS
    assert "hidden" in Notification.objects.filter(member=author).latest("id").text
    # then a moderator who disagrees restores it and resolves every open flag on it
    with pytest.raises(PermissionDenied):
        services.flag_resolve(flag=flag, moderator=author, agree=False)
    services.flag_resolve(flag=flag, moderator=moderator(), agree=False)
    post.refresh_from_db()
    assert not post.hidden
    assert set(post.flags.values_list("status", flat=True)) == {FlagStatus.DISAGREED}


def test_a_moderator_who_agrees_hides_the_post():
    post = reply(topic(member()), member())
    flag = services.flag_create(post=post, flagger=member(), reason="inappropriate")
    services.flag_resolve(flag=flag, moderator=moderator(), agree=True)
    post.refresh_from_db()
    assert post.hidden and post.hidden_reason == HiddenReason.MODERATOR
    with pytest.raises(ValidationError, match="already resolved"):
        services.flag_resolve(flag=flag, moderator=moderator("Other mod"), agree=False)


def test_flag_reasons_are_validated():
    post = reply(topic(member()), member())
    with pytest.raises(ValidationError):
        services.flag_create(post=post, flagger=member(), reason="boring")
    with pytest.raises(ValidationError):
        services.flag_create(post=post, flagger=member(), reason="other", text="")
    with pytest.raises(ValidationError):
        services.flag_create(post=post, flagger=post.author, reason="spam")


def test_new_members_have_daily_limits_on_topics_and_posts():
    newcomer = member("Newbie", new=True)
    cat = category()
    for n in range(3):
        topic(newcomer, cat, title=f"My question number {n}")
    with pytest.raises(services.RateLimited, match="3 topics"):
        topic(newcomer, cat, title="One topic too many")
    opened = topic(member(), cat)
    for n in range(7):
        reply(opened, newcomer, body=f"Reply {n}")
    with pytest.raises(services.RateLimited, match="10 posts"):
        reply(opened, newcomer, body="Eleventh")


def test_everyone_writes_at_most_30_posts_an_hour():
    veteran = member("Veteran")
    opened = topic(member())
    # given 30 posts in the last hour (made directly: the limit is what is tested)
    now = timezone.now()
    Post.objects.bulk_create(
        [Post(topic=opened, author=veteran, number=100 + n, body="x", body_html="x", created_at=now) for n in range(30)]
    )
    with pytest.raises(services.RateLimited, match="30 posts"):
        reply(opened, veteran)
    Post.objects.filter(author=veteran).update(created_at=now - timedelta(hours=2))
    assert reply(opened, veteran).pk


def test_new_members_have_caps_on_links_and_images_per_post():
    # given a member at trust level 0 and one at level 1
    newcomer = member(new=True)
    opened = topic(member())
    # then a post over the level-0 caps is refused whole, saying why and how to progress
    too_many = [
        ("See https://a.test, https://b.test and www.c.test", "at most 2 links (this one has 3)"),
        ("[one](http://a.test) [two](http://b.test) [three](http://c.test)", "at most 2 links"),
        ("![a](https://x.test/a.png) ![b](https://x.test/b.png)", "at most 1 images"),
    ]
    for body, message in too_many:
        with pytest.raises(ValidationError, match=re.escape(message)) as error:
            reply(opened, newcomer, body=body)
        assert "trust level" in str(error.value)
    assert not Post.objects.filter(author=newcomer).exists()
    # within the caps it passes; a member at level 1 has room for more
    assert reply(opened, newcomer, body="See https://a.test and ![a](https://x.test/a.png)").pk
    assert "www.c.test" in reply(opened, member(), body=too_many[0][0]).body_html


def test_a_private_category_is_a_404_for_strangers_and_refuses_their_writes():
    insider, stranger = member("Insider"), member("Stranger")
    room = private_category(insider)
    opened = topic(insider, room)
    assert selectors.topic_get_for(topic_id=opened.pk, member=insider) == opened
    with pytest.raises(Http404):
        selectors.topic_get_for(topic_id=opened.pk, member=stranger)
    with pytest.raises(Http404):
        selectors.category_get_for(slug=room.slug, member=stranger)
    with pytest.raises(PermissionDenied):
        reply(opened, stranger)
    with pytest.raises(PermissionDenied):
        topic(stranger, room)
    assert room not in selectors.categories_for(member=stranger)
    assert room in selectors.categories_for(member=moderator())


def test_a_role_restricted_category_is_open_to_that_role():
    mentor, buyer = member("Mentor"), member("Buyer")
    mentor.role_grants.create(role=Role.MENTOR)
    room = category("Mentors' corner", visibility="role", role=Role.MENTOR)
    assert selectors.category_visible_to(room, mentor)
    assert not selectors.category_visible_to(room, buyer)


def test_lessons_need_their_fields_and_other_kinds_refuse_them():
    author = member()
    with pytest.raises(ValidationError) as error:
        topic(author, kind=TopicKind.LESSON)
    assert {"hypothesis", "tried", "result"} <= set(error.value.message_dict)
    lesson = topic(
        author,
        kind=TopicKind.LESSON,
        hypothesis="Better photos sell more",
        tried="Reshot all photos in daylight",
        result="worked",
        figures="Views +40%",
        playbook_urls=["/playbooks/photos/", "https://guildhall.test/playbooks/light/"],
    )
    assert lesson.result == "worked" and len(lesson.playbook_urls) == 2
    with pytest.raises(ValidationError):
        topic(author, kind=TopicKind.LESSON, hypothesis="h", tried="t", result="worked", playbook_urls=["not a url"])
    with pytest.raises(ValidationError):
        topic(author, kind=TopicKind.DISCUSSION, hypothesis="Stray")


def test_read_markers_move_forward_only():
    author, reader = member(), member()
    opened = topic(author)
    for _n in range(3):
        reply(opened, author)
    opened.refresh_from_db()
    assert services.topic_read_mark(topic=opened, member=reader, number=3).last_read_number == 3
    assert services.topic_read_mark(topic=opened, member=reader, number=1).last_read_number == 3
    assert services.topic_read_mark(topic=opened, member=reader, number=99).last_read_number == 4


def test_search_finds_titles_and_bodies_in_visible_categories_only():
    insider, outsider = member("Insider"), member("Outsider")
    public = topic(insider, title="Shipping ceramics safely", body="Bubble wrap and double boxes.")
    reply(public, insider, body="Also mark the parcel as fragile glassware")
    topic(insider, private_category(insider), title="Secret shipping deals", body="Only for us.")
    titles = {post.topic.title for post in selectors.forum_search(query="shipping", member=outsider)}
    assert titles == {"Shipping ceramics safely"}
    bodies = selectors.forum_search(query="fragile", member=outsider)
    assert [post.number for post in bodies] == [2]
    assert len({p.topic_id for p in selectors.forum_search(query="shipping", member=insider)}) == 2
