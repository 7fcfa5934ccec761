"""Live session services: who may host, scheduling rules, RSVPs with capacity and a waitlist (also under concurrency
on PostgreSQL), the room's questions and chat, ending and the archive topic, ambassadors' terms, badge and pinning,
and the reminders (idempotent)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from community.forums import services as forum_services
from community.live import selectors, services
from community.models import (
    AmbassadorTerm,
    LiveQuestion,
    LiveRSVP,
    LiveSession,
    Role,
    RSVPStatus,
    SessionStatus,
    SessionVisibility,
)
from tests.community.test_forums_support import member, moderator, topic
from tests.community.test_live_support import ambassador, host, region, session

pytestmark = pytest.mark.django_db


# --- Hosting -------------------------------------------------------------------------------------------------------


def test_facilitators_mentors_and_ambassadors_in_term_host_but_not_plain_members():
    assert session(host(role=Role.FACILITATOR)).pk
    assert session(host(role=Role.MENTOR)).pk
    assert session(ambassador()).pk
    with pytest.raises(PermissionDenied):
        session(member("Plain Member"))
    # An ambassador whose term ended is a plain member again, role or not.
    former = ambassador("Former", days_left=30)
    AmbassadorTerm.objects.filter(member=former).update(ends_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(PermissionDenied):
        session(former)


def test_scheduling_explains_bad_input():
    with pytest.raises(ValidationError) as error:
        services.session_schedule(
            host=host(),
            title="Hi",
            starts_at=timezone.now() - timedelta(hours=1),
            duration_minutes=5,
            capacity=0,
            visibility=SessionVisibility.ROLE,
            role="",
        )
    errors = error.value.message_dict
    assert set(errors) == {"title", "starts_at", "duration_minutes", "capacity", "role"}
    assert "future" in errors["starts_at"][0]


def test_only_the_host_edits_and_a_new_time_resets_reminders():
    owner = host()
    planned = session(owner)
    going = member()
    rsvp = services.rsvp_create(session=planned, member=going)
    LiveRSVP.objects.filter(pk=rsvp.pk).update(reminded_day_at=timezone.now())
    later = planned.starts_at + timedelta(days=1)
    fields = {"title": "Pricing Q&A, moved", "starts_at": later, "duration_minutes": 90, "capacity": 10}
    with pytest.raises(PermissionDenied):
        services.session_update(session=planned, member=host("Other Host"), **fields)
    updated = services.session_update(session=planned, member=owner, **fields)
    assert (updated.title, updated.ends_at, updated.sequence) == (
        "Pricing Q&A, moved",
        later + timedelta(minutes=90),
        1,
    )
    assert LiveRSVP.objects.get(pk=rsvp.pk).reminded_day_at is None


# --- RSVPs ---------------------------------------------------------------------------------------------------------


def test_capacity_fills_then_a_waitlist_moves_up_when_a_seat_frees():
    planned = session(capacity=2)
    first, second, third, fourth = (member() for _ in range(4))
    assert services.rsvp_create(session=planned, member=first).status == RSVPStatus.GOING
    assert services.rsvp_create(session=planned, member=second).status == RSVPStatus.GOING
    waiting = services.rsvp_create(session=planned, member=third)
    assert waiting.status == RSVPStatus.WAITLIST
    services.rsvp_create(session=planned, member=fourth)
    assert selectors.waitlist_position(rsvp=LiveRSVP.objects.get(member=fourth)) == 2
    # RSVPing twice changes nothing.
    assert services.rsvp_create(session=planned, member=first).status == RSVPStatus.GOING
    # when a member going gives their seat back
    assert services.rsvp_cancel(session=planned, member=first) is True
    # then the first in line has it and is told by email
    assert LiveRSVP.objects.get(member=third).status == RSVPStatus.GOING
    assert LiveRSVP.objects.get(member=fourth).status == RSVPStatus.WAITLIST
    assert LiveRSVP.objects.filter(session=planned, status=RSVPStatus.GOING).count() == 2


def test_a_member_cannot_rsvp_to_a_session_they_may_not_see_or_that_was_cancelled():
    owner = host()
    secret = session(owner, visibility=SessionVisibility.INVITE)
    with pytest.raises(PermissionDenied):
        services.rsvp_create(session=secret, member=member())
    open_one = session(owner)
    services.session_cancel(session=open_one, member=owner)
    with pytest.raises(ValidationError, match="cancelled"):
        services.rsvp_create(session=open_one, member=member())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_last_seat_goes_to_one_member_when_many_ask_at_once():
    # given a session with 3 seats and 12 members asking at the same moment, each on its own connection
    assert connection.vendor == "postgresql"
    planned = session(capacity=3)
    members = [member() for _ in range(12)]
    barrier = threading.Barrier(len(members))
    errors: list[BaseException] = []

    def take(one) -> None:
        try:
            barrier.wait(timeout=10)
            services.rsvp_create(session=planned, member=one)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(one,)) for one in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then exactly 3 are going and 9 wait, nobody failed
    assert errors == []
    assert LiveRSVP.objects.filter(session=planned, status=RSVPStatus.GOING).count() == 3
    assert LiveRSVP.objects.filter(session=planned, status=RSVPStatus.WAITLIST).count() == 9


# --- The room ------------------------------------------------------------------------------------------------------


def test_questions_upvote_once_and_the_host_answers_pins_and_moderators_remove():
    owner = host()
    planned = session(owner)
    asker, voter = member("Asker"), member("Voter")
    question = services.question_ask(session=planned, author=asker, body="  How do I price mugs?  ")
    assert question.body == "How do I price mugs?"
    services.question_upvote(session=planned, question_id=question.pk, member=voter)
    with pytest.raises(ValidationError, match="already upvoted"):
        services.question_upvote(session=planned, question_id=question.pk, member=voter)
    with pytest.raises(ValidationError, match="your own"):
        services.question_upvote(session=planned, question_id=question.pk, member=asker)
    assert LiveQuestion.objects.get(pk=question.pk).upvote_count == 1
    with pytest.raises(PermissionDenied):
        services.question_answer(session=planned, question_id=question.pk, member=voter)
    services.question_answer(session=planned, question_id=question.pk, member=owner)
    services.question_pin(session=planned, question_id=question.pk, member=owner)
    stored = LiveQuestion.objects.get(pk=question.pk)
    assert stored.answered_at is not None and stored.pinned
    with pytest.raises(PermissionDenied):
        services.question_remove(session=planned, question_id=question.pk, member=voter)
    services.question_remove(session=planned, question_id=question.pk, member=moderator())
    assert selectors.session_questions(session=planned, member=voter) == []


def test_chat_and_questions_are_length_and_rate_limited():
    planned = session()
    talker = member()
    with pytest.raises(ValidationError, match="under 500 characters"):
        services.chat_post(session=planned, author=talker, body="x" * 501)
    with pytest.raises(ValidationError, match="Write a message"):
        services.chat_post(session=planned, author=talker, body=" \x00 ")
    for n in range(services.CHAT_PER_WINDOW):
        services.chat_post(session=planned, author=talker, body=f"message {n}")
    with pytest.raises(services.RateLimited, match="Slow down"):
        services.chat_post(session=planned, author=talker, body="one too many")
    for n in range(services.QUESTIONS_PER_WINDOW):
        services.question_ask(session=planned, author=talker, body=f"question {n}")
    with pytest.raises(services.RateLimited, match="questions a minute"):
        services.question_ask(session=planned, author=talker, body="one too many")


# --- Ending and the archive ----------------------------------------------------------------------------------------


def test_ending_archives_the_transcript_and_answered_questions_as_a_forum_topic(django_capture_on_commit_callbacks):
    owner = host("Fay Facilitator")
    planned = session(owner, title="Photo clinic")
    guest = member("Gus Guest")
    answered = services.question_ask(session=planned, author=guest, body="Daylight or lamps? @Fay <b>x</b>")
    services.question_ask(session=planned, author=guest, body="Never answered question")
    services.question_answer(session=planned, question_id=answered.pk, member=owner)
    services.chat_post(session=planned, author=guest, body="see https://evil.example/[x](javascript:alert(1))")
    with pytest.raises(PermissionDenied):
        services.session_end(session=planned, member=guest)
    ended = services.session_end_and_archive(session=planned, member=owner)
    assert ended.status == SessionStatus.ENDED
    archive = ended.archive_topic
    assert archive.category.name == "Live session archives"
    assert archive.author == owner
    assert archive.title.startswith("Live session: Photo clinic")
    html = archive.posts.get(number=1).body_html
    assert "Daylight or lamps? @Fay &lt;b&gt;x&lt;/b&gt;" in html
    assert "Never answered question" not in html
    assert "https://evil.example/" in html and "<a " not in html
    # Ending again is refused; the archive is not made twice.
    with pytest.raises(ValidationError, match="ended"):
        services.session_end(session=ended, member=owner)
    assert services.session_archive(session=ended) == archive


def test_the_beat_sweep_ends_and_archives_a_session_nobody_ended():
    planned = session(in_hours=1)
    LiveSession.objects.filter(pk=planned.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=2)
    )
    assert services.sessions_finish() == 1
    planned.refresh_from_db()
    assert planned.status == SessionStatus.ENDED and planned.archive_topic_id
    assert services.sessions_finish() == 0


def test_a_members_session_archive_is_read_by_signed_in_members_only(client):
    owner = host()
    planned = session(owner, title="Members-only clinic")
    archive = services.session_end_and_archive(session=planned, member=owner).archive_topic
    url = archive.get_absolute_url()
    assert client.get(url).status_code == 404  # signed out: the room needed signing in, so does its transcript
    assert "Members-only clinic" not in client.get("/forum/").content.decode()
    client.force_login(member("Any Member"))
    assert client.get(url).status_code == 200


def test_an_invite_only_archive_is_private_to_its_host_and_invitees():
    owner, guest, stranger = host(), member(), member()
    secret = session(owner, visibility=SessionVisibility.INVITE, invitees=[guest])
    archive = services.session_end_and_archive(session=secret, member=owner).archive_topic
    from community.forums import selectors as forum_selectors

    assert forum_selectors.category_visible_to(archive.category, guest)
    assert not forum_selectors.category_visible_to(archive.category, stranger)


# --- Ambassadors ---------------------------------------------------------------------------------------------------


def test_an_ambassador_pins_in_their_region_during_the_term_only():
    north = region()
    ana = ambassador(where=north)
    regional = topic(member(), north)
    elsewhere = topic(member())
    assert forum_services.topic_pin(topic=regional, member=ana).pinned
    with pytest.raises(PermissionDenied):
        forum_services.topic_pin(topic=elsewhere, member=ana)
    AmbassadorTerm.objects.filter(member=ana).update(ends_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(PermissionDenied):
        forum_services.topic_pin(topic=regional, member=ana, pinned=False)


def test_the_ambassador_badge_shows_during_the_term_only():
    from django.template import Context, Template

    ana = ambassador()
    render = Template("{% load members %}{% member_name who %}")
    assert "badge-ambassador" in render.render(Context({"who": ana}))
    term = AmbassadorTerm.objects.get(member=ana)
    term.starts_on = timezone.localdate() + timedelta(days=1)
    term.ends_on = timezone.localdate() + timedelta(days=30)
    term.save()  # clears the cached list
    assert "badge-ambassador" not in render.render(Context({"who": ana}))


# --- Reminders -----------------------------------------------------------------------------------------------------


def test_reminders_go_out_a_day_and_an_hour_before_once_each(django_capture_on_commit_callbacks):
    tomorrow = session(title="Tomorrow's clinic", in_hours=20)
    soon = session(title="Soon clinic", in_hours=0.5)
    later = session(title="Next week", in_hours=24 * 7)
    going = member()
    for planned in (tomorrow, soon, later):
        services.rsvp_create(session=planned, member=going)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() == 2
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == ["Starting within the hour: Soon clinic", "Tomorrow: Tomorrow's clinic"]
    assert all(message.to == [going.email] for message in mail.outbox)
    # A second (or doubled) run sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() == 0
    assert len(mail.outbox) == 2
    # An hour before "tomorrow", its hour reminder goes out too.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=tomorrow.starts_at - timedelta(minutes=50)) == 1
    assert mail.outbox[-1].subject == "Starting within the hour: Tomorrow's clinic"
