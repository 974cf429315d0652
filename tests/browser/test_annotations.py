"""An editor annotates a passage in the admin, publishes the annotation, and a reader finds it on
the letter's public page (Playwright driving Debian's chromium)."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSAGE = "Gromyko’s visit to Washington"


@pytest.fixture
def site(transactional_db, import_seeds, live_server, django_user_model):
    django_user_model.objects.create_user("editor", password="pw-for-browser", is_staff=True, is_superuser=True)
    return live_server.url


def log_in(page, site):
    page.goto(site + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-for-browser")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def drag_select(page, words):
    """Select ``words`` in the annotating page's text with the mouse, as an editor does."""
    box = page.evaluate(
        """(words) => {
            const box = document.getElementById("annotate-text");
            const node = [...box.childNodes].find((n) => n.nodeType === 3 && n.data.includes(words));
            const at = node.data.indexOf(words);
            const range = document.createRange();
            range.setStart(node, at); range.setEnd(node, at + 1);
            const first = range.getBoundingClientRect();
            range.setStart(node, at + words.length - 1); range.setEnd(node, at + words.length);
            const last = range.getBoundingClientRect();
            return {
                x1: first.left + 1, y1: first.top + first.height / 2,
                x2: last.right - 1, y2: last.top + last.height / 2,
            };
        }""",
        words,
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()


def test_annotate_publish_and_read(site, page, browser, screenshot_dir):
    from playwright.sync_api import expect

    from catalog.models import Annotation, Letter, LetterPerson

    letter = Letter.objects.get(volume__identifier="frus1969-76v33", number=193)
    log_in(page, site)
    page.goto(f"{site}/admin/catalog/letter/{letter.pk}/change/")
    page.get_by_role("link", name="Annotate the text").click()
    page.wait_for_url(re.compile(r"/annotate/$"))
    expect(page.locator("#annotate-list")).to_contain_text("No annotations yet.")

    # Select with the mouse: the form appears with the passage.
    page.locator("#annotate-text").scroll_into_view_if_needed()
    drag_select(page, PASSAGE)
    expect(page.locator("#annotate-form")).to_be_visible()
    expect(page.locator("#annotate-quote")).to_have_text(PASSAGE)
    page.fill("#annotate-body", "Gromyko met Carter on 23 September 1977.")
    page.fill("#annotate-tags", "SALT, visits")
    page.click("#annotate-save")
    expect(page.locator("#annotate-status")).to_have_text("Annotation created.")
    mark = page.locator("#annotate-text mark.annotate-hl")
    expect(mark).to_have_text(PASSAGE)
    expect(mark).not_to_have_class(re.compile("is-public"))
    annotation = Annotation.objects.get()
    assert annotation.exact == PASSAGE
    start = letter.body_text.index(PASSAGE)
    assert (annotation.start, annotation.end, annotation.visibility) == (start, start + len(PASSAGE), "internal")
    assert annotation.tags == ["SALT", "visits"]

    # By keyboard: find the words, annotate them (an internal note).
    page.fill("#annotate-find-input", "Ambassador Dobrynin")
    page.press("#annotate-find-input", "Enter")
    expect(page.locator("#annotate-quote")).to_have_text("Ambassador Dobrynin")
    page.fill("#annotate-body", "Internal: check the date of the call.")
    page.click("#annotate-save")
    expect(page.locator("#annotate-text mark.annotate-hl")).to_have_count(2)

    # By keyboard in the text itself: to its end, then Shift+Ctrl+Left selects the last word.
    page.locator("#annotate-text").focus()
    page.keyboard.press("Control+End")
    page.keyboard.press("Shift+Control+ArrowLeft")
    expect(page.locator("#annotate-quote")).to_have_text("Carter")
    page.keyboard.press("x")  # the text is read-only
    assert page.evaluate("document.getElementById('annotate-text').textContent") == letter.body_text
    # …and identify the person with the look-up.
    page.select_option("#annotate-motivation", "identifying")
    page.fill("#annotate-person-search", "Carter")
    expect(page.locator("#annotate-person option")).to_have_text(["Jimmy Carter"])
    page.click("#annotate-save")
    expect(page.locator("#annotate-text mark.annotate-hl")).to_have_count(3)
    mention = LetterPerson.objects.get(letter=letter, role="mentioned", person__display_name="Jimmy Carter")
    assert mention.name_as_written == "Carter"

    # Publish the first one.
    page.get_by_role("button", name=f"Edit the annotation of “{PASSAGE}”").click()
    expect(page.locator("#annotate-body")).to_have_value("Gromyko met Carter on 23 September 1977.")
    page.select_option("#annotate-visibility", "public")
    page.click("#annotate-save")
    expect(page.locator("#annotate-status")).to_have_text("Annotation saved.")
    expect(page.locator("#annotate-text mark.annotate-hl.is-public")).to_have_text(PASSAGE)
    page.screenshot(path=str(screenshot_dir / "annotate.png"), full_page=True)
    assert page.js_errors == []

    # A reader (not logged in) finds it on the public page, highlighted, and reaches it by keyboard.
    reader = browser.new_context()
    public = reader.new_page()
    try:
        public.goto(f"{site}/volumes/frus1969-76v33/d193/")
        highlight = public.locator(".letter-body mark.annotation-mark")
        expect(highlight).to_have_text(PASSAGE)
        notes = public.locator(".annotations")
        expect(notes).to_contain_text("Gromyko met Carter on 23 September 1977.")
        expect(notes).not_to_contain_text("Internal: check the date")
        ref = public.locator(".letter-body a.annotation-ref")
        expect(ref).to_have_attribute("aria-describedby", f"annotation-{annotation.pk}-note")
        ref.focus()
        public.keyboard.press("Enter")
        public.wait_for_url(re.compile(rf"#annotation-{annotation.pk}$"))
        back = public.locator(f"#annotation-{annotation.pk} a.annotation-back")
        expect(back).to_be_visible()
        back.click()
        public.wait_for_url(re.compile(rf"#annotation-mark-{annotation.pk}$"))
        public.screenshot(path=str(screenshot_dir / "annotated-letter.png"), full_page=True)
    finally:
        reader.close()
