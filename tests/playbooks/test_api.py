"""GET /api/v1/playbooks and /api/v1/playbooks/{id}: live playbooks only, filtered like the index page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.playbooks import factories as f

pytestmark = pytest.mark.django_db


def test_the_list_shows_live_playbooks_with_their_facets_and_filters_by_stage():
    newcomers = f.playbook(title="First sale in a week", stage="new", tags=["pricing"])
    f.playbook(title="Scaling up", stage="established")
    f.playbook(title="Still a draft", publish=False)
    api = APIClient()
    listed = api.get("/api/v1/playbooks").json()
    assert [p["title"] for p in listed["results"]] == ["Scaling up", "First sale in a week"]
    narrowed = api.get("/api/v1/playbooks", {"stage": "new"}).json()["results"]
    assert [(p["id"], p["seller_stage"], p["tags"]) for p in narrowed] == [(newcomers.pk, "new", ["pricing"])]
    assert narrowed[0]["url"].endswith(newcomers.url)


def test_one_playbook_comes_with_its_body_blocks():
    page = f.playbook(title="Photos that sell", body=[f.step(title="Use daylight", text="<p>By a window.</p>")])
    answer = APIClient().get(f"/api/v1/playbooks/{page.pk}").json()
    assert answer["title"] == "Photos that sell"
    assert [(b["type"], b["value"]["title"]) for b in answer["body"]] == [("step", "Use daylight")]


def test_a_draft_or_an_unknown_playbook_is_404_and_bad_filters_are_400():
    draft = f.playbook(title="Not yet", publish=False)
    api = APIClient()
    assert api.get(f"/api/v1/playbooks/{draft.pk}").status_code == 404
    assert api.get("/api/v1/playbooks/999999").status_code == 404
    bad = api.get("/api/v1/playbooks", {"stage": "legendary"})
    assert bad.status_code == 400 and "stage" in bad.json()["errors"]


def test_the_list_costs_the_same_queries_for_2_or_8_playbooks():
    api = APIClient()

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/playbooks").status_code == 200
        return len(captured)

    for _ in range(2):
        f.playbook(tags=["a", "b"])
    count()  # the first request also caches Wagtail's site root paths
    few = count()
    for _ in range(6):
        f.playbook(tags=["c"])
    assert count() == few
