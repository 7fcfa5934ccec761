"""The welcome series and a member's progress: ticking steps and checklist items, with and without JavaScript."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from community.models import SellerStage
from community.services import profile_update
from playbooks import selectors
from playbooks.models import WelcomeProgress, WelcomeSeries, WelcomeSeriesItem
from playbooks.services import welcome_step_toggle
from tests.factories import MemberFactory
from tests.playbooks.factories import checklist, playbook, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide():
    return playbook(
        title="First listing",
        body=[
            step("Take photos", block_id="s1"),
            step("Write it", block_id="s2"),
            checklist("Check", ("A", "B"), "c1"),
        ],
    )


def test_a_playbook_counts_its_steps_and_checklist_items(guide):
    assert [item.key for item in guide.steps] == ["s1", "s2", "c1:item0", "c1:item1"]


def test_ticking_and_unticking_a_step(guide):
    member = MemberFactory()
    # when a member ticks a step and a checklist item
    assert welcome_step_toggle(member=member, page=guide, step="s1") is True
    assert welcome_step_toggle(member=member, page=guide, step="c1:item1", done=True) is True
    # then their progress counts both
    progress = selectors.playbook_progress(member=member, page=guide)
    assert (progress.done, progress.total) == (2, 4)
    # an explicit "done" is idempotent, a bare toggle flips
    assert welcome_step_toggle(member=member, page=guide, step="c1:item1", done=True) is True
    assert WelcomeProgress.objects.filter(member=member).count() == 2
    assert welcome_step_toggle(member=member, page=guide, step="s1") is False
    assert selectors.playbook_progress(member=member, page=guide).done == 1
    # another member's progress is their own
    assert selectors.playbook_progress(member=MemberFactory(), page=guide).done == 0


def test_toggling_refuses_unknown_steps_drafts_and_visitors(guide):
    from django.contrib.auth.models import AnonymousUser

    member = MemberFactory()
    with pytest.raises(ValidationError):
        welcome_step_toggle(member=member, page=guide, step="not-a-step")
    draft = playbook(body=[step(block_id="d1")], publish=False)
    with pytest.raises(ValidationError):
        welcome_step_toggle(member=member, page=draft, step="d1")
    with pytest.raises(PermissionDenied):
        welcome_step_toggle(member=AnonymousUser(), page=guide, step="s1")


def test_series_progress_per_playbook_and_overall():
    # given a welcome series of two playbooks for new sellers
    first = playbook(title="One", body=[step(block_id="a1"), step(block_id="a2")])
    second = playbook(title="Two", body=[checklist("List", ("x", "y", "z"), "b1")])
    series = WelcomeSeries.objects.create(title="Start here", seller_stage=SellerStage.NEW)
    WelcomeSeriesItem.objects.create(series=series, page=second, sort_order=1)
    WelcomeSeriesItem.objects.create(series=series, page=first, sort_order=0)
    member = MemberFactory()
    for key in ("a1", "a2"):
        welcome_step_toggle(member=member, page=first, step=key)
    welcome_step_toggle(member=member, page=second, step="b1:item0")
    # when we read the member's progress through the series
    progress = selectors.welcome_series_progress(member=member, series=selectors.welcome_series_for_stage("new"))
    # then each playbook and the whole count done over total, in the series' order
    assert [(item.page.title, item.done, item.total) for item in progress.playbooks] == [("One", 2, 2), ("Two", 1, 3)]
    assert (progress.done, progress.total) == (3, 5)
    assert progress.next_playbook.page.title == "Two"
    mine = selectors.member_progress(member=member)
    assert (mine.done, mine.total) == (3, 5)


def test_a_tick_on_a_step_that_was_removed_no_longer_counts(guide):
    member = MemberFactory()
    welcome_step_toggle(member=member, page=guide, step="s2")
    welcome_step_toggle(member=member, page=guide, step="s1")
    guide.body = [step("Take photos", block_id="s1")]
    guide.save_revision().publish()
    guide.refresh_from_db()
    progress = selectors.playbook_progress(member=member, page=guide)
    assert (progress.done, progress.total) == (1, 1)


def test_ticking_through_htmx_swaps_the_step_and_the_summary(client, guide):
    member = MemberFactory()
    client.force_login(member)
    url = guide.url + "progress/"
    response = client.post(url, {"step": "c1:item0", "done": "1"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-pressed="true"' in html and 'name="done" value="0"' in html
    assert 'id="playbook-progress" hx-swap-oob="true"' in html
    assert "1 of 4 steps done" in html


def test_ticking_without_javascript_redirects_back_to_the_step(client, guide):
    member = MemberFactory()
    client.force_login(member)
    response = client.post(guide.url + "progress/", {"step": "s2", "done": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{guide.url}#step-s2"
    page_html = client.get(guide.url).content.decode()
    assert "1 of 4 steps done" in page_html
    assert page_html.count('aria-pressed="true">') == 1


def test_ticking_needs_a_member_a_post_and_a_csrf_token(guide):
    anonymous = Client()
    response = anonymous.post(guide.url + "progress/", {"step": "s1", "done": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    member_client = Client(enforce_csrf_checks=True)
    member_client.force_login(MemberFactory())
    assert member_client.post(guide.url + "progress/", {"step": "s1", "done": "1"}).status_code == 403
    assert member_client.get(guide.url + "progress/").status_code == 405
    assert not WelcomeProgress.objects.exists()


def test_the_welcome_series_page_follows_the_members_stage(client):
    page = playbook(title="First steps", body=[step(block_id="w1")])
    series = WelcomeSeries.objects.create(title="Welcome, new seller", seller_stage=SellerStage.NEW)
    WelcomeSeriesItem.objects.create(series=series, page=page, sort_order=0)
    member = MemberFactory()
    client.force_login(member)
    html = client.get("/playbooks/welcome/").content.decode()
    assert "Welcome, new seller" in html and "First steps" in html and "0 of 1 step done" in html
    profile_update(member=member, data={"seller_stage": SellerStage.GROWING})
    html = client.get("/playbooks/welcome/").content.decode()
    assert "There is no welcome series for Growing sellers yet." in html
    assert "Welcome, new seller" in client.get("/playbooks/welcome/?stage=new").content.decode()


def test_the_welcome_page_query_count_does_not_grow_with_the_series(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    series = WelcomeSeries.objects.create(title="Start here", seller_stage=SellerStage.NEW)
    member = MemberFactory()
    client.force_login(member)

    def add_playbooks(count: int) -> None:
        start = series.items.count()
        for n in range(count):
            page = playbook(body=[step(), checklist()])
            WelcomeSeriesItem.objects.create(series=series, page=page, sort_order=start + n)
            welcome_step_toggle(member=member, page=page, step=page.steps[0].key)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/playbooks/welcome/").status_code == 200
        return len(context.captured_queries)

    add_playbooks(1)
    queries()
    few = queries()
    add_playbooks(4)
    assert queries() == few
