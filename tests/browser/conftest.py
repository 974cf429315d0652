"""Browser fixtures: headless Debian Chromium driven by Playwright's sync API against live_server.

Never runs ``playwright install``: it launches /usr/bin/chromium, and skips cleanly if it is missing.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body
# (fixtures that write data) would otherwise be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: browser tests need Debian's chromium package")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: browser tests need Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def screenshot_dir():
    path = Path(os.environ.get("LETTERBOOK_SCREENSHOTS", "/tmp/letterbook-screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path
