"""The citation box in a real browser: the copy button appears and copies the citation's text."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(transactional_db, import_seeds, live_server):
    return live_server.url


def test_copy_chicago_citation(site, page):
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(site + "/volumes/frus1981-88v04/d328/")
    chicago = page.locator("#citation-1")
    expect(chicago).to_contain_text("Reagan, Ronald. “Letter From President Reagan to Soviet General Secretary")
    button = page.locator("button.copy-citation[data-copy-target='citation-1']")
    expect(button).to_be_visible()
    button.click()
    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == chicago.inner_text().strip()
    assert page.js_errors == []
