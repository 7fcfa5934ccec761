"""Journey 3: a member downloads their data, then deletes their account."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_member_downloads_their_data_and_deletes_their_account(page: Page, shot, log_in, tmp_path):
    member = MemberFactory(display_name="Noor Baker")
    email, profile_url = member.email, f"/members/{member.pk}/"

    log_in(email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/members/me/edit/$"))
    page.get_by_role("link", name="Your data and account deletion").click()
    expect(page.get_by_role("heading", name="Your data and your account")).to_be_visible()
    shot("01-privacy-page")

    # Download: a JSON file with the member's own details.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    download = download_info.value
    assert re.fullmatch(r"guildhall-data-\d{8}\.json", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["account"]["email"] == email
    assert data["profile"]["display_name"] == "Noor Baker"
    assert {"email": email, "verified": True, "primary": True} in data["account"]["email_addresses"]

    # A wrong password or a missing DELETE is refused with a clear reason; nothing is deleted.
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_label('Type "DELETE" to confirm').fill("delete")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That password is not right.")).to_be_visible()
    expect(page.get_by_text('Type "DELETE" in capitals to confirm.')).to_be_visible()
    shot("02-delete-refused")

    # Deletion with the password and DELETE typed.
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label('Type "DELETE" to confirm').fill("DELETE")
    shot("03-delete-filled")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted. Thank you for being part of Guildhall.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    shot("04-deleted")

    # The public profile is gone.
    response = page.goto(profile_url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("Noor Baker")).to_have_count(0)
    shot("05-profile-404")

    # The old credentials no longer sign in.
    log_in(email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    shot("06-old-login-refused")


def test_a_missing_profile_is_a_friendly_not_found_page(page: Page, shot):
    response = page.goto("/members/987654/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    shot("01-not-found")
    page.get_by_role("link", name="Back to the home page").click()
    expect(page).to_have_url(re.compile(r"/$"))
