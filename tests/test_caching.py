"""The public page cache (catalog/caching.py): served without queries to anonymous readers, never to
staff, never stale after publish, withdraw, edits and imports, never holding unpublished content.

Writes happen inside ``django_capture_on_commit_callbacks(execute=True)`` where the cache is
invalidated by the commit (the test's own transaction never commits)."""

import json

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from catalog import caching, workflow
from catalog.models import Footnote, Letter, Person

V33, V04 = "frus1969-76v33", "frus1981-88v04"
D193 = f"/volumes/{V33}/d193/"
D328 = f"/volumes/{V04}/d328/"
CARTER_TITLE = "Letter From President Carter to Soviet General Secretary Brezhnev"

pytestmark = pytest.mark.django_db

PUBLIC_URLS = [
    "/",
    "/letters/",
    "/letters/?q=Brezhnev",
    D193,
    f"/volumes/{V33}/",
    "/volumes/",
    "/people/",
    "/people/?q=brez&format=json",
    "/people/jimmy-carter/",
    "/administrations/",
    "/sources/",
    "/api/letters/",
    f"/api/letters/{V33}/193/",
    "/feeds/latest/",
    "/sitemap.xml",
    f"{D193}cite.json",
    f"/volumes/{V33}/cite.bib",
]


def body(response) -> str:
    return response.content.decode()


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_user("boss", password="pw", is_staff=True, is_superuser=True)


