"""Joining and signing in: allauth with Guildhall's signup form, enumeration prevention and rate limits."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.urls import reverse

from community.models import Member, Verification, VerificationKind, VerificationStatus
from tests.community.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"
RESET = "/accounts/password/reset/"
NEW_PASSWORD = "amber-lantern-quietly-41"


def signup_data(**overrides) -> dict:
    data = {
        "email": "newcomer@example.test",
        "display_name": "Nia Newcomer",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "accept_terms": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def login(client, email: str, password: str, **extra):
    return client.post(LOGIN, {"login": email, "password": password}, **extra)


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def limit_of(action: str, scope: str) -> int:
    """The number of attempts a rate in settings.ACCOUNT_RATE_LIMITS allows, e.g. "5/5m/key" -> 5."""
    for rate in settings.ACCOUNT_RATE_LIMITS[action].split(","):
        amount, _duration, *rest = rate.split("/")
        if rest and rest[0] == scope:
            return int(amount)
    raise AssertionError(f"no {scope} rate for {action}")


def test_signup_creates_member_with_display_name_and_sends_verification_email(client, mailoutbox):
    # when a visitor joins
    response = client.post(SIGNUP, signup_data())
    # then they are sent to "check your email", with an account and profile under their chosen name
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    member = Member.objects.get(email="newcomer@example.test")
    assert member.profile.display_name == "Nia Newcomer"
    assert member.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=member).verified is False
    assert not is_signed_in(client)
    # and a verification link arrives in their inbox
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["newcomer@example.test"]
    assert "/accounts/confirm-email/" in mailoutbox[0].body


def test_following_the_emailed_link_verifies_the_address_and_records_the_email_badge(client, mailoutbox):
    # given a visitor who has just joined
    client.post(SIGNUP, signup_data())
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", mailoutbox[0].body).group(1)
    # when they open the link and confirm
    assert client.get(link).status_code == 200
    response = client.post(link)
    # then the address is verified and the email verification is on record
    assert response.status_code == 302
    member = Member.objects.get(email="newcomer@example.test")
    assert EmailAddress.objects.get(user=member).verified is True
    assert Verification.objects.get(member=member, kind=VerificationKind.EMAIL).status == VerificationStatus.APPROVED


def test_signup_with_a_registered_email_answers_like_a_fresh_signup(client, mailoutbox):
    # given an existing member
    owner = MemberFactory(email="taken@example.test")
    fresh = client.post(SIGNUP, signup_data(email="fresh@example.test"))
    mailoutbox.clear()
    # when somebody else tries to join with the owner's address
    response = client.__class__().post(SIGNUP, signup_data(email="taken@example.test", display_name="Impostor"))
    # then they see exactly what a fresh signup sees
    assert response.status_code == fresh.status_code == 302
    assert response["Location"] == fresh["Location"]
    # and no second account exists, the owner's password is untouched
    assert Member.objects.filter(email__iexact="taken@example.test").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert owner.profile.display_name != "Impostor"
    # and the real owner is told by email that someone tried
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["taken@example.test"]


def test_signup_with_a_registered_email_in_other_capitals_creates_no_second_account(client, mailoutbox):
    # given an existing member
    MemberFactory(email="taken@example.test")
    # when somebody joins with the same address in capitals
    response = client.post(SIGNUP, signup_data(email="Taken@Example.TEST"))
    # then they see the usual answer, and still only one account owns the address
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert Member.objects.filter(email__iexact="taken@example.test").count() == 1
    assert EmailAddress.objects.filter(email__iexact="taken@example.test").count() == 1


def test_weak_password_is_rejected_and_nothing_is_written(client, mailoutbox):
    # when a visitor chooses a short, common password
    response = client.post(SIGNUP, signup_data(password1="password", password2="password"))
    # then the form explains why and no account or email exists
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "password1" in errors
    assert not Member.objects.filter(email="newcomer@example.test").exists()
    assert not EmailAddress.objects.filter(email="newcomer@example.test").exists()
    assert mailoutbox == []


def test_code_of_conduct_must_be_accepted(client, mailoutbox):
    # when a visitor leaves the code-of-conduct box unticked
    response = client.post(SIGNUP, signup_data(accept_terms=None))
    # then they are asked to accept it and no account is created
    assert response.status_code == 200
    assert response.context["form"].errors["accept_terms"] == ["Please accept the code of conduct to join."]
    assert "Please accept the code of conduct to join." in response.content.decode()
    assert not Member.objects.filter(email="newcomer@example.test").exists()
    assert mailoutbox == []


def test_login_is_refused_until_the_email_is_verified(client, mailoutbox):
    # given a member who has not verified their address
    member = MemberFactory(email="pending@example.test", verified=False)
    EmailAddress.objects.create(user=member, email=member.email, verified=False, primary=True)
    # when they sign in with the right password
    response = login(client, "pending@example.test", PASSWORD)
    # then they are not signed in but sent to verify, with a fresh link
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not is_signed_in(client)
    assert [mail.to for mail in mailoutbox] == [["pending@example.test"]]
    # when the address is verified, the same credentials work
    EmailAddress.objects.filter(user=member).update(verified=True)
    response = login(client, "pending@example.test", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert client.session["_auth_user_id"] == str(member.pk)


def test_login_is_by_email_and_case_insensitive(client):
    # given a verified member
    member = MemberFactory(email="casey@example.test")
    # when they type their address in capitals
    login(client, "Casey@Example.TEST", PASSWORD)
    # then they are signed in
    assert client.session["_auth_user_id"] == str(member.pk)


def test_login_failure_looks_the_same_for_unknown_email_and_wrong_password(client):
    # given a registered member
    MemberFactory(email="known@example.test")
    # when one visitor mistypes the password and another uses an unknown address
    wrong_password = login(client, "known@example.test", "not-the-password")
    unknown_email = login(client.__class__(), "nobody@example.test", PASSWORD)
    # then both see the same page with the same message
    assert wrong_password.status_code == unknown_email.status_code == 200
    wrong_errors = wrong_password.context["form"].non_field_errors()
    assert wrong_errors == unknown_email.context["form"].non_field_errors()
    assert wrong_errors  # a message is shown at all
    assert not is_signed_in(client)


def test_password_reset_answers_the_same_for_registered_and_unregistered_emails(client, mailoutbox):
    # given a registered member
    MemberFactory(email="known@example.test")
    # when a reset is asked for a registered and for an unknown address
    registered = client.post(RESET, {"email": "known@example.test"})
    unregistered = client.__class__().post(RESET, {"email": "stranger@example.test"})
    # then the visitor sees the same answer
    assert registered.status_code == unregistered.status_code == 302
    assert registered["Location"] == unregistered["Location"] == reverse("account_reset_password_done")
    # and only the registered owner receives a reset link
    by_recipient = {tuple(mail.to): mail.body for mail in mailoutbox}
    assert "/accounts/password/reset/key/" in by_recipient[("known@example.test",)]
    assert "/accounts/password/reset/key/" not in by_recipient.get(("stranger@example.test",), "")


def test_login_gives_a_new_session_key(client):
    # given a visitor whose browser already holds a session (e.g. planted by an attacker)
    MemberFactory(email="fixated@example.test")
    session = client.session
    session["planted"] = True
    session.save()
    planted_key = session.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == planted_key
    # when they sign in
    login(client, "fixated@example.test", PASSWORD)
    # then they are signed in under a new key and the planted one is worth nothing
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != planted_key
    assert is_signed_in(client)
    assert not client.session.__class__().exists(planted_key)


def test_a_burst_of_failed_logins_for_one_email_locks_it_even_from_other_addresses(client):
    # given a member, and as many wrong passwords for their email as the per-email limit allows, each from
    # another IP address so that only the per-email limit applies
    MemberFactory(email="target@example.test")
    allowed = limit_of("login_failed", "key")
    for attempt in range(allowed):
        response = login(client, "target@example.test", f"guess-{attempt}", REMOTE_ADDR=f"10.0.0.{attempt + 1}")
        assert "Too many failed login attempts" not in response.content.decode()
    # when the next attempt comes, even with the right password and from a fresh address
    response = login(client, "target@example.test", PASSWORD, REMOTE_ADDR="10.0.1.1")
    # then it is refused and nobody is signed in
    assert "Too many failed login attempts" in response.content.decode()
    assert not is_signed_in(client)


def test_a_burst_of_login_posts_from_one_address_is_answered_429(client):
    # given as many login attempts from one IP address as the per-IP limit allows
    limit = limit_of("login", "ip")
    for attempt in range(limit):
        response = login(client, f"person{attempt}@example.test", "whatever-password")
        assert response.status_code == 200
    # when one more comes from the same address
    response = login(client, "another@example.test", "whatever-password")
    # then it is refused outright
    assert response.status_code == 429


def test_the_per_address_login_limit_cannot_be_dodged_with_a_forged_forwarded_for_header(client):
    # given a client that sends a new X-Forwarded-For with every login attempt
    limit = limit_of("login", "ip")
    for attempt in range(limit):
        login(client, f"person{attempt}@example.test", "whatever-password", HTTP_X_FORWARDED_FOR=f"10.7.0.{attempt}")
    # when it goes over the per-address limit
    response = login(client, "another@example.test", "whatever-password", HTTP_X_FORWARDED_FOR="10.7.1.1")
    # then it is refused all the same
    assert response.status_code == 429
