"""/api/v1/notifications: the member's list, read state and email preferences; a stranger's notification is 404."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from community.models import EmailDelivery, Notification, NotificationKind
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MemberFactory()


@pytest.fixture
def api(member):
    client = APIClient()
    client.force_authenticate(member)
    return client


def make(member, count, **fields):
    return [Notification.objects.create(member=member, text=f"Note {i}", **fields) for i in range(count)]


def test_the_list_is_paginated_newest_first_and_counts_unread(api, member):
    make(member, 25)
    make(MemberFactory(), 3)  # someone else's
    response = api.get("/api/v1/notifications")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 25
    assert body["unread"] == 25
    assert len(body["results"]) == 20
    assert body["results"][0]["text"] == "Note 24"
    assert body["results"][0]["read"] is False
    assert set(body["results"][0]) == {"id", "kind", "text", "url", "created_at", "read", "read_at"}
    assert body["next"].endswith("page=2")


def test_the_unread_filter(api, member):
    first, second = make(member, 2)
    api.post(f"/api/v1/notifications/{first.pk}/read")
    body = api.get("/api/v1/notifications?unread=true").json()
    assert [item["id"] for item in body["results"]] == [second.pk]
    assert body["unread"] == 1
    assert api.get("/api/v1/notifications?unread=maybe").json() == {"errors": {"unread": ["Use true or false."]}}


def test_the_list_query_count_does_not_grow_with_the_page(api, member, django_assert_max_num_queries):
    make(member, 5)
    with django_assert_max_num_queries(6) as small:
        api.get("/api/v1/notifications?page_size=5")
    make(member, 95)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.get("/api/v1/notifications?page_size=100")
    assert len(response.json()["results"]) == 100


def test_marking_one_read_and_a_strangers_is_404(api, member):
    (mine,) = make(member, 1)
    (theirs,) = make(MemberFactory(), 1)
    response = api.post(f"/api/v1/notifications/{mine.pk}/read")
    assert response.status_code == 200
    assert response.json()["read"] is True
    stranger = api.post(f"/api/v1/notifications/{theirs.pk}/read")
    assert stranger.status_code == 404
    assert stranger.json() == {"detail": "Not found."}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api.post("/api/v1/notifications/999999/read").status_code == 404


def test_read_all_marks_only_the_members_own(api, member):
    make(member, 3)
    (theirs,) = make(MemberFactory(), 1)
    assert api.post("/api/v1/notifications/read-all").json() == {"marked": 3}
    assert not Notification.objects.filter(member=member, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_read_and_update(api):
    body = api.get("/api/v1/notifications/preferences").json()
    assert body["orders"] == "immediately" and body["forums"] == "digest"
    response = api.put("/api/v1/notifications/preferences", {"forums": "never", "orders": "digest"}, format="json")
    assert response.status_code == 200
    assert response.json()["forums"] == EmailDelivery.NEVER
    assert api.get("/api/v1/notifications/preferences").json()["orders"] == "digest"


def test_bad_preferences_are_answered_clearly(api):
    unknown = api.put("/api/v1/notifications/preferences", {"gossip": "never"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json() == {"errors": {"gossip": ["Unknown kind of notification."]}}
    bad_choice = api.put("/api/v1/notifications/preferences", {"orders": "hourly"}, format="json")
    assert bad_choice.status_code == 400
    assert list(bad_choice.json()["errors"]) == ["orders"]
    empty = api.put("/api/v1/notifications/preferences", {}, format="json")
    assert empty.status_code == 400
    assert api.get("/api/v1/notifications/preferences").json()["orders"] == "immediately"


def test_anonymous_callers_are_refused():
    client = APIClient()
    assert client.get("/api/v1/notifications").status_code in {401, 403}
    assert client.post("/api/v1/notifications/read-all").status_code in {401, 403}
    assert client.get("/api/v1/notifications/preferences").status_code in {401, 403}


def test_kinds_are_reported(api, member):
    Notification.objects.create(member=member, text="Paid", kind=NotificationKind.ORDERS)
    assert api.get("/api/v1/notifications").json()["results"][0]["kind"] == "orders"


def test_the_schema_documents_the_notification_endpoints(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert {"get"} <= set(paths["/api/v1/notifications"])
    assert "post" in paths["/api/v1/notifications/{id}/read"]
    assert "post" in paths["/api/v1/notifications/read-all"]
    assert {"get", "put"} <= set(paths["/api/v1/notifications/preferences"])
