"""Forum journey: a seller asks a question on a phone; another member answers, quoting the question and mentioning
the seller; the seller sees the notification, accepts the answer and thanks the answerer with a reaction (htmx)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from community.models import ForumCategory, Notification, Reaction, Topic
from tests.factories import PASSWORD, MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
QUESTION = "How do you ship mugs without breakage?"


def _member(email: str, name: str):
    member = MemberFactory(email=email, display_name=name)
    member.date_joined = timezone.now() - timedelta(days=30)
    member.save(update_fields=["date_joined"])
    return member


def _sign_out(page: Page) -> None:
    """On a phone the Sign out button is in the collapsed menu."""
    toggle = page.locator("[data-nav-toggle]")
    if toggle.is_visible():
        toggle.click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def test_a_seller_asks_gets_a_quoted_answer_accepts_it_and_reacts(page: Page, log_in, shot, no_dialogs):
    # given a category, a seller and an experienced member
    ForumCategory.objects.create(name="Ceramics and pottery", slug="ceramics", description="Clay, glazes, kilns.")
    seller = _member("sam@example.test", "Sam Seller")
    _member("max@example.test", "Max Mentor")
    page.set_viewport_size(PHONE)

    # when the seller asks a question from the forum index
    log_in(seller.email, PASSWORD)
    page.goto("/forum/")
    expect(page.get_by_role("heading", name="Forum", level=1)).to_be_visible()
    shot("1-index")
    page.get_by_role("link", name="Ceramics and pottery").click()
    page.get_by_role("link", name="New topic").click()
    page.get_by_label("Question").check()
    # the lesson and review fields stay out of the way for a question
    expect(page.get_by_label("Hypothesis")).to_be_hidden()
    page.get_by_label("Lesson learned").check()
    expect(page.get_by_label("Hypothesis")).to_be_visible()
    page.get_by_label("Question").check()
    page.get_by_label("Title").fill(QUESTION)
    page.get_by_label("Your post").fill("Two of my last five mugs arrived **chipped**. What packaging do you use?")
    page.get_by_label("Tags").fill("shipping, packaging")
    shot("2-new-question")
    page.get_by_role("button", name="Open topic").click()
    expect(page.get_by_role("heading", name=QUESTION)).to_be_visible()
    expect(page.locator(".post-body strong")).to_have_text("chipped")
    _sign_out(page)

    # when another member answers, quoting the question and mentioning the seller
    log_in("max@example.test", PASSWORD)
    page.goto("/forum/c/ceramics/")
    shot("3-category-unread")
    page.get_by_role("link", name=QUESTION).click()
    page.get_by_role("link", name="Quote Sam Seller").click()
    expect(page.locator(".quoting")).to_contain_text("Quoting Sam Seller")
    page.get_by_label("Your reply").fill("Double-box them with 5 cm of padding. @Sam Seller, wrap handles separately.")
    page.get_by_role("button", name="Post reply").click()
    answer = page.locator("#post-2")
    expect(answer.locator(".post-quote")).to_contain_text("Sam Seller wrote:")
    expect(answer.get_by_role("link", name="@Sam Seller")).to_be_visible()
    shot("4-answer-posted")
    _sign_out(page)

    # then the seller is notified, accepts the answer and reacts to it
    log_in(seller.email, PASSWORD)
    assert Notification.objects.filter(member=seller, text__contains="mentioned you").exists()
    page.goto(reverse("community:notifications"))
    page.get_by_role("link", name=re.compile("Max Mentor mentioned you")).first.click()
    answer = page.locator("#post-2")
    answer.get_by_role("button", name="Accept answer").click()
    expect(page.get_by_text("Answer accepted.")).to_be_visible()
    expect(page.locator("#post-2 .accepted-label")).to_have_text("✓ Accepted answer")
    thanks = page.locator("#post-2").get_by_role("button", name=re.compile("^Thanks"))
    thanks.click()
    expect(page.locator("#post-2").get_by_role("button", name=re.compile("^Thanks"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#post-2").get_by_role("button", name=re.compile("^Thanks"))).to_contain_text("1")
    shot("5-accepted-and-thanked")
    topic = Topic.objects.get(title=QUESTION)
    assert topic.accepted_answer.number == 2
    assert Reaction.objects.filter(post=topic.accepted_answer, member=seller, kind="thanks").exists()
    assert no_dialogs == []
