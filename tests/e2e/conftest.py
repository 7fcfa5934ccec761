"""Shared fixtures for the Playwright journeys: the live server as Playwright's base URL, screenshots, sign-in and
files a member uploads."""

from __future__ import annotations

import io
import os
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


@pytest.fixture(scope="session")
def browser_type_launch_args(pytestconfig: pytest.Config) -> dict:
    """Debian's Chromium, as tests/conftest.py sets it up, but session-scoped.

    tests/conftest.py declares its override without scope="session", so pytest-playwright's session-scoped
    `browser` fixture cannot use it (ScopeMismatch). This one takes the same options and replaces it here; it
    repeats pytest-playwright's handling of --headed, --browser-channel and --slowmo, as it cannot extend it.
    """
    from tests.conftest import CHROMIUM, IN_CI

    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail("Debian's Chromium is missing (apt-get install chromium); CI=true fails instead of skipping.")
        pytest.skip("Debian's Chromium is not installed: apt-get install chromium")
    options: dict = {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
    if pytestconfig.getoption("--headed"):
        options["headless"] = False
    if pytestconfig.getoption("--browser-channel"):
        options["channel"] = pytestconfig.getoption("--browser-channel")
    if pytestconfig.getoption("--slowmo"):
        options["slow_mo"] = pytestconfig.getoption("--slowmo")
    return options


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Playwright resolves page.goto("/path") against the live server."""
    return live_server.url


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Saves a full-page screenshot as test-artifacts/e2e/<test-name>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)

    def take(step: str) -> Path:
        path = SCREENSHOTS / f"{name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
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
