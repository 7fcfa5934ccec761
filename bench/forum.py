"""A forum topic with 1,000 replies: the topic page's latency and queries per request, first to last page.

Loads one topic into the bench database (bench/run.py's PostgreSQL): an opening post and N replies by 50 members
with profiles, Markdown rendered and sanitised by the forum's own renderer (`community.forums.services._render`),
one reply in five quoting an earlier post and one in three with reactions. Rows go in with `bulk_create` (the
service's rate limits are for people, not loaders); the topic's counters are set as `post_count`/`reply_count` are
kept by the services. Then it times GET /forum/topics/<id>/?page=P through the real view with django.test.Client,
signed in (which also moves the reader's read marker, as a visit does) and anonymous, on the first page, the last
page and random pages in between: server time in-process and queries per request (CaptureQueriesContext).

Goal (issue 5, item 10): at most 12 queries per request, whatever the page.

    bench.forum.run(replies=1000, samples=60)   inside a configured bench (bench/run.py calls it)
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta
from typing import Any

QUERY_GOAL = 12
AUTHORS = 50
BODIES = [
    "Start from your costs, then look at **similar listings** in your area.",
    "We tried free shipping over £30 for a month: orders went up 12%, margin down 3%.\n\n- photos\n- price\n- copy",
    "Good question. I price by the hour of work plus materials, then round to a friendly number.",
    "> quoting the point above\n\nAgreed, and a clear returns policy helped us more than a discount.",
    "Have a look at the pricing playbook: https://example.test/playbooks/pricing (it has a worksheet).",
    "Bundles worked for us: three mugs for the price of two and a half.",
]


def _percentile(values: list[float], p: float) -> float:
    from bench.run import percentile

    return percentile(values, p)


def topic_load(replies: int, rng: random.Random):
    """One topic with `replies` replies; returns the topic and a reader."""
    from django.utils import timezone

    from community.forums.services import _render
    from community.models import ForumCategory, Member, Post, Profile, Reaction, Topic

    stamp = int(time.time())
    authors = Member.objects.bulk_create(
        [Member(email=f"bench-forum-{stamp}-{i}@example.test", password="!") for i in range(AUTHORS + 1)]
    )
    Profile.objects.bulk_create([Profile(member=m, display_name=f"Seller {i}") for i, m in enumerate(authors)])
    reader, authors = authors[0], authors[1:]
    category = ForumCategory.objects.create(name="Bench: pricing", slug=f"bench-pricing-{stamp}")
    start = timezone.now() - timedelta(days=30)
    rendered = [_render(body)[0] for body in BODIES]
    topic = Topic.objects.create(
        category=category, author=authors[0], title="How do you price handmade mugs?", created_at=start
    )
    posts = [
        Post(
            topic=topic,
            author=authors[n % len(authors)],
            number=n,
            body=BODIES[n % len(BODIES)],
            body_html=rendered[n % len(BODIES)],
            created_at=start + timedelta(minutes=n),
        )
        for n in range(1, replies + 2)
    ]
    Post.objects.bulk_create(posts, batch_size=500)
    by_number = dict(Post.objects.filter(topic=topic).values_list("number", "pk"))
    quoting = [p for p in posts[1:] if p.number % 5 == 0]
    for post in quoting:
        post.pk = by_number[post.number]
        post.quote_id = by_number[rng.randint(1, post.number - 1)]
    Post.objects.bulk_update(quoting, ["quote"], batch_size=500)
    reactions = [
        Reaction(post_id=by_number[n], member=authors[(n + k) % len(authors)], kind="like")
        for n in range(2, replies + 2, 3)
        for k in range(1, 3)
    ]
    Reaction.objects.bulk_create(reactions, batch_size=1000, ignore_conflicts=True)
    last = posts[-1]
    Topic.objects.filter(pk=topic.pk).update(
        post_count=last.number, reply_count=last.number - 1, last_activity_at=last.created_at, last_poster=last.author
    )
    return topic, reader


def run(*, replies: int = 1000, samples: int = 60, seed: int = 20240605) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from community.models.forums import POSTS_PER_PAGE

    rng = random.Random(seed)
    started = time.perf_counter()
    topic, reader = topic_load(replies, rng)
    load_s = time.perf_counter() - started
    pages = (replies + 1 + POSTS_PER_PAGE - 1) // POSTS_PER_PAGE
    url = reverse("forums:topic", args=[topic.pk])
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(reader)
    visitors = {"signed in": signed_in, "anonymous": Client(raise_request_exception=False)}
    results: dict[str, Any] = {}
    for label, client in visitors.items():
        for page in (1, pages):  # warm templates and the connection
            client.get(f"{url}?page={page}")
        plan = [1, pages] + [rng.randint(1, pages) for _ in range(max(samples - 2, 0))]
        times: list[float] = []
        queries: list[int] = []
        statuses: set[int] = set()
        by_page: dict[str, int] = {}
        for page in plan:
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(f"{url}?page={page}")
                times.append((time.perf_counter() - t0) * 1000)
            statuses.add(response.status_code)
            queries.append(len(captured))
            if page in (1, pages):
                by_page[str(page)] = len(captured)
        results[label] = {
            "samples": len(times),
            "p50_ms": round(_percentile(times, 50), 1),
            "p95_ms": round(_percentile(times, 95), 1),
            "max_ms": round(max(times), 1),
            "queries_median": statistics.median(queries),
            "queries_max": max(queries),
            "queries_first_and_last_page": by_page,
            "statuses": sorted(statuses),
        }
    worst = max(r["queries_max"] for r in results.values())
    return {
        "replies": replies,
        "pages": pages,
        "posts_per_page": POSTS_PER_PAGE,
        "load_seconds": round(load_s, 1),
        "query_goal": QUERY_GOAL,
        "queries_max": worst,
        "goal_met": worst <= QUERY_GOAL and all(r["statuses"] == [200] for r in results.values()),
        "visitors": results,
    }


def markdown_lines(report: dict[str, Any] | None) -> list[str]:
    if not report:
        return []
    lines = [
        f"## Forum topic with {report['replies']:,} replies ({report['pages']} pages of {report['posts_per_page']})",
        "",
        f"Queries per request: at most {report['queries_max']} (goal ≤ {report['query_goal']}: "
        f"{'✅' if report['goal_met'] else '❌'}).",
        "",
        "| visitor | n | p50 ms | p95 ms | max ms | queries (median/max) | first/last page queries |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for label, r in report["visitors"].items():
        pages = " / ".join(str(v) for v in r["queries_first_and_last_page"].values())
        lines.append(
            f"| {label} | {r['samples']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | "
            f"{r['queries_median']:.0f} / {r['queries_max']} | {pages} |"
        )
    return lines
