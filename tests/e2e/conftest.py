"""Shared fixtures for the Playwright journeys: the live server as Playwright's base URL, screenshots, sign-in and
files a member uploads."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"

# Django renders labels with a trailing colon ("Password:"); these match a label exactly, colon or not.
PASSWORD_LABEL = re.compile(r"^Password:?$")
EMAIL_LABEL = re.compile(r"^Email:?$")


@pytest.fixture(scope="session", autouse=True)
def _serialized_db_contents(django_db_setup, django_db_blocker) -> dict[str, str]:
    """What the test databases held after migrating (the Wagtail home page, its Site, groups...), read before
    Playwright starts. See _serialized_db_contents_under_playwright."""
    from django.db import connections

    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


@pytest.fixture(scope="session", autouse=True)
def _serialized_db_contents_under_playwright(_serialized_db_contents, playwright) -> None:
    """Makes serialized_rollback work in tests that drive a browser.

    Playwright's sync API keeps an asyncio loop running in the main thread. Django keeps its connections in an
    asgiref Local(thread_critical=True), which stores them in a thread-local while no loop runs and in a context
    variable while one does: under Playwright the test code gets a second DatabaseWrapper, without the
    _test_serialized_contents that create_test_db put on the first. TransactionTestCase then skips the restore
    without a word, and after the first flush the home page and its Site are gone ("/" answers 404). This
    happens whenever a test without Playwright created the test database, as in the full suite. Copying the
    contents onto the connection Playwright-era code sees restores them before each test, as Django intends.
    """
    from django.db import connections

    for alias, contents in _serialized_db_contents.items():
        if not hasattr(connections[alias], "_test_serialized_contents"):
            connections[alias]._test_serialized_contents = contents
    assert hasattr(connections["default"], "_test_serialized_contents"), (
        "no serialized database contents: serialized_rollback cannot restore the home page"
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 takes about a second a hash here; each journey signs in several times. MD5 keeps them quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_cms_autosave(settings):
    """Wagtail 8 autosaves the page being edited every 500 ms. On this 2-core machine under a parallel run, an
    autosave still in flight when a journey presses "Submit to review" made the CMS answer 400 and the submission
    did not happen (once in three runs). The journeys test our workflow, not Wagtail's autosave: turn it off."""
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Playwright resolves page.goto("/path") against the live server."""
    return live_server.url


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """Saves a full-page screenshot of `page` (or another tab) as test-artifacts/e2e/<test-name>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")

    def take(step: str, of: Page | None = None) -> Path:
        path = SCREENSHOTS / f"{name}-{step}.png"
        (of or page).screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(page: Page) -> Callable[[str, str], None]:
    """Signs in through allauth's form the way a member does."""

    def sign_in(email: str, password: str) -> None:
        page.goto("/accounts/login/")
        page.get_by_label(EMAIL_LABEL).fill(email)
        page.get_by_label(PASSWORD_LABEL).fill(password)
        page.get_by_role("button", name="Sign In").click()

    return sign_in


@pytest.fixture
def log_out(page: Page) -> Callable[[], None]:
    def sign_out() -> None:
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("link", name="Sign in")).to_be_attached()

    return sign_out


@pytest.fixture
def png_file(tmp_path: Path) -> Path:
    """A small, valid PNG made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (11, 93, 75)).save(buffer, format="PNG")
    path = tmp_path / "avatar.png"
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def pdf_file(tmp_path: Path) -> Path:
    path = tmp_path / "passport.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return path


@pytest.fixture
def no_dialogs(page: Page) -> list[str]:
    """Records any alert/confirm/prompt a page opens; a test asserts the list stays empty."""
    fired: list[str] = []

    def on_dialog(dialog) -> None:
        fired.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return fired
