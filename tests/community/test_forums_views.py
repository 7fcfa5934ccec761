"""Forum pages: what they show, their forms, 404 for private categories, CSRF, and query counts that do not grow
with the page size; and the forum API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.forums import services
from community.models import Flag, Notification, Reaction, Topic, TopicKind, Verification, VerificationStatus
from tests.community.test_forums_support import category, member, moderator, private_category, reply, topic
from tests.community.test_messaging_support import published_listing

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _verified(name: str):
    created = member(name)
    Verification.objects.create(member=created, kind="email", status=VerificationStatus.APPROVED)
    return created


# --- Query counts ------------------------------------------------------------------------------------------------


def test_category_page_queries_do_not_grow_with_topics(client):
    # given a reader and a category with 5 topics, then 50
    reader = member("Reader")
    cat = category()
    client.force_login(reader)

    def open_topics(count: int) -> None:
        for n in range(count):
            opened = topic(_verified(f"Author {n}"), cat, title=f"Topic number {n}", tags=["tips"])
            if n % 2:
                services.topic_read_mark(topic=opened, member=reader, number=1)

    open_topics(5)
    url = reverse("forums:category", args=[cat.slug])
    _queries(client, url)  # warm per-process caches
    few = _queries(client, url)
    open_topics(45)
    many_url = f"{url}?page=1"
    assert _queries(client, many_url) == few
    # the API list too
    api = f"/api/v1/forum/categories/{cat.slug}/topics?page_size=50"
    _queries(client, api.replace("50", "5"))
    assert _queries(client, api) == _queries(client, api.replace("50", "5"))


def test_topic_page_queries_do_not_grow_with_posts(client):
    reader = member("Reader")
    opened = topic(_verified("Asker"))
    client.force_login(reader)

    def write(count: int) -> None:
        for n in range(count):
            post = reply(opened, _verified(f"Writer {n}"), body=f"Post {n} quoting", quote=opened.posts.first())
            Reaction.objects.create(post=post, member=reader, kind="like")

    write(4)  # 5 posts
    url = reverse("forums:topic", args=[opened.pk])
    _queries(client, url)
    few = _queries(client, url)
    write(35)  # 40 posts: the page shows 20
    # (a first visit moves the read marker forward, one more query; the page itself costs the same)
    _queries(client, url)
    assert _queries(client, url) == few
    _queries(client, f"{url}?page=2")
    assert _queries(client, f"{url}?page=2") == few
    api = f"/api/v1/forum/topics/{opened.pk}/posts"
    assert _queries(client, f"{api}?page_size=5") == _queries(client, f"{api}?page_size=40")


# --- Pages -------------------------------------------------------------------------------------------------------


def test_index_lists_visible_categories_with_counts(client):
    insider = member("Insider")
    public = category("Photography")
    topic(insider, public)
    room = private_category(insider)
    page = client.get(reverse("forums:index")).content.decode()
    assert "Photography" in page and "1 topic" in page
    assert room.name not in page
    client.force_login(insider)
    assert room.name in client.get(reverse("forums:index")).content.decode()


def test_a_stranger_gets_404_on_a_private_category_and_its_topics(client):
    insider = member("Insider")
    room = private_category(insider)
    opened = topic(insider, room)
    post = opened.posts.get()
    client.force_login(member("Stranger"))
    for url in [
        reverse("forums:category", args=[room.slug]),
        reverse("forums:topic_new", args=[room.slug]),
        reverse("forums:topic", args=[opened.pk]),
        reverse("forums:post", args=[post.pk]),
        reverse("forums:flag", args=[post.pk]),
        f"/api/v1/forum/categories/{room.slug}/topics",
        f"/api/v1/forum/topics/{opened.pk}/posts",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("forums:topic", args=[opened.pk]), {"body": "Hi"}).status_code == 404
    assert client.post(f"/api/v1/forum/topics/{opened.pk}/posts", {"body": "x"}, "application/json").status_code == 404


def test_new_topic_reply_quote_and_accept_through_the_pages(client):
    cat = category()
    asker, answerer = member("Asker"), member("Answerer")
    client.force_login(asker)
    response = client.post(
        reverse("forums:topic_new", args=[cat.slug]),
        {"kind": "question", "title": "Which courier for mugs?", "body": "They keep breaking.", "tags": "shipping"},
    )
    question = Topic.objects.get(title="Which courier for mugs?")
    assert response.status_code == 302 and response["Location"] == question.get_absolute_url()
    assert question.kind == TopicKind.QUESTION

    client.force_login(answerer)
    first = question.posts.get()
    page = client.get(reverse("forums:topic", args=[question.pk]) + f"?quote={first.pk}").content.decode()
    assert f'name="quote" value="{first.pk}"' in page and "Quoting Asker" in page
    response = client.post(
        reverse("forums:topic", args=[question.pk]), {"body": "Use double boxes, @Asker", "quote": first.pk}
    )
    assert response.status_code == 302
    answer = question.posts.get(number=2)
    assert answer.quote == first

    client.force_login(asker)
    assert client.post(reverse("forums:answer_accept", args=[answer.pk])).status_code == 302
    question.refresh_from_db()
    assert question.accepted_answer == answer
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Accepted answer" in page and "Solved" in page


def test_reply_errors_are_shown_with_400_and_rate_limits_with_429(client):
    opened = topic(member())
    newcomer = member("Newbie", new=True)
    client.force_login(newcomer)
    spam = "See https://spam.test and https://spam.test/a and www.spam.test"
    response = client.post(reverse("forums:topic", args=[opened.pk]), {"body": spam})
    assert response.status_code == 400
    assert "at most 2 links (this one has 3)" in response.content.decode()
    for n in range(10):
        reply(opened, newcomer, body=f"Reply {n}")
    response = client.post(reverse("forums:topic", args=[opened.pk]), {"body": "One more"})
    assert response.status_code == 429


def test_lesson_form_keeps_lesson_fields_and_shows_them(client):
    cat = category()
    author = member("Lesson author")
    client.force_login(author)
    data = {
        "kind": "lesson",
        "title": "Daylight photos doubled my views",
        "body": "Here is what happened.",
        "hypothesis": "Better light sells",
        "tried": "Reshot everything at noon",
        "result": "worked",
        "figures": "Views 120 → 260",
        "playbook_urls": "/playbooks/photos/",
    }
    response = client.post(reverse("forums:topic_new", args=[cat.slug]), data)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Better light sells" in page and "It worked" in page and "Views 120 → 260" in page
    # a lesson without its fields is refused with field errors
    response = client.post(reverse("forums:topic_new", args=[cat.slug]), {**data, "hypothesis": "", "result": ""})
    assert response.status_code == 400
    assert "Say what you expected" in response.content.decode()


def test_reactions_by_htmx_and_without_javascript(client):
    post = reply(topic(member()), member("Author"))
    client.force_login(member("Fan"))
    url = reverse("forums:reaction", args=[post.pk])
    response = client.post(url, {"kind": "thanks"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert client.post(url, {"kind": "thanks"}).status_code == 302
    assert not Reaction.objects.exists()


def test_every_post_form_needs_a_csrf_token():
    opened = topic(member())
    post = reply(opened, member())
    client = Client(enforce_csrf_checks=True)
    client.force_login(member("Somebody"))
    for url, data in [
        (reverse("forums:topic", args=[opened.pk]), {"body": "Hello"}),
        (reverse("forums:reaction", args=[post.pk]), {"kind": "like"}),
        (reverse("forums:flag", args=[post.pk]), {"reason": "spam"}),
        (reverse("forums:topic_watch", args=[opened.pk]), {"level": "muted"}),
        (reverse("forums:topic_new", args=[opened.category.slug]), {"kind": "discussion", "title": "Hello there"}),
    ]:
        assert client.post(url, data).status_code == 403, url


def test_flag_form_and_moderator_queue(client):
    author = member("Author")
    post = reply(topic(member()), author)
    client.force_login(member("Flagger"))
    response = client.post(reverse("forums:flag", args=[post.pk]), {"reason": "spam", "text": ""})
    assert response.status_code == 302
    flag = Flag.objects.get()
    # members cannot see the queue; moderators can, and resolve
    assert client.get(reverse("forums:flags")).status_code == 404
    client.force_login(moderator())
    assert "Agree: hide the post" in client.get(reverse("forums:flags")).content.decode()
    response = client.post(reverse("forums:flag_resolve", args=[flag.pk]), {"decision": "agree"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hidden
    # the hidden post's text is not shown to other members
    client.force_login(member("Reader"))
    page = client.get(post.topic.get_absolute_url()).content.decode()
    assert "hidden by a moderator" in page and post.body not in page


def test_search_page(client):
    topic(member(), title="Etsy versus Guildhall fees", body="Comparing commissions")
    page = client.get(reverse("forums:search"), {"q": "commissions"}).content.decode()
    assert "Etsy versus Guildhall fees" in page


def test_peer_review_topics_take_structured_feedback_from_the_seller_s_listing(client):
    seller, reviewer, someone = member("Sam Seller"), member("Reviewer"), member("Someone")
    listing = published_listing(seller)
    cat = category()
    with pytest.raises(services.ValidationError):
        topic(someone, cat, kind=TopicKind.REVIEW, review_listing=listing)
    client.force_login(seller)
    response = client.post(
        reverse("forums:topic_new", args=[cat.slug]),
        {"kind": "review", "title": "Please review my mug listing", "body": "Be honest!", "review_listing": listing.pk},
    )
    assert response.status_code == 302
    review = Topic.objects.get(kind=TopicKind.REVIEW)
    client.force_login(reviewer)
    page = client.get(review.get_absolute_url()).content.decode()
    assert 'name="feedback_price"' in page and listing.title in page
    response = client.post(
        review.get_absolute_url(),
        {"body": "", "feedback_photos": "Too dark", "feedback_price": "A little high for the size"},
    )
    assert response.status_code == 302
    page = client.get(review.get_absolute_url()).content.decode()
    assert '<table class="feedback-table">' in page and "A little high for the size" in page
    assert Notification.objects.filter(member=seller).exists()


# --- API ---------------------------------------------------------------------------------------------------------


def test_api_lists_categories_topics_and_posts_and_creates_them(client):
    cat = category("Pricing")
    author = member("Author")
    client.force_login(author)
    categories = client.get("/api/v1/forum/categories").json()
    assert [c["slug"] for c in categories] == [cat.slug]
    response = client.post(
        f"/api/v1/forum/categories/{cat.slug}/topics",
        {"title": "API topic title", "body": "Body **bold**", "kind": "question", "tags": ["api"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["kind"] == "question" and created["tags"] == ["api"] and created["unread"] == 0
    listed = client.get(f"/api/v1/forum/categories/{cat.slug}/topics").json()
    assert listed["count"] == 1
    posts_url = f"/api/v1/forum/topics/{created['id']}/posts"
    client.force_login(member("Replier"))
    response = client.post(posts_url, {"body": "An answer"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["number"] == 2
    posts = client.get(posts_url).json()
    assert [p["number"] for p in posts["results"]] == [1, 2]
    assert "<strong>bold</strong>" in posts["results"][0]["body_html"]


def test_api_field_errors_and_anonymous_writes(client):
    cat = category()
    client.force_login(member())
    response = client.post(
        f"/api/v1/forum/categories/{cat.slug}/topics", {"title": "Hi", "body": ""}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    response = client.post(
        f"/api/v1/forum/categories/{cat.slug}/topics",
        {"title": "Hi", "body": "Long enough body"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "title" in response.json()["errors"]
    client.logout()
    assert client.get("/api/v1/forum/categories").status_code == 200
    response = client.post(
        f"/api/v1/forum/categories/{cat.slug}/topics", {"title": "Hello", "body": "x"}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
