"""A reader's path through the site in a real browser: list → letter → footnote → back → person."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARTER_TITLE = "Letter From President Carter to Soviet General Secretary Brezhnev"


@pytest.fixture
def site(transactional_db, import_seeds, live_server):
    return live_server.url


def test_read_d193_footnotes_and_people(site, page, screenshot_dir):
    from playwright.sync_api import expect

    page.goto(site + "/letters/")
    expect(page.get_by_role("heading", name="Letters", exact=True)).to_be_visible()
    expect(page.get_by_text("President Carter → Soviet General Secretary Brezhnev")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "list.png"))

    page.get_by_role("link", name=CARTER_TITLE).click()
    page.wait_for_url(re.compile(r"/volumes/frus1969-76v33/d193/$"))
    expect(page.locator("h1")).to_contain_text(CARTER_TITLE)
    expect(page.locator(".citation")).to_have_text("FRUS, 1969–1976, Volume XXXIII, Document 193")
    marker = page.locator("#pg_808")
    expect(marker).to_have_text("[Page 808]")
    expect(marker).to_be_visible()

    # The stylesheet is served and applied: serif body text.
    font = page.evaluate("getComputedStyle(document.querySelector('.letter-body p')).fontFamily")
    assert "serif" in font.lower() or "georgia" in font.lower() or "palatino" in font.lower()

    page.screenshot(path=str(screenshot_dir / "d193.png"), full_page=True)

    # Footnote marker 2 → footnote 2.
    page.locator("#fnref2").click()
    page.wait_for_url(re.compile(r"#fn2$"))
    footnote = page.locator("#fn2")
    expect(footnote).to_be_visible()
    expect(footnote).to_be_in_viewport()
    expect(footnote).to_contain_text("Brezhnev’s January 12 letter to Carter")
    expect(page.locator("#fn2")).to_be_focused()  # the hashchange handler moves focus (it may lag)
    assert page.evaluate("getComputedStyle(document.getElementById('fn2')).backgroundColor") != "rgba(0, 0, 0, 0)"

    # And back to the text.
    footnote.locator("a.fn-back").click()
    page.wait_for_url(re.compile(r"#fnref2$"))
    expect(page.locator("#fnref2")).to_be_in_viewport()

    # A person link → the person page, which lists this letter.
    page.locator(".people").get_by_role("link", name="Gromyko").click()
    page.wait_for_url(re.compile(r"/people/gromyko/$"))
    expect(page.locator("h1")).to_have_text("Gromyko")
    expect(page.locator("#mentioned")).to_contain_text(CARTER_TITLE)
    expect(page.locator("#mentioned")).to_contain_text(
        "Letter From President Reagan to Soviet General Secretary Chernenko"
    )
    assert page.js_errors == []


def test_search_box_and_narrow_screen(site, page, screenshot_dir):
    from playwright.sync_api import expect

    page.goto(site + "/")
    page.get_by_role("searchbox", name="Search letters").fill("purpose")
    page.get_by_role("searchbox", name="Search letters").press("Enter")
    page.wait_for_url(re.compile(r"/letters/\?q=purpose"))
    expect(page.locator(".letter-list > li")).to_have_count(1)
    expect(page.locator(".letter-list")).to_contain_text(CARTER_TITLE)

    # On a phone-sized screen the page break sits inline and nothing overflows sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site + "/volumes/frus1981-88v04/d328/")
    expect(page.locator("#pg_1172")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.locator("#pg_1172").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "d328-narrow.png"))
    assert page.js_errors == []
