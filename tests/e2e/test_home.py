"""Journey 4: the home page at phone and desktop widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HERO_TITLE = "Buy, sell and grow together"  # set by hub/migrations/0002_home_page_and_role_groups.py


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})",
    )
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways: {widths}"


def test_home_page_on_a_phone(page: Page, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    expect(page.get_by_role("heading", name=HERO_TITLE, level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Join Guildhall")).to_be_visible()
    assert_no_horizontal_scroll(page)

    # The navigation is collapsed behind the Menu button.
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Sign in")).to_be_hidden()
    shot("01-menu-closed")

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav.get_by_role("link", name="Join", exact=True)).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("02-menu-open")

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Sign in")).to_be_hidden()

    # The open menu leads somewhere.
    menu.click()
    nav.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("03-sign-in-on-phone")


def test_home_page_on_a_desktop(page: Page, shot):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    expect(page.get_by_role("heading", name=HERO_TITLE, level=1)).to_be_visible()
    expect(page).to_have_title("Home · Guildhall")
    # No Menu button: the navigation is laid out in the header.
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Home", "Sign in", "Join"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("01-desktop")


def test_home_page_on_a_phone_signed_in(page: Page, shot, log_in):
    from tests.factories import PASSWORD, MemberFactory

    member = MemberFactory(display_name="Kwame Mensah-Oduro")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(member.email, PASSWORD)
    page.goto("/")
    expect(page.get_by_role("heading", name=HERO_TITLE, level=1)).to_be_visible()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My profile")).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("01-menu-open-signed-in")
