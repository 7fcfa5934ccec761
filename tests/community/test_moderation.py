"""Moderation: hide and restore with edit history, silence and suspension (forums, messaging, API, sessions), the
appeal, the moderation log (page and admin), and who may see the moderator pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from community import moderation
from community.forums import services as forum_services
from community.messaging import services as messaging_services
from community.models import (
    Appeal,
    AppealStatus,
    ModerationAction,
    Notification,
    Post,
    Sanction,
)
from tests.community.test_forums_support import member, moderator, reply, topic

pytestmark = pytest.mark.django_db

WEEK = timedelta(days=7)


def bearer(who) -> dict[str, str]:
    token, _created = Token.objects.get_or_create(user=who)
    return {"HTTP_AUTHORIZATION": f"Bearer {token.key}"}


# --- Posts ----------------------------------------------------------------------------------------------------------


def test_a_moderator_hides_and_restores_a_post_with_a_reason_and_sees_every_edit(client):
    # given a post edited twice by its author
    author, mod = member("Author"), moderator()
    post = reply(topic(member()), author, body="First version")
    forum_services.post_edit(post=post, editor=author, body="Second version")
    forum_services.post_edit(post=post, editor=author, body="Third version with <script>x()</script>")
    # when a moderator hides it with a reason
    with pytest.raises(ValidationError, match="Give a reason"):
        moderation.post_hide(post=post, moderator=mod, reason=" ")
    with pytest.raises(PermissionDenied):
        moderation.post_hide(post=post, moderator=member(), reason="Because")
    moderation.post_hide(post=post, moderator=mod, reason="Off-platform payment request")
    post.refresh_from_db()
    assert post.hidden
    assert "Off-platform payment request" in Notification.objects.filter(member=author).latest("id").text
    # then the moderator's post page shows the current text and every earlier version, escaped
    client.force_login(mod)
    page = client.get(reverse("community:moderation_post", args=[post.pk])).content.decode()
    assert "First version" in page and "Second version" in page
    assert "<script>x()" not in page
    # and restoring it is logged too
    response = client.post(
        reverse("community:moderation_post", args=[post.pk]), {"action": "restore", "reason": "Explained by author"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert not post.hidden
    actions = list(ModerationAction.objects.filter(post=post).values_list("action", "reason"))
    assert actions == [("restore", "Explained by author"), ("hide", "Off-platform payment request")]


def test_moderator_pages_are_404_for_members(client):
    post = reply(topic(member()), member())
    client.force_login(member())
    for url in (
        reverse("community:moderation"),
        reverse("community:moderation_post", args=[post.pk]),
        reverse("community:moderation_member", args=[post.author_id]),
    ):
        assert client.get(url).status_code == 404


def test_resolving_flags_is_logged():
    post = reply(topic(member()), member())
    flag = forum_services.flag_create(post=post, flagger=member(), reason="spam")
    forum_services.flag_resolve(flag=flag, moderator=moderator(), agree=False)
    assert ModerationAction.objects.get(post=post).action == "flag_dismissed"


# --- Silence --------------------------------------------------------------------------------------------------------


def test_a_silenced_member_reads_but_cannot_post_or_message_until_it_ends():
    # given a silenced member
    talker, mod, other = member("Talker"), moderator(), member("Other")
    opened = topic(other)
    sanction = moderation.member_silence(member=talker, moderator=mod, reason="Repeated spam links", duration=WEEK)
    # then writing is refused with the reason and the end
    for attempt in (
        lambda: reply(opened, talker),
        lambda: topic(talker),
        lambda: messaging_services.conversation_start(sender=talker, recipient=other, body="Hi"),
    ):
        with pytest.raises(moderation.SanctionActive) as error:
            attempt()
        assert "silenced until" in str(error.value) and "Repeated spam links" in str(error.value)
    assert not Post.objects.filter(author=talker).exists()
    # reading and reacting still work
    assert forum_services.reaction_toggle(post=opened.posts.get(), member=talker, kind="like")
    # when the duration passes, it ends by itself
    Sanction.objects.filter(pk=sanction.pk).update(
        starts_at=timezone.now() - WEEK * 2, ends_at=timezone.now() - timedelta(seconds=1)
    )
    assert reply(opened, talker).pk
    assert ModerationAction.objects.get(action="silence").member == talker


def test_sanctions_are_validated():
    mod, who = moderator(), member()
    with pytest.raises(ValidationError, match="reason"):
        moderation.member_silence(member=who, moderator=mod, reason="", duration=WEEK)
    with pytest.raises(ValidationError, match="between 1 hour and 365 days"):
        moderation.member_suspend(member=who, moderator=mod, reason="x", duration=timedelta(days=400))
    with pytest.raises(ValidationError, match="Moderators"):
        moderation.member_suspend(member=moderator("Other mod"), moderator=mod, reason="x", duration=WEEK)
    with pytest.raises(PermissionDenied):
        moderation.member_suspend(member=who, moderator=member(), reason="x", duration=WEEK)


def test_a_silenced_member_gets_403_with_the_reason_from_the_api_and_the_pages(client):
    talker, other = member("Talker"), member("Other")
    opened = topic(other)
    moderation.member_silence(member=talker, moderator=moderator(), reason="Cool off", duration=WEEK)
    api = client.post(
        f"/api/v1/forum/topics/{opened.pk}/posts",
        {"body": "Let me in"},
        content_type="application/json",
        **bearer(talker),
    )
    assert api.status_code == 403
    assert "Cool off" in api.json()["detail"]
    api = client.post(
        "/api/v1/conversations",
        {"recipient": other.pk, "body": "Hello"},
        content_type="application/json",
        **bearer(talker),
    )
    assert api.status_code == 403 and "Cool off" in api.json()["detail"]
    client.force_login(talker)
    page = client.post(reverse("forums:topic", args=[opened.pk]), {"body": "Let me in"})
    assert page.status_code == 403
    assert "Cool off" in page.content.decode() and reverse("community:standing") in page.content.decode()


# --- Suspension -----------------------------------------------------------------------------------------------------


def test_a_suspended_members_existing_session_stops_working(client, django_capture_on_commit_callbacks):
    # given a member signed in and using the site
    who = member("Sus Pended")
    client.force_login(who)
    assert client.get(reverse("forums:index")).status_code == 200
    # when a moderator suspends them
    with django_capture_on_commit_callbacks(execute=True):
        moderation.member_suspend(member=who, moderator=moderator(), reason="Fraud reports", duration=WEEK)
    # then every page of that session leads to their standing page, which says why and until when
    response = client.get(reverse("forums:index"))
    assert response.status_code == 302 and response["Location"] == reverse("community:standing")
    assert client.post(reverse("community:profile_edit"), {}).status_code == 403
    api = client.get("/api/v1/forum/categories")
    assert api.status_code == 403 and "Fraud reports" in api.json()["detail"]
    standing = client.get(reverse("community:standing")).content.decode()
    assert "Fraud reports" in standing and "Suspended" in standing
    # and the API with a token refuses their writes with the reason
    opened = topic(member())
    client.logout()
    api = client.post(
        f"/api/v1/forum/topics/{opened.pk}/posts", {"body": "hi"}, content_type="application/json", **bearer(who)
    )
    assert api.status_code == 403 and "suspended until" in api.json()["detail"]


def test_signing_in_while_suspended_leads_only_to_the_standing_page(client):
    who = member()
    moderation.member_suspend(member=who, moderator=moderator(), reason="Chargebacks", duration=WEEK)
    client.force_login(who)
    assert client.get(reverse("community:trust")).status_code == 302
    assert client.get(reverse("community:standing")).status_code == 200


# --- Appeals --------------------------------------------------------------------------------------------------------


def test_a_member_appeals_once_and_another_moderator_grants_it(client):
    # given a silenced member
    who, mod, other_mod = member("Appealer"), moderator(), moderator("Second mod")
    sanction = moderation.member_silence(member=who, moderator=mod, reason="Heated thread", duration=WEEK)
    client.force_login(who)
    # a too-short appeal is refused with a message
    response = client.post(reverse("community:appeal", args=[sanction.pk]), {"text": "pls"})
    assert response.status_code == 400 and "at least 10 characters" in response.content.decode()
    # when they appeal with text
    response = client.post(
        reverse("community:appeal", args=[sanction.pk]), {"text": "I apologised in the thread; please reconsider."}
    )
    assert response.status_code == 302
    # then a second appeal of the same sanction is refused
    response = client.post(reverse("community:appeal", args=[sanction.pk]), {"text": "Again, please reconsider"})
    assert response.status_code == 400 and "already appealed" in response.content.decode()
    appeal = Appeal.objects.get()
    # the moderator who silenced them cannot decide it; another can, with a reason
    with pytest.raises(ValidationError, match="Another moderator"):
        moderation.appeal_decide(appeal=appeal, moderator=mod, grant=True, reason="ok")
    with pytest.raises(ValidationError, match="Give a reason"):
        moderation.appeal_decide(appeal=appeal, moderator=other_mod, grant=True, reason="")
    moderation.appeal_decide(appeal=appeal, moderator=other_mod, grant=True, reason="Apology accepted")
    sanction.refresh_from_db()
    assert sanction.lifted_at is not None and not sanction.is_active
    assert moderation.sanction_active(member=who) is None
    page = client.get(reverse("community:standing")).content.decode()
    assert "Apology accepted" in page and "good standing" in page
    logged = set(ModerationAction.objects.filter(member=who).values_list("action", flat=True))
    assert logged == {"silence", "appeal_decided", "lift"}


def test_a_denied_appeal_leaves_the_sanction_and_strangers_cannot_appeal_it(client):
    who = member()
    sanction = moderation.member_silence(member=who, moderator=moderator(), reason="Spam", duration=WEEK)
    appeal = moderation.appeal_create(sanction=sanction, member=who, text="It was not spam, honestly.")
    moderation.appeal_decide(appeal=appeal, moderator=moderator("Other"), grant=False, reason="It was spam")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.DENIED
    assert moderation.sanction_active(member=who) is not None
    client.force_login(member())
    assert client.post(reverse("community:appeal", args=[sanction.pk]), {"text": "x" * 20}).status_code == 404


# --- The log --------------------------------------------------------------------------------------------------------


def test_the_moderation_page_lists_appeals_sanctions_and_the_log_in_constant_queries(
    client, django_assert_max_num_queries
):
    mod = moderator()
    client.force_login(mod)

    def add(count: int) -> None:
        for _n in range(count):
            who = member()
            sanction = moderation.member_silence(member=who, moderator=mod, reason="Noise", duration=WEEK)
            moderation.appeal_create(sanction=sanction, member=who, text="Please reconsider this.")

    add(2)
    with django_assert_max_num_queries(40) as small:
        client.get(reverse("community:moderation"))
    add(12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("community:moderation"))
    page = response.content.decode()
    assert page.count('data-appeal="') == 14
    assert page.count('data-log-action="silence"') == 14


def test_a_moderator_silences_from_the_member_page_with_clear_errors(client):
    mod, who = moderator(), member("Target")
    client.force_login(mod)
    url = reverse("community:moderation_member", args=[who.pk])
    response = client.post(url, {"kind": "silence", "reason": "", "days": 0, "hours": 0})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = client.post(url, {"kind": "silence", "reason": "Flooding", "days": 0, "hours": 0})
    assert response.status_code == 400 and "between 1 hour and 365 days" in response.content.decode()
    response = client.post(url, {"kind": "silence", "reason": "Flooding", "days": 2, "hours": 0})
    assert response.status_code == 302
    sanction = Sanction.objects.get(member=who)
    assert sanction.kind == "silence" and timedelta(days=2) - (sanction.ends_at - sanction.starts_at) < timedelta(
        seconds=1
    )
    response = client.post(reverse("community:sanction_lift", args=[sanction.pk]), {"reason": "Calmed down"})
    assert response.status_code == 302
    sanction.refresh_from_db()
    assert sanction.lift_reason == "Calmed down"


def test_the_admin_shows_the_log_read_only(client):
    from tests.community.factories import StaffFactory

    moderation.member_silence(member=member(), moderator=moderator(), reason="Logged reason", duration=WEEK)
    client.force_login(StaffFactory())
    response = client.get("/django-admin/community/moderationaction/")
    assert response.status_code == 200 and "Logged reason" in response.content.decode()
    assert client.get("/django-admin/community/moderationaction/add/").status_code == 403


def test_a_suspended_members_token_is_refused_everywhere_in_the_api(client, django_capture_on_commit_callbacks):
    # a token issued before the suspension must not keep working for endpoints outside forums and messaging
    who = member("Token holder")
    headers = bearer(who)
    assert client.get("/api/v1/me", **headers).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the cached "not suspended" is dropped on commit
        moderation.member_suspend(member=who, moderator=moderator(), reason="Chargeback fraud", duration=WEEK)
    refused = client.patch("/api/v1/me", {"profile": {"bio": "still here"}}, content_type="application/json", **headers)
    assert refused.status_code == 403 and "Chargeback fraud" in refused.json()["detail"]
    assert client.get("/api/v1/notifications", **headers).status_code == 403


def test_silenced_members_cannot_chat_or_ask_in_a_live_room_and_suspended_ones_cannot_rsvp():
    from community.live import services as live_services
    from tests.community.test_live_support import session

    room = session(in_hours=48)
    talker = member("Live talker")
    moderation.member_silence(member=talker, moderator=moderator(), reason="Spamming the room", duration=WEEK)
    with pytest.raises(PermissionDenied, match="Spamming the room"):
        live_services.chat_post(session=room, author=talker, body="buy my stuff")
    with pytest.raises(PermissionDenied, match="Spamming the room"):
        live_services.question_ask(session=room, author=talker, body="buy my stuff?")
    absent = member("Suspended fan")
    moderation.member_suspend(member=absent, moderator=moderator(), reason="Harassment", duration=WEEK)
    with pytest.raises(PermissionDenied, match="Harassment"):
        live_services.rsvp_create(session=room, member=absent)
