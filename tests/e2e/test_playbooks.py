"""Playbook journeys: a facilitator writes a playbook in the CMS and submits it, a second facilitator approves it
(the author cannot), it turns up in the playbook search, and a new seller works through the welcome series."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TITLE = "Packing fragile ceramics"


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways on {page.url}: {widths}"


def test_a_playbook_is_written_reviewed_by_a_second_facilitator_and_found(page: Page, shot, log_in, log_out):
    from listings.demo import seed_categories
    from playbooks.models import PlaybookIndexPage, PlaybookPage
    from tests.playbooks.factories import facilitator

    seed_categories()
    author = facilitator(display_name="Ama Owusu")
    reviewer = facilitator(display_name="Bea Lindqvist")
    index = PlaybookIndexPage.objects.get()
    page.set_viewport_size(DESKTOP)

    # A facilitator writes a playbook in the CMS.
    log_in(author.email, PASSWORD)
    page.goto(f"/cms/pages/add/playbooks/playbookpage/{index.pk}/")
    page.get_by_placeholder("Page title*").fill(TITLE)
    page.get_by_role("textbox", name="Introduction*").fill("How to post mugs and bowls so they arrive in one piece.")
    page.get_by_role("listbox", name="Listing categories").select_option(label="Ceramics")
    page.get_by_label("Handmade", exact=True).check()
    page.get_by_role("combobox", name="Seller stage").select_option("new")
    page.get_by_role("button", name="Insert a block").first.click()
    page.get_by_role("option", name="Step").click()
    page.locator('input[name="body-0-value-title"]').fill("Double-box every piece")
    editor = page.locator("#body-0-value-text").locator("xpath=..").locator('[contenteditable="true"]')
    expect(editor).to_be_visible()  # Draftail has mounted: keys typed before that are lost
    editor.click()
    editor.type("Wrap each piece in two layers of bubble wrap, then box it inside a second box.")
    expect(editor).to_contain_text("bubble wrap")
    # Draftail writes its content to the hidden input a moment after typing stops; leaving the editor commits it.
    page.locator('input[name="body-0-value-title"]').click()
    expect(page.locator("#body-0-value-text")).to_have_value(re.compile("bubble wrap"))
    expect(editor).to_contain_text("bubble wrap")
    shot("01-author-writes")

    # The editor offers review, not publishing.
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Submit to Facilitator review").click()
    expect(page.get_by_text(f"Page '{TITLE}' created and submitted for moderation.")).to_be_visible()
    shot("02-submitted")
    playbook = PlaybookPage.objects.get(title=TITLE)
    assert playbook.workflow_in_progress and not playbook.live

    # The author is not asked to review their own playbook.
    page.goto(f"/cms/pages/{playbook.pk}/edit/")
    page.get_by_role("button", name="More actions").click()
    expect(page.get_by_role("button", name="Cancel workflow")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    expect(page.get_by_role("button", name="Request changes")).to_have_count(0)
    shot("03-author-cannot-approve")
    page.goto("/")
    log_out()

    # A second facilitator approves it from the dashboard.
    log_in(reviewer.email, PASSWORD)
    page.goto("/cms/")
    expect(page.get_by_role("heading", name="Awaiting your review")).to_be_visible()
    expect(page.get_by_text(TITLE)).to_be_visible()
    shot("04-reviewer-dashboard")
    page.goto(f"/cms/pages/{playbook.pk}/edit/")
    page.get_by_role("button", name="More actions").click()
    shot("05-reviewer-actions")
    page.get_by_role("button", name="Approve and Publish", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/cms/pages/{index.pk}/$"))
    shot("06-approved")
    playbook.refresh_from_db()
    assert playbook.live

    # It appears in the playbook search.
    page.goto("/playbooks/")
    page.get_by_role("textbox", name="Search playbooks").fill("bubble wrap")
    page.get_by_role("combobox", name="Category").select_option(label="— Ceramics")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 playbook")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Ceramics\s+\(remove this filter\)$"))).to_be_visible()
    shot("07-search")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_text("Written by Ama Owusu")).to_be_visible()
    shot("08-found-and-open")


def test_a_new_seller_works_through_the_welcome_series(page: Page, shot, log_in):
    from playbooks.demo import seed_playbooks

    seed_playbooks()
    seller = MemberFactory(display_name="Kofi Boateng")
    page.set_viewport_size(PHONE)
    log_in(seller.email, PASSWORD)
    page.goto("/playbooks/welcome/")
    expect(page.get_by_role("heading", name="Your first month on Guildhall", level=1)).to_be_visible()
    expect(page.get_by_text("0 of 11 steps done")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("01-welcome-series")

    page.get_by_role("link", name=re.compile("^Start: Your first listing that sells")).click()
    expect(page.get_by_text("0 of 6 steps done")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Mark as done\s*: Photograph it in daylight$")).click()
    expect(page.get_by_text("1 of 6 steps done")).to_be_visible()
    page.get_by_role("button", name="Three photos or more, in daylight").click()
    expect(page.get_by_text("2 of 6 steps done")).to_be_visible()
    ticked = page.get_by_role("button", name="Three photos or more, in daylight")
    expect(ticked).to_have_attribute("aria-pressed", "true")
    assert_no_horizontal_scroll(page)
    shot("02-steps-ticked")

    # Progress is kept.
    page.reload()
    expect(page.get_by_text("2 of 6 steps done")).to_be_visible()
    page.goto("/playbooks/welcome/")
    expect(page.get_by_text("2 of 11 steps done")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Continue: Your first listing that sells"))).to_be_visible()
    shot("03-series-progress")


def test_a_member_leaves_feedback_and_a_facilitator_resolves_it(page: Page, shot, log_in, log_out):
    from playbooks.demo import seed_playbooks
    from tests.playbooks.factories import facilitator

    pages = seed_playbooks()
    guide = pages["pricing-handmade-ceramics"]
    member = MemberFactory(display_name="Kofi Boateng")
    moderator = facilitator(display_name="Ama Owusu")
    page.set_viewport_size(DESKTOP)

    log_in(member.email, PASSWORD)
    page.goto(guide.url)
    page.get_by_label("No", exact=True).check()
    page.get_by_label(re.compile("What would make it better")).fill("<b>Add</b> postage costs, please")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_text("Thank you: your feedback reaches the playbook's facilitators.")).to_be_visible()
    expect(page.get_by_text("You said it did not help.")).to_be_visible()
    shot("01-feedback-sent")
    log_out()

    log_in(moderator.email, PASSWORD)
    page.goto("/cms/")
    page.get_by_role("link", name="Playbook feedback").click()
    expect(page.get_by_role("cell", name="<b>Add</b> postage costs, please")).to_be_visible()
    shot("02-feedback-queue")
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.get_by_text("Feedback marked resolved.")).to_be_visible()
    expect(page.get_by_text("No open feedback. Well done!")).to_be_visible()
    shot("03-feedback-resolved")
