"""Journey 5: bad input is answered clearly, and markup a member types stays inert text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD_LABEL
from tests.factories import PASSWORD, MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MARKUP = "<script>alert(1)</script><b>x</b>"
WRONG_CREDENTIALS = "The email address and/or password you specified are not correct."
TOO_MANY_FAILED = "Too many failed login attempts. Try again later."  # allauth/account/adapter.py error_messages
# templates/429.html, which allauth renders once a per-IP limit is spent
TOO_MANY_ATTEMPTS_TITLE = "Too many attempts"
TOO_MANY_ATTEMPTS_TEXT = "You have tried this too many times in a short while."


def test_sign_up_with_a_weak_password_is_refused(page: Page, shot):
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("weak@example.test")
    page.get_by_label(PASSWORD_LABEL).fill("password")
    page.get_by_label("Password (again)").fill("password")
    page.get_by_label("I accept the code of conduct").check()
    page.get_by_role("button", name="Sign Up").click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    errors = page.locator(".errorlist")
    expect(errors).to_contain_text("This password is too short. It must contain at least 10 characters.")
    expect(errors).to_contain_text("This password is too common.")
    expect(page.get_by_label(PASSWORD_LABEL)).to_have_attribute("aria-invalid", "true")
    # What the person typed is kept, except the passwords.
    expect(page.get_by_label("Email")).to_have_value("weak@example.test")
    expect(page.get_by_label(PASSWORD_LABEL)).to_have_value("")
    shot("01-weak-password-error")

    from community.models import Member

    assert not Member.objects.filter(email="weak@example.test").exists()


def test_sign_up_without_accepting_the_code_of_conduct_is_refused(page: Page, shot):
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("rules@example.test")
    page.get_by_label(PASSWORD_LABEL).fill("lantern-copper-harbour-42")
    page.get_by_label("Password (again)").fill("lantern-copper-harbour-42")
    # The checkbox is `required`: the browser itself stops the form; nothing reaches the server.
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    assert page.get_by_label("I accept the code of conduct").evaluate("(box) => !box.validity.valid")
    shot("01-code-of-conduct-required")

    from community.models import Member

    assert not Member.objects.filter(email="rules@example.test").exists()


def test_markup_in_display_name_and_bio_is_shown_as_inert_text(page: Page, shot, log_in, no_dialogs):
    member = MemberFactory(display_name="Lena Ortiz")
    log_in(member.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/members/me/edit/$"))
    page.get_by_label("Display name").fill(MARKUP)
    page.get_by_label("Bio").fill(f"Hello {MARKUP} world")
    page.get_by_label("Location").fill(MARKUP)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    # On the public profile, as the member and as a visitor, the markup is literal text.
    for viewer in ("member", "visitor"):
        if viewer == "visitor":
            page.context.clear_cookies()
            page.goto(f"/members/{member.pk}/")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text(MARKUP)
        expect(page.locator(".bio")).to_have_text(f"Hello {MARKUP} world")
        expect(page.locator(".profile-header .muted")).to_have_text(MARKUP)
        # No element was made from the typed markup.
        expect(page.locator("body b")).to_have_count(0)
        expect(page.locator("body script")).to_have_count(0)
        assert MARKUP in page.title()
        shot(f"01-profile-as-{viewer}")
    assert no_dialogs == [], f"the page ran the member's script: {no_dialogs}"


def test_uploading_a_non_image_as_avatar_is_refused(page: Page, shot, log_in, tmp_path):
    member = MemberFactory(display_name="Theo Park")
    not_an_image = tmp_path / "holiday.png"
    not_an_image.write_text("This is a text file wearing a .png name.\n", encoding="utf-8")
    log_in(member.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/members/me/edit/$"))
    page.get_by_label("Bio").fill("Keeps this bio.")
    page.get_by_label("Avatar").set_input_files(not_an_image)
    page.get_by_role("button", name="Save profile").click()

    expect(page).to_have_url(re.compile(r"/members/me/edit/$"))
    avatar_field = page.locator(".field").filter(has=page.get_by_label("Avatar"))
    expect(avatar_field).to_have_class(re.compile(r"\bfield-invalid\b"))
    expect(avatar_field.locator(".errorlist")).to_contain_text("Upload a valid image")
    expect(page.get_by_label("Bio")).to_have_value("Keeps this bio.")
    expect(page.get_by_text("Your profile is saved.")).to_have_count(0)
    shot("01-avatar-error")

    member.profile.refresh_from_db()
    assert not member.profile.avatar
    assert member.profile.bio == ""


def test_a_burst_of_failed_logins_is_rate_limited(page: Page, shot, log_in):
    member = MemberFactory(display_name="Ravi Shah")
    seen = []
    for attempt in range(1, 7):
        log_in(member.email, f"wrong-password-{attempt}")
        seen.append(page.locator("main").inner_text())
        if attempt == 1:
            expect(page.get_by_text(WRONG_CREDENTIALS)).to_be_visible()
            shot("01-first-failure")
    # Five wrong passwords are answered as wrong (ACCOUNT_RATE_LIMITS login_failed: 5/5m/key); the sixth is
    # refused as one too many, on the sign-in form.
    assert all(WRONG_CREDENTIALS in text for text in seen[:5]), seen[:5]
    assert TOO_MANY_FAILED in seen[5], seen[5]
    expect(page.get_by_text(TOO_MANY_FAILED)).to_be_visible()
    shot("02-sixth-attempt")

    # The seventh is over the per-IP sign-in limit (login: 6/m/ip): a 429 page in the site's layout.
    with page.expect_response(lambda r: r.request.method == "POST" and "/accounts/login/" in r.url) as answer:
        log_in(member.email, "wrong-password-7")
    assert answer.value.status == 429
    expect(page.get_by_role("heading", name=TOO_MANY_ATTEMPTS_TITLE, level=1)).to_be_visible()
    expect(page.get_by_text(TOO_MANY_ATTEMPTS_TEXT)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    shot("03-seventh-attempt")

    # Even the right password is refused while the limit lasts.
    log_in(member.email, PASSWORD)
    expect(page.get_by_role("heading", name=TOO_MANY_ATTEMPTS_TITLE, level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.get_by_role("link", name="Back to the home page").click()
    expect(page.get_by_role("heading", name=re.compile("Buy, sell and grow together"), level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    shot("04-back-home-signed-out")
