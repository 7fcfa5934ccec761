"""Journey: a moderator silences a member with a reason; the member, in a second browser, is refused a reply with
that reason, reads it on their standing page and appeals; the moderator reads the appeal and lifts the silence; the
member can reply again and looks at their trust level."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from community.forums import services as forum_services
from community.models import (
    ForumCategory,
    ModerationAction,
    Role,
    RoleGrant,
    Sanction,
)
from tests.e2e.conftest import EMAIL_LABEL, PASSWORD_LABEL
from tests.factories import PASSWORD, MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REASON = "Heated replies in the pricing thread"
APPEAL = "I lost my temper and have apologised to Sam in the thread."


def _member(email: str, name: str):
    created = MemberFactory(email=email, display_name=name)
    created.date_joined = timezone.now() - timedelta(days=30)
    created.save(update_fields=["date_joined"])
    return created


def _sign_in(tab: Page, email: str) -> None:
    tab.goto("/accounts/login/")
    tab.get_by_label(EMAIL_LABEL).fill(email)
    tab.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    tab.get_by_role("button", name="Sign In").click()
    expect(tab.get_by_role("button", name="Sign out")).to_be_attached()


def test_a_moderator_silences_the_member_appeals_and_the_moderator_lifts_it(page: Page, new_context, shot, no_dialogs):
    # given a moderator, a member and a topic the member takes part in
    mod = _member("mo@example.test", "Mo Moderator")
    RoleGrant.objects.create(member=mod, role=Role.MODERATOR)
    riley = _member("riley@example.test", "Riley Member")
    category = ForumCategory.objects.create(name="Pricing", slug="pricing")
    opened = forum_services.topic_create(
        author=_member("sam@example.test", "Sam Seller"),
        category=category,
        title="How do you price custom orders?",
        body="Hourly or per piece?",
    )

    # when the moderator silences the member for three days, with a reason
    _sign_in(page, mod.email)
    page.get_by_role("link", name="Moderation").first.click()
    expect(page.get_by_role("heading", name="Moderation", level=1)).to_be_visible()
    page.goto(f"/members/moderation/members/{riley.pk}/")
    page.get_by_label("Action").select_option("silence")
    page.get_by_label("Reason (the member reads it)").fill(REASON)
    page.get_by_label("Days").fill("3")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Done: Riley Member has been told why.")).to_be_visible()
    expect(page.get_by_text(REASON).first).to_be_visible()
    shot("1-moderator-silenced")

    # then the member, in their own browser, is refused a reply with the reason
    member_tab = new_context().new_page()
    _sign_in(member_tab, riley.email)
    member_tab.goto(f"/forum/t/{opened.pk}/")
    member_tab.get_by_label("Your reply").fill("Per piece, always.")
    member_tab.get_by_role("button", name="Post reply").click()
    expect(member_tab.get_by_role("heading", name="Not allowed right now")).to_be_visible()
    expect(member_tab.locator("[data-sanction-message]")).to_contain_text(REASON)
    expect(member_tab.locator("[data-sanction-message]")).to_contain_text("silenced until")
    shot("2-member-refused", member_tab)

    # and reads why and until when on their standing page, and appeals
    member_tab.get_by_role("link", name="See your account standing").click()
    expect(member_tab.locator("[data-sanction-reason]")).to_have_text(REASON)
    expect(member_tab.locator("[data-sanction-until]")).to_be_visible()
    member_tab.get_by_label("Why should moderators reconsider?").fill("sorry")
    member_tab.get_by_role("button", name="Send the appeal").click()
    expect(member_tab.get_by_role("alert")).to_contain_text("at least 10 characters")
    member_tab.get_by_label("Why should moderators reconsider?").fill(APPEAL)
    member_tab.get_by_role("button", name="Send the appeal").click()
    expect(member_tab.get_by_text("Your appeal is sent.")).to_be_visible()
    expect(member_tab.get_by_text("Waiting for a moderator")).to_be_visible()
    expect(member_tab.get_by_role("button", name="Send the appeal")).to_have_count(0)  # once per sanction
    shot("3-member-appealed", member_tab)

    # when the moderator reads the appeal and lifts the silence with a reason
    page.goto("/members/moderation/")
    expect(page.get_by_text(APPEAL)).to_be_visible()
    page.get_by_label("Reason for lifting").fill("Apology accepted, thanks")
    page.get_by_role("button", name="Lift now").click()
    expect(page.get_by_text("The sanction is lifted.")).to_be_visible()
    expect(page.get_by_text("Nobody is silenced or suspended.")).to_be_visible()
    expect(page.locator('[data-log-action="lift"]')).to_contain_text("Apology accepted, thanks")
    shot("4-moderator-lifted")

    # then the member sees it lifted and can reply again
    member_tab.reload()
    expect(member_tab.locator("[data-standing-good]")).to_be_visible()
    expect(member_tab.get_by_text("Apology accepted, thanks").first).to_be_visible()
    member_tab.goto(f"/forum/t/{opened.pk}/")
    member_tab.get_by_label("Your reply").fill("Per piece, always.")
    member_tab.get_by_role("button", name="Post reply").click()
    expect(member_tab.get_by_text("Per piece, always.")).to_be_visible()
    assert Sanction.objects.get(member=riley).lifted_at is not None
    actions = set(ModerationAction.objects.values_list("action", flat=True))
    assert {"silence", "lift"} <= actions

    # and looks at their trust level from their profile
    member_tab.goto(f"/members/{riley.pk}/")
    member_tab.get_by_role("link", name="Your trust level").click()
    expect(member_tab.get_by_role("heading", name="Your trust level")).to_be_visible()
    expect(member_tab.locator("[data-trust-level]")).to_contain_text("Level 0: New member")
    expect(member_tab.get_by_text("Topics entered").first).to_be_visible()
    expect(member_tab.locator("progress").first).to_be_visible()
    shot("5-member-trust", member_tab)
    member_tab.get_by_role("link", name="How trust levels work: promotion and demotion").click()
    expect(member_tab.get_by_role("heading", name="Demotion")).to_be_visible()
    assert no_dialogs == []
