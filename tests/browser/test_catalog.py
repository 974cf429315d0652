"""The readers' catalog in a real browser: facets, search highlights, footnotes by keyboard, paging."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(transactional_db, import_catalog, live_server):
    return live_server.url


def result_count(page) -> int:
    return int(page.locator(".result-count").inner_text())


def test_clicking_a_facet_narrows_and_its_count_matches(site, page, screenshot_dir):
    from playwright.sync_api import expect

    page.goto(site + "/letters/")
    assert result_count(page) == 20
    page.screenshot(path=str(screenshot_dir / "catalog-list.png"), full_page=True)
    counts = []
    for facet, value in (("administration", "carter"), ("doc_type", "memorandum"), ("person", "cyrus-r-vance")):
        link = page.locator(f"#facet-{facet} a[data-facet-value='{value}']")
        expected = int(link.locator("xpath=following-sibling::span[@class='count']").inner_text())
        link.click()
        page.wait_for_url(re.compile(rf"{facet}={value}"))
        assert result_count(page) == expected
        expect(page.locator(".letter-list > li")).to_have_count(expected)
        expect(page.locator(".chips")).to_contain_text(facet.replace("_", ""))
        counts.append(expected)
    assert counts == [9, 4, 2]  # Carter; memoranda 188, 189, 191, 197; Vance in 188 and 189
    # A chip removes its filter.
    page.get_by_role("link", name=re.compile("Remove filter person")).click()
    page.wait_for_url(lambda url: "person=" not in url)
    assert result_count(page) == 4
    assert page.js_errors == []


def test_facet_type_ahead_and_show_more(site, page):
    from playwright.sync_api import expect

    page.goto(site + "/letters/")
    people = page.locator("#facet-person-list > li")
    extra = page.locator("#facet-person-list > li.is-extra").first
    expect(extra).to_be_hidden()
    page.locator("#facet-person .show-more").click()
    expect(extra).to_be_visible()
    page.get_by_role("searchbox", name="Find a person").fill("gromy")
    expect(people.filter(has_text="Gromyko")).to_be_visible()
    expect(people.filter(has_text="Brzezinski")).to_be_hidden()
    assert page.js_errors == []


def test_search_highlights_matches(site, page, screenshot_dir):
    from playwright.sync_api import expect

    page.goto(site + "/letters/")
    page.get_by_role("searchbox", name="Search the letters").fill("Backfire")
    page.get_by_role("button", name="Search", exact=True).last.click()
    page.wait_for_url(re.compile(r"q=Backfire"))
    marks = page.locator(".snippet mark")
    expect(marks.first).to_be_visible()
    assert {text.lower() for text in marks.all_inner_texts()} <= {"backfire"}
    assert result_count(page) == page.locator(".letter-list > li").count() > 0
    page.screenshot(path=str(screenshot_dir / "catalog-search.png"), full_page=True)
    # Footnotes only.
    page.select_option("#f-scope", "footnotes")
    page.get_by_role("button", name="Search", exact=True).last.click()
    page.wait_for_url(re.compile(r"scope=footnotes"))
    expect(page.locator(".snippet-where").first).to_contain_text("footnote")
    assert page.js_errors == []


def test_footnote_by_keyboard_popover_and_back(site, page, screenshot_dir):
    from playwright.sync_api import expect

    page.goto(site + "/volumes/frus1969-76v33/d192/")
    marker = page.locator("#fnref2")
    marker.focus()
    popover = page.locator("#fn-popover")
    expect(popover).to_be_visible()
    expect(popover).to_contain_text("In an undated memorandum to Carter")
    assert marker.get_attribute("aria-describedby") == "fn-popover"
    page.screenshot(path=str(screenshot_dir / "catalog-popover.png"))
    page.keyboard.press("Escape")
    expect(popover).to_be_hidden()
    marker.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#fn2$"))
    expect(page.locator("#fn2")).to_be_focused()  # the hashchange handler moves focus (it may lag)
    expect(page.locator("#fn2")).to_be_in_viewport()
    # Tab reaches the back-link inside the note; Enter returns to the text.
    back = page.locator("#fn2 a.fn-back")
    back.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#fnref2$"))
    expect(page.locator("#fnref2")).to_be_in_viewport()
    expect(page.locator("#fnref2")).to_be_focused()  # the hashchange handler moves focus (it may lag)
    # A person's description shows on keyboard focus.
    person = page.locator(".people a[aria-describedby]").first
    person.focus()
    expect(page.locator("#" + person.get_attribute("aria-describedby"))).to_be_visible()
    assert page.js_errors == []


def test_paging_keeps_the_filters(site, page, settings):
    from playwright.sync_api import expect

    from catalog import views

    views.LETTERS_PER_PAGE, before = 3, views.LETTERS_PER_PAGE
    try:
        page.goto(site + "/letters/?administration=carter&sort=-date")
        assert result_count(page) == 9
        first = page.locator(".letter-list > li .letter-title").all_inner_texts()
        page.get_by_role("link", name="Next →").click()
        page.wait_for_url(re.compile(r"administration=carter&sort=-date&page=2"))
        expect(page.locator(".page-current")).to_have_text("Page 2 of 3")
        assert result_count(page) == 9
        second = page.locator(".letter-list > li .letter-title").all_inner_texts()
        assert len(second) == 3 and not set(first) & set(second)
        expect(page.locator("#f-sort")).to_have_value("-date")
    finally:
        views.LETTERS_PER_PAGE = before


def test_main_pages_on_a_phone(site, page, screenshot_dir):
    page.set_viewport_size({"width": 390, "height": 844})
    for name, url in (
        ("list", "/letters/?q=SALT"),
        ("person", "/people/jimmy-carter/"),
        ("people", "/people/"),
        ("sources", "/sources/"),
        ("volumes", "/volumes/"),
        ("administrations", "/administrations/"),
        ("letter", "/volumes/frus1969-76v33/d192/"),
    ):
        page.goto(site + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, name
        page.screenshot(path=str(screenshot_dir / f"phone-{name}.png"))
    assert page.js_errors == []


def test_footnote_popover_by_touch(browser, live_server, import_catalog, screenshot_dir):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/volumes/frus1969-76v33/d192/")
        assert page.evaluate("matchMedia('(hover: none)').matches")
        page.locator("#fnref2").tap()
        popover = page.locator("#fn-popover")
        expect(popover).to_be_visible()
        expect(popover).to_contain_text("In an undated memorandum to Carter")
        assert not page.url.endswith("#fn2")
        page.screenshot(path=str(screenshot_dir / "phone-popover.png"))
        popover.get_by_role("link", name="Go to note 2 ↓").tap()
        page.wait_for_url(re.compile(r"#fn2$"))
        expect(page.locator("#fn2")).to_be_in_viewport()
        expect(popover).to_be_hidden()
    finally:
        context.close()
