"""The Content-Security-Policy in a real browser: nothing on the public pages or in the admin is blocked."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Injected by the browser itself (not by the page), so the policy does not apply to it.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""

PUBLIC = [
    "/",
    "/letters/?q=Brezhnev",
    "/volumes/frus1969-76v33/",
    "/volumes/frus1969-76v33/d193/#fn2",
    "/volumes/frus1981-88v04/d328/",
    "/people/gromyko/",
]


@pytest.fixture
def site(transactional_db, import_seeds, live_server, django_user_model):
    django_user_model.objects.create_superuser("csp-admin", "csp@example.org", "csp-password-123")
    return live_server.url


def violations(page, url) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("load")
    return page.evaluate("window.__csp")


def log_in(page, site):
    page.goto(site + "/admin/login/")
    page.fill("#id_username", "csp-admin")
    page.fill("#id_password", "csp-password-123")
    page.click("input[type=submit]")
    page.wait_for_url(site + "/admin/")


def admin_pages(site) -> list[str]:
    from catalog.models import Letter, Person

    letter = Letter.objects.get(number=193)
    person = Person.objects.get(display_name="Gromyko")
    return [
        "/admin/",
        "/admin/catalog/letter/",
        f"/admin/catalog/letter/{letter.pk}/change/",
        "/admin/catalog/letter/add/",
        "/admin/catalog/person/",
        f"/admin/catalog/person/{person.pk}/change/",
        "/admin/catalog/letter/export/",
        "/admin/catalog/revision/",
        "/admin/axes/accessattempt/",
    ]


def test_public_pages_run_under_the_strict_policy(site, page):
    from playwright.sync_api import expect

    page.add_init_script(RECORD_VIOLATIONS)
    found = {url: violations(page, site + url) for url in PUBLIC}
    assert found == {url: [] for url in PUBLIC}
    assert page.js_errors == []
    # The stylesheet and the script (files of the site itself) did load.
    page.goto(site + "/volumes/frus1969-76v33/d193/#fn2")
    expect(page.locator("#fn2")).to_be_focused()  # the hashchange handler moves focus (it may lag)


def test_the_admin_runs_under_its_policy(site, page):
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, site)
    found = {url: violations(page, site + url) for url in admin_pages(site)}
    assert found == {url: [] for url in found}
    # The autocomplete widgets (select2, jQuery) work: they fetch from the site itself.
    assert page.js_errors == []


def test_without_inline_styles_the_admin_would_be_blocked(site, page, settings):
    """Why the admin's policy allows inline styles: Django's own admin writes some."""
    settings.ADMIN_CSP_UPDATE = {}
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, site)
    found = {url: violations(page, site + url) for url in admin_pages(site)}
    assert any(v.startswith("style-src") for url in found for v in found[url])
    # and the export form's "Select all" handler (allowed by its hash alone)
    assert any(v.startswith("script-src-attr") for v in found["/admin/catalog/letter/export/"])
    assert all(v.startswith(("style-src", "script-src-attr")) for url in found for v in found[url])


def test_the_export_forms_select_all_works_and_nothing_else_inline_would(site, page):
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, site)
    page.goto(site + "/admin/catalog/letter/export/")
    toggle = page.locator("input.select-toggle")
    if toggle.count():
        toggle.uncheck()
        assert page.locator(".selectable-field-export-row input[type=checkbox]:checked").count() == 0
    assert page.evaluate("window.__csp") == []
    # An injected inline handler would still be blocked in the admin.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__ran = 1\">')")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") is None