def move(name, letter, user):
    workflow.apply(workflow.MOVES[name], Letter.objects.filter(pk=letter.pk), user)


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_cached_page_is_served_without_queries(url, import_seeds, page_cache, django_assert_num_queries):
    reader = Client()
    first = reader.get(url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, no-cache"
    with django_assert_num_queries(0):
        second = reader.get(url)
    assert (second.status_code, second.content, second["Content-Type"]) == (
        200,
        first.content,
        first["Content-Type"],
    )
    assert second["ETag"] == first["ETag"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert second["X-Frame-Options"] == "DENY"
    assert "Cookie" in second["Vary"]
    assert not second.cookies
    # A browser that holds the page asks again and is told it has not changed.
    with django_assert_num_queries(0):
        again = reader.get(url, headers={"if-none-match": first["ETag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_the_query_string_is_part_of_the_key(import_seeds, page_cache):
    reader = Client()
    html = body(reader.get("/people/"))
    data = reader.get("/people/?format=json").json()
    assert "<!DOCTYPE html>" in html
    assert data["results"][0].keys() == {"slug", "name", "count"}
    assert body(reader.get("/people/")) == html
    assert reader.get("/letters/").context["page"].paginator.count == 2
    assert reader.get("/letters/?doc_type=memorandum").context["page"].paginator.count == 0
    assert reader.get("/letters/").context is None  # from the cache
    assert len(reader.get("/letters/?volume=" + V04).context["rows"]) == 1


def test_a_page_with_a_parameter_it_does_not_read_is_never_stored(import_seeds, page_cache):
    """Arbitrary query strings (?x=1, ?x=2, …) cannot fill the cache: served from the view, not stored."""
    reader = Client()
    for url in ["/letters/?x=1", "/letters/?x=2", f"{D193}?utm_source=feed", "/letters/?volume=" + V04 + "&x=1"]:
        first = reader.get(url)
        assert (first.status_code, "Cache-Control" in first) == (200, False), url
        assert reader.get(url).context is not None, url  # rendered again: nothing was stored
    assert len(reader.get("/letters/?volume=" + V04 + "&x=1").context["rows"]) == 1  # the view ignores x


def test_the_key_is_the_parameters_a_page_reads_in_a_canonical_order(
    import_seeds, page_cache, django_assert_num_queries
):
    reader = Client()
    first = reader.get(f"/letters/?volume={V04}&volume={V33}&doc_type=letter")
    assert first["Cache-Control"] == "public, no-cache"
    assert first.context["page"].paginator.count == 2
    with django_assert_num_queries(0):  # the same parameters in another order: the same entry
        second = reader.get(f"/letters/?doc_type=letter&volume={V04}&volume={V33}")
    assert (second.status_code, second.content) == (200, first.content)
    # Each cached view's own parameters: the people list's search and format, a person's lists' pages.
    reader.get("/people/?q=brez&format=json")
    with django_assert_num_queries(0):
        assert reader.get("/people/?format=json&q=brez").json() == reader.get("/people/?q=brez&format=json").json()
    reader.get("/people/jimmy-carter/?sender_page=1")
    with django_assert_num_queries(0):
        assert reader.get("/people/jimmy-carter/?sender_page=1").status_code == 200


def test_a_filtered_page_is_cached_and_invalidated_on_publish(
    import_seeds, page_cache, superuser, django_capture_on_commit_callbacks
):
    d193 = Letter.objects.get(volume__identifier=V33, number=193)
    Letter.objects.filter(pk=d193.pk).update(status=Letter.Status.DRAFT)  # before anything is cached
    reader = Client()
    url = f"/letters/?volume={V33}&sort=date"
    assert reader.get(url).context["page"].paginator.count == 0
    assert reader.get(url).context is None  # from the cache
    with django_capture_on_commit_callbacks(execute=True):
        move("publish_provisionally", d193, superuser)
    assert reader.get(url).context["page"].paginator.count == 1
    assert reader.get(url).context is None


def test_the_letter_page_carries_no_csrf_token_and_sets_no_cookie(import_seeds, page_cache):
    response = Client().get(D193)
    assert "csrfmiddlewaretoken" not in body(response)
    assert not response.cookies
    # The report form's own page is never cached (it holds a token).
    form = Client().get(f"{D193}report/")
    assert "csrfmiddlewaretoken" in body(form) and form.cookies
    assert "Cache-Control" not in form


def test_staff_never_get_a_cached_page_and_their_pages_are_never_stored(
    import_seeds, page_cache, staff_client, django_assert_max_num_queries
):
    reader = Client()
    assert 'href="/admin/"' not in body(reader.get(D193))
    staff = staff_client.get(D193)  # a cached page exists: staff still get their own
    assert 'href="/admin/"' in body(staff)
    assert "Cache-Control" not in staff
    cache.clear()
    assert 'href="/admin/"' in body(staff_client.get(D193))  # staff first: nothing stored
    assert 'href="/admin/"' not in body(reader.get(D193))


def test_a_staff_preview_of_a_draft_never_reaches_readers(import_seeds, page_cache, staff_client, superuser):
    d193 = Letter.objects.get(volume__identifier=V33, number=193)
    move("withdraw", d193, superuser)
    preview = staff_client.get(D193)
    assert preview.status_code == 200 and CARTER_TITLE in body(preview)
    assert Client().get(D193).status_code == 404
    assert CARTER_TITLE not in body(Client().get("/letters/"))


def test_publish_shows_the_letter_at_once(import_seeds, page_cache, superuser, django_capture_on_commit_callbacks):
    d193 = Letter.objects.get(volume__identifier=V33, number=193)
    Letter.objects.filter(pk=d193.pk).update(status=Letter.Status.DRAFT)  # before anything is cached
    reader = Client()
    assert reader.get(D193).status_code == 404
    assert CARTER_TITLE not in body(reader.get("/letters/"))
    assert reader.get(f"/volumes/{V33}/").status_code == 404
    assert reader.get("/api/letters/").json()["count"] == 1
    assert CARTER_TITLE not in body(reader.get("/feeds/latest/"))
    reader.get("/letters/")  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        move("publish_provisionally", d193, superuser)
    assert reader.get(D193).status_code == 200
    assert CARTER_TITLE in body(reader.get("/letters/"))
    assert reader.get(f"/volumes/{V33}/").status_code == 200
    assert reader.get("/api/letters/").json()["count"] == 2
    assert CARTER_TITLE in body(reader.get("/feeds/latest/"))


WITHDRAWN_FROM = ["/letters/", f"/volumes/{V04}/", "/people/jimmy-carter/", "/feeds/latest/", "/sitemap.xml"]


def test_withdraw_removes_the_letter_at_once(import_seeds, page_cache, superuser, django_capture_on_commit_callbacks):
    d193 = Letter.objects.get(volume__identifier=V33, number=193)
    reader = Client()
    before = {url: body(reader.get(url)) for url in WITHDRAWN_FROM}
    assert reader.get(D193).status_code == 200
    assert reader.get("/api/letters/").json()["count"] == 2
    assert CARTER_TITLE in before["/letters/"] and D193 in before["/sitemap.xml"]
    with django_capture_on_commit_callbacks(execute=True):
        move("withdraw", d193, superuser)
    assert reader.get(D193).status_code == 404
    assert reader.get(f"/api/letters/{V33}/193/").status_code == 404
    assert reader.get(f"/volumes/{V33}/").status_code == 404  # nothing else published there
    assert reader.get("/api/letters/").json()["count"] == 1
    assert reader.get("/letters/").context["page"].paginator.count == 1
    for url in WITHDRAWN_FROM:
        assert CARTER_TITLE not in body(reader.get(url)), url
    assert D193 not in body(reader.get("/sitemap.xml"))


def test_edits_of_a_letter_a_footnote_and_a_person_show_at_once(
    import_seeds, page_cache, django_capture_on_commit_callbacks
):
    reader = Client()
    page = body(reader.get(D193))
    assert "Jimmy Carter" in body(reader.get("/people/jimmy-carter/"))
    footnote = Footnote.objects.filter(letter__volume__identifier=V33, letter__number=193).order_by("number").last()
    assert footnote.text in page
    with django_capture_on_commit_callbacks(execute=True):
        letter = Letter.objects.get(pk=footnote.letter_id)
        letter.title = "Letter From President Carter, corrected"
        letter.save()
    assert "Letter From President Carter, corrected" in body(reader.get(D193))
    assert "Letter From President Carter, corrected" in body(reader.get("/letters/"))
    word = footnote.text.split()[-1].strip(".")
    assert word in page
    with django_capture_on_commit_callbacks(execute=True):
        footnote.content = json.loads(json.dumps(footnote.content).replace(word, "Zanzibar"))
        footnote.text = footnote.text.replace(word, "Zanzibar")
        footnote.save()
    assert "Zanzibar" in body(reader.get(D193))
    with django_capture_on_commit_callbacks(execute=True):
        carter = Person.objects.get(slug="jimmy-carter")
        carter.display_name = "James Earl Carter"
        carter.save()
    assert "James Earl Carter" in body(reader.get("/people/jimmy-carter/"))
    assert "James Earl Carter" in body(reader.get(D193))


def test_an_import_commit_shows_at_once(import_seeds, page_cache, tmp_path, django_capture_on_commit_callbacks):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import SEED_CARTER

    reader = Client()
    assert CARTER_TITLE in body(reader.get(D193))
    changed = tmp_path / SEED_CARTER.name
    changed.write_text(SEED_CARTER.read_text().replace("Soviet General Secretary", "Soviet Leader", 1))
    with django_capture_on_commit_callbacks(execute=True):
        result = import_paths([changed], identifier=V33, publish=True)
    assert not result.failures
    assert "Letter From President Carter to Soviet Leader Brezhnev" in body(reader.get(D193))
    assert "Letter From President Carter to Soviet Leader Brezhnev" in body(reader.get("/letters/"))


def test_a_dry_run_invalidates_nothing(import_seeds, page_cache, tmp_path, django_capture_on_commit_callbacks):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import SEED_CARTER

    Client().get(D193)
    generation = caching.generation()
    changed = tmp_path / SEED_CARTER.name
    changed.write_text(SEED_CARTER.read_text().replace("Soviet General Secretary", "Soviet Leader", 1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_paths([changed], identifier=V33, dry_run=True)
    assert callbacks == []
    assert caching.generation() == generation


def test_invalidate_waits_for_the_commit_and_registers_once(
    import_seeds, page_cache, django_capture_on_commit_callbacks
):
    generation = caching.generation()
    with django_capture_on_commit_callbacks() as callbacks:
        caching.invalidate("test")
        caching.invalidate("test again")
        assert caching.generation() == generation  # not before the commit
    assert callbacks == [caching._bump_on_commit, caching._bump_on_commit]
    for callback in callbacks:
        callback()
    assert caching.generation() == generation + 1  # once


def test_a_rolled_back_change_invalidates_nothing(import_seeds, page_cache, django_capture_on_commit_callbacks):
    generation = caching.generation()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        Person.objects.filter(slug="jimmy-carter").get().save()
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert caching.generation() == generation


def test_a_lost_generation_never_returns_to_an_old_one(page_cache):
    first = caching.generation()
    caching._bump()
    cache.delete(caching.GENERATION_KEY)  # evicted, or the cache restarted
    assert caching.generation() > first + 1


def test_the_cache_can_be_turned_off(import_seeds, settings, django_assert_max_num_queries):
    settings.PUBLIC_PAGE_CACHE = False
    reader = Client()
    reader.get(D193)
    response = reader.get(D193)
    assert "Cache-Control" not in response
    assert response.context is not None  # rendered again


def test_cache_url_selects_the_backend(monkeypatch):
    import importlib

    import archive.settings as project_settings

    monkeypatch.setenv("SECRET_KEY", "x")
    try:
        monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/7")
        assert importlib.reload(project_settings).CACHES["default"] == {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/7",
            "KEY_PREFIX": "letterbook",
        }
        assert importlib.reload(project_settings).PUBLIC_PAGE_CACHE is True
        monkeypatch.setenv("CACHE_URL", "")
        reloaded = importlib.reload(project_settings)
        assert reloaded.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
        assert reloaded.PUBLIC_PAGE_CACHE is False  # per process: a worker's import could not reach the pages
        monkeypatch.setenv("CACHE_URL", "memcached://x")
        from django.core.exceptions import ImproperlyConfigured

        with pytest.raises(ImproperlyConfigured):
            importlib.reload(project_settings)
    finally:
        monkeypatch.delenv("CACHE_URL")
        importlib.reload(project_settings)


def test_publishing_an_unchanged_file_skipped_by_checksum_shows_at_once(page_cache, django_capture_on_commit_callbacks):
    """An unchanged file imported again with ``publish`` is skipped unread, yet its drafts are published:
    the cached pages must show them at once."""
    from pathlib import Path

    from catalog.ingest.pipeline import import_paths

    quebec = Path(__file__).resolve().parent.parent / "fixtures" / "frus1944Quebec-excerpt.xml"
    with django_capture_on_commit_callbacks(execute=True):
        assert not import_paths([quebec]).failures
    reader = Client()
    volume = Letter.objects.get(number=1).volume.identifier
    assert reader.get(f"/volumes/{volume}/d1/").status_code == 404
    before = json.loads(body(reader.get("/api/letters/")))
    with django_capture_on_commit_callbacks(execute=True):
        result = import_paths([quebec], publish=True)
    [report] = result.reports
    assert report.skipped_by_checksum == Letter.objects.count() == report.published
    assert reader.get(f"/volumes/{volume}/d1/").status_code == 200
    assert json.loads(body(reader.get("/api/letters/"))) != before


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_with_a_read_replica_pages_are_not_stored_just_after_a_change(import_seeds, page_cache, settings):
    """The replica may replay a commit a moment after the primary: a page rendered from it just after
    the bump must not be stored under the new generation, or the old rows would stay cached."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    def queries_for(url) -> int:
        with (
            CaptureQueriesContext(connections["default"]) as primary,
            CaptureQueriesContext(connections["replica"]) as replica,
        ):
            assert CARTER_TITLE in body(reader.get(url))
        return len(primary) + len(replica)

    settings.DATABASE_ROUTERS = ["archive.routers.PrimaryReplicaRouter"]
    settings.PUBLIC_PAGE_CACHE_REPLICA_GRACE = 60
    reader = Client()
    caching.invalidate("test")  # autocommit: bumps at once
    assert queries_for(D193) > 0
    assert queries_for(D193) > 0  # rendered again: the first render was not stored
    settings.PUBLIC_PAGE_CACHE_REPLICA_GRACE = 0  # the grace is over
    assert queries_for(D193) > 0
    assert queries_for(D193) == 0  # stored now


def test_without_a_replica_there_is_no_grace(page_cache, settings):
    settings.DATABASE_ROUTERS = []
    settings.PUBLIC_PAGE_CACHE_REPLICA_GRACE = 60
    assert caching.replica_grace() == 0.0


def _links_and_forms(html: str) -> list[tuple[str, set[str]]]:
    """(path, query parameter names) of every link with a query string and of every GET form."""
    from html.parser import HTMLParser
    from urllib.parse import parse_qs, urlsplit

    found = []

    class Parser(HTMLParser):
        form = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "a" and "?" in (attrs.get("href") or ""):
                url = urlsplit(attrs["href"])
                found.append((url.path, set(parse_qs(url.query, keep_blank_values=True))))
            elif tag == "form" and (attrs.get("method") or "get").lower() == "get":
                self.form = (urlsplit(attrs.get("action") or "").path, set())
                found.append(self.form)
            elif tag in ("input", "select", "button", "textarea") and self.form and attrs.get("name"):
                self.form[1].add(attrs["name"])

        def handle_endtag(self, tag):
            if tag == "form":
                self.form = None

    Parser().feed(html)
    return found


def test_every_link_and_form_of_the_public_pages_stays_cacheable(import_catalog):
    """The site's own links and search forms carry only parameters their view reads (else their pages
    would never be stored): a guard for ``caching.QUERY_PARAMETERS``."""
    from django.urls import resolve

    pages = [
        "/letters/",
        f"/letters/?volume={V33}&sort=date",
        "/letters/?q=Brezhnev",
        f"/volumes/{V33}/",
        "/people/",
        "/people/jimmy-carter/",
        "/sources/",
        D193,
    ]
    checked = 0
    for page in pages:
        response = Client().get(page)
        assert response.status_code == 200, page
        for path, names in _links_and_forms(body(response)):
            view = resolve(path or page.split("?")[0]).view_name
            if view in caching.CACHED_VIEWS:
                assert names <= caching.query_parameters(view), (page, path, names)
                checked += 1
    assert checked > 20
