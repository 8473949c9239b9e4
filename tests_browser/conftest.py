"""Browser tests: Playwright (sync API) driving Debian's Chromium against ``live_server``.

No browser is ever downloaded (``playwright install`` is not used): the system Chromium
at ``/usr/bin/chromium`` (or ``$CHROMIUM_PATH``) is launched directly. Where it is missing
the tests are skipped with a warning, except on CI (``CI=true``), where a missing browser
fails the run: a green CI must mean the pages were really driven.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test's thread. Django sees a
# running loop and refuses ORM calls from that thread (SynchronousOnlyOperation), though
# nothing here is concurrent: the test thread blocks while the browser works, and the
# live server answers from its own thread with its own connections. So the guard is off
# for this test process only.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Without the background-networking flags Chromium hangs on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    reason = (
        f"BROWSER TESTS NOT RUN: no Chromium at {CHROMIUM} "
        "(apt-get install chromium, or set CHROMIUM_PATH)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " — required on CI", pytrace=False)
    warnings.warn(reason, stacklevel=2)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def _new_page(browser, width: int, height: int, **options):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="en-GB",
        timezone_id="Europe/Berlin",
        **options,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.fixture
def page(browser) -> Iterator:
    """A desktop-sized page in a fresh context (no cookies shared between tests)."""
    context, page = _new_page(browser, 1280, 900)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser) -> Iterator:
    """A phone-sized page (390 x 844, like a current mid-size phone), touch enabled."""
    context, page = _new_page(
        browser, 390, 844, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    yield page
    context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
