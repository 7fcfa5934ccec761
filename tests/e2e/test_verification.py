"""Journey 2: a member uploads a government ID, staff approve it in the Django admin, and the ID badge appears."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD_LABEL
from tests.factories import PASSWORD, MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_staff_approve_an_id_upload_and_the_badge_appears(page: Page, new_context, shot, log_in, log_out, pdf_file):
    member = MemberFactory(display_name="Maya Tan")
    staff = MemberFactory(is_staff=True, is_superuser=True, display_name="Sam Staff")

    # The member uploads their passport for review.
    log_in(member.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/members/me/edit/$"))
    page.get_by_role("link", name="Verification").click()
    expect(page.get_by_role("heading", name="Verification", level=1)).to_be_visible()
    expect(page.get_by_text("Nothing verified yet.")).to_be_visible()
    page.get_by_label("Document").select_option(label="Government ID")
    page.get_by_label("File").set_input_files(pdf_file)
    shot("01-member-upload-filled")
    page.get_by_role("button", name="Upload for review").click()
    expect(page.get_by_text("Thank you. Staff will review your document.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Government ID")
    expect(row).to_contain_text("Pending review")
    expect(row.get_by_role("button", name="Delete document")).to_be_visible()
    shot("02-member-upload-pending")

    # Before review the public profile has no ID badge.
    page.goto(f"/members/{member.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maya Tan")
    expect(page.get_by_role("heading", level=1).get_by_text("✓ ID")).to_have_count(0)
    log_out()

    # Staff sign in to the Django admin in their own browser and open the pending verification.
    staff_page = new_context().new_page()
    staff_page.goto("/django-admin/")
    expect(staff_page).to_have_url(re.compile(r"/django-admin/login/"))
    staff_page.get_by_label("Email address").fill(staff.email)
    staff_page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    shot("03-admin-login", of=staff_page)
    staff_page.get_by_role("button", name="Log in").click()
    expect(staff_page.get_by_role("heading", name="Site administration")).to_be_visible()
    staff_page.goto("/django-admin/community/verification/")
    expect(staff_page.get_by_role("row").filter(has_text="Maya Tan")).to_contain_text("Pending review")
    shot("04-admin-verification-list", of=staff_page)
    staff_page.get_by_role("link", name="Maya Tan").click()
    expect(staff_page.get_by_role("heading", name="Change verification")).to_be_visible()

    # The document opens for staff as the PDF the member uploaded.
    document_href = staff_page.get_by_role("link", name="Open the document").get_attribute("href")
    document = staff_page.request.get(document_href)
    assert document.status == 200
    assert document.body().startswith(b"%PDF-1.4")

    staff_page.get_by_label("Decision").select_option(label="Approve")
    shot("05-admin-approve-chosen", of=staff_page)
    staff_page.get_by_role("button", name="Save", exact=True).click()
    expect(staff_page.get_by_text("Approved: the member's badge now shows.")).to_be_visible()
    expect(staff_page.get_by_role("row").filter(has_text="Maya Tan")).to_contain_text("Approved")
    shot("06-admin-approved", of=staff_page)
    staff_page.context.close()

    # Anyone now sees the ID badge next to the member's name.
    page.goto(f"/members/{member.pk}/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Maya Tan")
    expect(heading.get_by_text("✓ ID")).to_be_visible()
    expect(page.locator(".trust-signals")).to_contain_text("Government ID")
    shot("07-public-profile-id-badge")

    # The member sees the approval on their verification page.
    log_in(member.email, PASSWORD)
    page.goto("/members/me/verification/")
    expect(page.get_by_role("row").filter(has_text="Government ID")).to_contain_text("Approved")
    shot("08-member-sees-approval")


def test_identity_documents_are_hidden_from_other_members(page: Page, log_in, pdf_file):
    owner = MemberFactory(display_name="Maya Tan")
    log_in(owner.email, PASSWORD)
    page.goto("/members/me/verification/")
    page.get_by_label("Document").select_option(label="Government ID")
    page.get_by_label("File").set_input_files(pdf_file)
    page.get_by_role("button", name="Upload for review").click()
    expect(page.get_by_text("Thank you. Staff will review your document.")).to_be_visible()

    from community.models import Verification

    verification = Verification.objects.get(member=owner)
    # The owner themselves, not being staff, is told the document does not exist; so is any other member.
    assert page.request.get(f"/members/verification/{verification.pk}/document/").status == 404
    page.get_by_role("button", name="Sign out").click()
    other = MemberFactory()
    log_in(other.email, PASSWORD)
    assert page.request.get(f"/members/verification/{verification.pk}/document/").status == 404
