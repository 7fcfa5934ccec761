"""The topic page stays within its query budget (issue 5, item 10: at most 12 per request) on a long topic, on
the first page and the last, signed in and anonymous; bench/forum.py measures the same at 1,000 replies."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.models import Post, Reaction
from tests.community.test_forums_support import member, topic

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 12


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_long_topic_costs_the_same_few_queries_on_every_page(client):
    # given a topic with 60 replies by 6 members, some quoting, some with reactions (4 pages of 20)
    writers = [member(f"Writer {n}") for n in range(6)]
    opened = topic(writers[0])
    first = opened.posts.get()
    Post.objects.bulk_create(
        [
            Post(
                topic=opened,
                author=writers[n % 6],
                number=n,
                body=f"Reply {n}",
                body_html=f"<p>Reply {n}</p>",
                quote=first if n % 5 == 0 else None,
            )
            for n in range(2, 62)
        ]
    )
    opened.post_count, opened.reply_count = 61, 60
    opened.save(update_fields=["post_count", "reply_count"])
    for post in Post.objects.filter(topic=opened, number__gt=1)[::3]:
        Reaction.objects.create(post=post, member=writers[0], kind="like")
    url = reverse("forums:topic", args=[opened.pk])
    reader = member("Reader")
    # when a visitor and then a signed-in reader open the first and the last page (each visited once before:
    # a first visit also moves the reader's read marker)
    counts = {}
    for who in ("anonymous", "reader"):
        if who == "reader":
            client.force_login(reader)
        for page in (1, 4):
            _queries(client, f"{url}?page={page}")
            counts[(who, page)] = _queries(client, f"{url}?page={page}")
    # then every page costs the same, within the budget
    assert counts[("anonymous", 1)] == counts[("anonymous", 4)]
    assert counts[("reader", 1)] == counts[("reader", 4)]
    assert counts[("anonymous", 1)] <= QUERY_BUDGET, counts
    assert counts[("reader", 1)] <= QUERY_BUDGET, counts
