"""Journey 1: a newcomer signs up, verifies their email from the mail file, signs in and completes their profile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD_LABEL

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CONFIRM_URL = re.compile(r"https?://[^\s\"'<>]+/accounts/confirm-email/[^/\s\"'<>]+/")


def confirmation_link(mail_dir: Path) -> str:
    mails = sorted(mail_dir.glob("*.log"))
    assert mails, f"no mail was written to {mail_dir}"
    text = "\n".join(mail.read_text(encoding="utf-8") for mail in mails)
    links = CONFIRM_URL.findall(text)
    assert links, f"no /accounts/confirm-email/<key>/ link in the mail:\n{text}"
    return links[-1]


def test_sign_up_verify_email_and_complete_profile(page: Page, settings, tmp_path, shot, log_in, png_file):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    email, password = "ada@example.test", "lantern-copper-harbour-42"

    # Sign up from the home page's Join link.
    page.goto("/")
    page.get_by_role("link", name="Join", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(page.get_by_role("heading", name="Sign Up")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill("Ada Weaver")
    page.get_by_label(PASSWORD_LABEL).fill(password)
    page.get_by_label("Password (again)").fill(password)
    page.get_by_label("I accept the code of conduct").check()
    shot("01-signup-filled")
    page.get_by_role("button", name="Sign Up").click()

    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    shot("02-verification-sent")

    # The verification mail lands in the mail folder; its link opens a page with a Confirm button.
    link = confirmation_link(mail_dir)
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm Email Address")).to_be_visible()
    expect(page.get_by_text(email).first).to_be_visible()
    shot("03-confirm-email")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(f"You have confirmed {email}.")).to_be_visible()
    shot("04-email-confirmed")

    # Sign in: the member lands on their profile form, display name carried over from sign-up.
    log_in(email, password)
    expect(page).to_have_url(re.compile(r"/members/me/edit/$"))
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_label("Display name")).to_have_value("Ada Weaver")
    page.get_by_label("Display name").fill("Ada the Weaver")
    page.get_by_label("Bio").fill("I weave wool blankets and teach beginners.\nCommissions open.")
    page.get_by_label("Location").fill("Galway")
    page.get_by_label("Seller", exact=True).check()
    page.get_by_label("Mentor", exact=True).check()
    page.get_by_label("Avatar").set_input_files(png_file)
    shot("05-profile-filled")
    page.get_by_role("button", name="Save profile").click()

    # The public profile shows what the member entered and their trust signals.
    expect(page).to_have_url(re.compile(r"/members/\d+/$"))
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Ada the Weaver")
    expect(heading.locator(".badge")).to_have_text(["✓ Email"])
    expect(page.get_by_text("Galway")).to_be_visible()
    expect(page.get_by_text("I weave wool blankets and teach beginners.")).to_be_visible()
    expect(page.locator(".profile-header").get_by_text("Seller", exact=True)).to_be_visible()
    expect(page.locator(".profile-header").get_by_text("Mentor", exact=True)).to_be_visible()
    expect(page.get_by_text("Member since")).to_be_visible()
    avatar = page.locator(".profile-header img.avatar")
    expect(avatar).to_be_visible()
    assert avatar.evaluate("(img) => img.decode().then(() => img.naturalWidth)") == 64
    shot("06-public-profile")

    # A visitor who is not signed in sees the same public profile, avatar included.
    profile_url = page.url
    page.context.clear_cookies()
    page.goto(profile_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada the Weaver")
    expect(page.get_by_role("heading", level=1).get_by_text("✓ Email")).to_be_visible()
    expect(page.get_by_text("Member since")).to_be_visible()
    shot("07-public-profile-anonymous")


def test_member_replaces_and_then_removes_their_avatar(page: Page, shot, log_in, png_file, tmp_path):
    from PIL import Image

    from tests.factories import PASSWORD, MemberFactory

    member = MemberFactory(display_name="Ines Glass")
    log_in(member.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/members/me/edit/$"))
    page.get_by_label("Avatar").set_input_files(png_file)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.locator(".profile-header img.avatar")).to_be_visible()

    # A second, larger picture replaces the first.
    bigger = tmp_path / "portrait.png"
    Image.new("RGB", (120, 120), (179, 70, 27)).save(bigger, format="PNG")
    page.get_by_role("link", name="Edit your profile").click()
    page.get_by_label("Avatar").set_input_files(bigger)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    avatar = page.locator(".profile-header img.avatar")
    expect(avatar).to_be_visible()
    assert avatar.evaluate("(img) => img.decode().then(() => img.naturalWidth)") == 120
    shot("01-avatar-replaced")

    # Ticking Clear removes it: the initial letter is shown instead.
    page.get_by_role("link", name="Edit your profile").click()
    page.get_by_label("Clear").check()
    shot("02-clear-ticked")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.locator(".profile-header img.avatar")).to_have_count(0)
    expect(page.locator(".profile-header .avatar")).to_have_text("I")
    shot("03-avatar-removed")
