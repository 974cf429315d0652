"""The permission walk: every URL pattern of the project, requested as each kind of visitor.

Anonymous visitors and logged-in readers (not staff) must never see an unpublished title, text,
footnote, person or source, nor an internal annotation, and the admin must refuse them. The public
pages (lists, volumes, people, facets, sitemap, feed, OAI, the API's lists) show published letters
only, to everyone: staff included (a volume with nothing published is a 404 even for staff, and so
is a person found only in unpublished letters). Staff (editors in the "Editors" group, reviewers in
the "Reviewers" group, superusers) may preview a draft's own page and its JSON, read internal
annotations in the annotations API, and work in the admin as far as their permissions go; never a
500.

Every URL pattern needs an entry: the standard admin pages of registered models are covered by one
rule (``admin_model_case``); every other pattern by name in ``COVERAGE`` below. **A new URL pattern
fails ``test_every_url_pattern_is_covered`` until it has an entry**: add
``"namespace:name": [case(...)]`` saying how to build its URL from the ``world`` fixture
(tests/hardening/conftest.py) and what each visitor gets. For a public page, put first a case that
works for everybody: the bad parameters walk (test_bad_parameters.py) starts from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape

from catalog.models import Revision

from .conftest import INTERNAL_NOTE, QUEBEC, ROLES, SECRETS, V33

pytestmark = pytest.mark.django_db

LOGIN = "login"  # expected: a redirect to the admin's login page
PUBLIC = ("anonymous", "user")
STAFF = ("editor", "reviewer", "superuser")


@dataclass(frozen=True)
class Case:
    label: str
    url: Callable  # world -> URL
    expect: dict  # role -> status code, LOGIN, or a tuple of allowed status codes
    xfail: dict = field(default_factory=dict)  # role -> reason (a known failure in another helper's area)
    # who must not see the unpublished words (``secrets_of``): the public always; everyone on the
    # public pages, where staff too see published material only
    hidden_from: tuple = PUBLIC


def case(
    label, url, *, anonymous, user=None, editor, reviewer=None, superuser=None, xfail="", hidden_from=PUBLIC
) -> Case:
    """``xfail``: why the public (anonymous and logged-in readers) currently get this wrong."""
    user = anonymous if user is None else user
    reviewer = editor if reviewer is None else reviewer
    superuser = editor if superuser is None else superuser
    expect = {"anonymous": anonymous, "user": user, "editor": editor, "reviewer": reviewer, "superuser": superuser}
    return Case(label, url, expect, {"anonymous": xfail, "user": xfail} if xfail else {}, hidden_from)


def public(label, url, status=200, xfail="") -> Case:
    """A public page: the same answer for everyone, and published material only, staff included.
    ``xfail``: why everyone currently gets it wrong."""
    item = case(label, url, anonymous=status, editor=status, hidden_from=ROLES)
    return replace(item, xfail=dict.fromkeys(ROLES, xfail)) if xfail else item


def draft(label, url, staff_status=200) -> Case:
    """Something unpublished that staff may preview (a letter's own page, its JSON): a 404 for the public."""
    return case(label, url, anonymous=404, editor=staff_status)


def staff_only(label, url, editor=200, reviewer=None, superuser=None) -> Case:
    return case(label, url, anonymous=LOGIN, editor=editor, reviewer=reviewer, superuser=superuser)


def get_refused(label, url) -> Case:
    """A POST-only public endpoint asked with GET: 405 for everyone."""
    return public(label, url, status=405)


def _letter(name, letter_attr):
    return lambda w: reverse(name, args=[getattr(w, letter_attr).volume.identifier, getattr(w, letter_attr).number])


# -- the coverage table: pattern name -> the cases that exercise it ----------------------------------

COVERAGE: dict[str, list[Case]] = {
    # -- the readers' catalog ----------------------------------------------------------------------
    "catalog:home": [public("home", lambda w: "/")],
    "catalog:letter-list": [
        public("list", lambda w: "/letters/"),
        public("search for a draft's word", lambda w: "/letters/?q=glorptastic"),
        public("search for a draft's title", lambda w: "/letters/?q=Zanzibarquux"),
        public("search for an internal note's word", lambda w: f"/letters/?q={INTERNAL_NOTE}"),
        public("filter by a draft-only person", lambda w: f"/letters/?person={w.secret_person.slug}"),
        public("filter by a draft-only source", lambda w: "/letters/?repository=Florbington+Presidential+Library"),
        public("filter by an unpublished volume", lambda w: f"/letters/?volume={QUEBEC}"),
        public("filter by type", lambda w: "/letters/?doc_type=memorandum"),
    ],
    "catalog:volume-list": [public("volumes", lambda w: "/volumes/")],
    "catalog:administration-list": [public("administrations", lambda w: "/administrations/")],
    "catalog:people-list": [
        public("people", lambda w: "/people/"),
        public("people named like a draft-only person", lambda w: "/people/?q=Vexlemire"),
        public("people as JSON", lambda w: "/people/?format=json"),
    ],
    "catalog:source-list": [public("sources", lambda w: "/sources/")],
    "catalog:source-browse": [
        public(
            "a published letter's repository", lambda w: f"/sources/browse/?repository={quote_plus(_repository(w))}"
        ),
        public(
            "a draft-only repository", lambda w: "/sources/browse/?repository=Florbington+Presidential+Library", 404
        ),
        public("no repository", lambda w: "/sources/browse/", 404),
    ],
    "catalog:volume": [
        public("published volume", lambda w: f"/volumes/{V33}/"),
        public("volume with nothing published", lambda w: f"/volumes/{QUEBEC}/", status=404),
        public("missing volume", lambda w: "/volumes/no-such-volume/", status=404),
    ],
    "catalog:printed-page": [
        public("a published letter's page", lambda w: f"/volumes/{V33}/pg_{w.published.page_start}/"),
        public("a page of a volume with nothing published", lambda w: f"/volumes/{QUEBEC}/pg_1/", status=404),
        public("a page nothing published is on", lambda w: f"/volumes/{V33}/pg_99999/", status=404),
    ],
    "catalog:letter": [
        public("published letter", _letter("catalog:letter", "published")),
        draft("draft letter", _letter("catalog:letter", "secret")),
        draft("letter of an unpublished volume", _letter("catalog:letter", "quebec_letter")),
        public("missing letter", lambda w: f"/volumes/{V33}/d99999/", status=404),
    ],
    # Readers report errors with a POST (tests/test_views.py covers it); a GET shows the form.
    "catalog:report-error": [
        public("report form of a published letter", _letter("catalog:report-error", "published")),
        public("report form of a draft", _letter("catalog:report-error", "secret"), status=404),
    ],
    "catalog:letter-by-id": [
        draft("old id of a draft", lambda w: f"/volumes/{V33}/{w.secret.xml_id}/", staff_status=301),
        public("unknown old id", lambda w: f"/volumes/{V33}/ch1/", status=404),
    ],
    "catalog:person": [
        public("person in a published letter", lambda w: w.published_person.get_absolute_url()),
        public("person only in a draft", lambda w: w.secret_person.get_absolute_url(), status=404),
        public("person only in an unpublished volume", lambda w: w.quebec_person.get_absolute_url(), status=404),
        public("missing person", lambda w: "/people/no-such-person/", status=404),
    ],
    # -- the JSON API (django-ninja) ----------------------------------------------------------------
    "api:api-root": [public("root", lambda w: "/api/", status=404)],
    "api:openapi-json": [public("schema", lambda w: "/api/schema/")],
    "api:openapi-view": [public("docs", lambda w: "/api/docs/")],
    "api:letter-list": [
        public("letters", lambda w: "/api/letters/"),
        public("search for a draft's word", lambda w: "/api/letters/?q=glorptastic"),
        public("filter by an unpublished volume", lambda w: f"/api/letters/?volume={QUEBEC}"),
        public("filter by a draft-only person", lambda w: f"/api/letters/?person={w.secret_person.slug}"),
    ],
    "api:letter": [
        public("published letter", _letter("api:letter", "published")),
        draft("draft letter", _letter("api:letter", "secret")),
        draft("letter of an unpublished volume", _letter("api:letter", "quebec_letter")),
        public("missing letter", lambda w: f"/api/letters/{V33}/99999/", status=404),
    ],
    # -- annotations: public ones of published letters for everyone, all of them for staff ----------
    "annotations:collection": [
        case(
            "a published letter's (with an internal note)",
            _letter("annotations:collection", "published"),
            anonymous=200,
            editor=200,
        ),
        draft("a draft's", _letter("annotations:collection", "secret")),
    ],
    "annotations:annotation": [
        draft("an internal note", lambda w: f"/api/annotations/{w.internal_note.pk}/"),
        public("missing", lambda w: "/api/annotations/999999/", status=404),
    ],
    # -- open data: published letters only, to everyone ---------------------------------------------
    "opendata:oai": [
        public("identify", lambda w: "/oai/?verb=Identify"),
        public("records", lambda w: "/oai/?verb=ListRecords&metadataPrefix=oai_dc"),
        public("sets", lambda w: "/oai/?verb=ListSets"),
        public("a draft's record", lambda w: f"/oai/?verb=GetRecord&metadataPrefix=oai_dc&identifier={_oai(w.secret)}"),
        public(
            "records of an unpublished volume", lambda w: f"/oai/?verb=ListRecords&metadataPrefix=oai_dc&set={QUEBEC}"
        ),
    ],
    "opendata:sitemap": [public("sitemap", lambda w: "/sitemap.xml")],
    "opendata:sitemap-section": [
        public("letters", lambda w: "/sitemap-letters.xml"),
        public("volumes", lambda w: "/sitemap-volumes.xml"),
        public("unknown section", lambda w: "/sitemap-nothing.xml", status=404),
    ],
    "opendata:feed-latest": [public("latest letters", lambda w: "/feeds/latest/")],
    **{
        f"opendata:letter-{kind}": [
            public("published letter", _letter(f"opendata:letter-{kind}", "published")),
            public("draft letter", _letter(f"opendata:letter-{kind}", "secret"), status=404),
            public("letter of an unpublished volume", _letter(f"opendata:letter-{kind}", "quebec_letter"), status=404),
        ]
        for kind in ("text", "tei", "csl", "bibtex", "ris")
    },
    **{
        f"opendata:volume-{kind}": [
            public("published volume", lambda w, kind=kind: reverse(f"opendata:volume-{kind}", args=[V33])),
            public(
                "volume with nothing published",
                lambda w, kind=kind: reverse(f"opendata:volume-{kind}", args=[QUEBEC]),
                status=404,
            ),
        ]
        for kind in ("csl", "bibtex", "ris")
    },
    # -- the admin site's own views -----------------------------------------------------------------
    "admin:index": [staff_only("index", lambda w: "/admin/")],
    "admin:login": [case("login form", lambda w: "/admin/login/", anonymous=200, editor=302)],
    # Logging out takes a POST; the admin sends a visitor who is not staff to its index (→ login).
    "admin:logout": [case("logout by GET", lambda w: "/admin/logout/", anonymous=302, editor=405)],
    "admin:password_change": [staff_only("password change", lambda w: "/admin/password_change/")],
    "admin:password_change_done": [staff_only("password changed", lambda w: "/admin/password_change/done/")],
    "admin:jsi18n": [staff_only("admin translations", lambda w: "/admin/jsi18n/")],
    "admin:autocomplete": [
        staff_only(
            "people for a letter",
            lambda w: "/admin/autocomplete/?term=Vexlemire&app_label=catalog&model_name=letterperson&field_name=person",
        ),
        staff_only(
            "users (not the catalog's)",
            lambda w: "/admin/autocomplete/?term=a&app_label=auth&model_name=user&field_name=groups",
            editor=403,
            superuser=200,
        ),
    ],
    "admin:app_list": [
        staff_only("catalog", lambda w: "/admin/catalog/"),
        staff_only("users and groups", lambda w: "/admin/auth/", editor=404, superuser=200),
        staff_only("login attempts", lambda w: "/admin/axes/", editor=404, superuser=200),
    ],
    # Django's "view on site" redirect is not an admin_view: anyone reaches it, and it only redirects
    # to the object's public URL (which then applies the public rules). It never shows the object.
    "admin:view_on_site": [
        case(
            "draft letter",
            lambda w: f"/admin/r/{ContentType.objects.get_for_model(w.secret).pk}/{w.secret.pk}/",
            anonymous=302,
            editor=302,
        )
    ],
    # -- the workbench's own admin pages ------------------------------------------------------------
    "admin:catalog_annotation_letter": [
        staff_only(
            "annotating a published letter", lambda w: f"/admin/catalog/annotation/letter/{w.published.pk}/annotate/"
        ),
        staff_only("annotating a draft", lambda w: f"/admin/catalog/annotation/letter/{w.secret.pk}/annotate/"),
        staff_only(
            "annotating a missing letter", lambda w: "/admin/catalog/annotation/letter/999999/annotate/", editor=404
        ),
    ],
    # Reverting needs the change permission on the record the revision belongs to.
    "admin:catalog_revision_revert": [
        staff_only("revert", lambda w: f"/admin/catalog/revision/{_revision(w)}/revert/"),
        staff_only("revert a missing revision", lambda w: "/admin/catalog/revision/999999/revert/", editor=403),
    ],
    # Uploading and confirming imports need catalog.run_import (Importers) or a superuser.
    "admin:catalog_importrun_upload": [
        staff_only("upload", lambda w: "/admin/catalog/importrun/upload/", editor=403, superuser=200)
    ],
    "admin:catalog_importrun_progress": [
        staff_only("progress of a run", lambda w: f"/admin/catalog/importrun/{w.run.pk}/progress/"),
        staff_only("progress of a missing run", lambda w: "/admin/catalog/importrun/999999/progress/", editor=404),
    ],
    "admin:catalog_importrun_confirm": [
        staff_only("confirm by GET", lambda w: f"/admin/catalog/importrun/{w.run.pk}/confirm/", editor=405)
    ],
    "admin:catalog_importrun_cancel": [
        staff_only("cancel by GET", lambda w: f"/admin/catalog/importrun/{w.run.pk}/cancel/", editor=405)
    ],
    "admin:catalog_importrun_conflicts": [
        staff_only(
            "conflicts of a run",
            lambda w: f"/admin/catalog/importrun/{w.run.pk}/conflicts/{V33}/193/",
            editor=404,
        )
    ],
    "admin:catalog_letter_move": [
        staff_only("a workflow move by GET", lambda w: f"/admin/catalog/letter/{w.secret.pk}/move/", editor=302)
    ],
    # Spreadsheets (django-import-export): importing needs the change permission, exporting the view one.
    "admin:catalog_letter_export": [staff_only("letters CSV", lambda w: "/admin/catalog/letter/export/")],
    "admin:catalog_person_export": [staff_only("people CSV", lambda w: "/admin/catalog/person/export/")],
    "admin:catalog_archivalsource_export": [
        staff_only("sources CSV", lambda w: "/admin/catalog/archivalsource/export/")
    ],
    "admin:catalog_letter_import": [staff_only("letters import", lambda w: "/admin/catalog/letter/import/")],
    "admin:catalog_person_import": [staff_only("people import", lambda w: "/admin/catalog/person/import/")],
    "admin:catalog_archivalsource_import": [
        staff_only("sources import", lambda w: "/admin/catalog/archivalsource/import/")
    ],
    "admin:catalog_letter_process_import": [
        staff_only("letters import, confirm by GET", lambda w: "/admin/catalog/letter/process_import/", editor=405)
    ],
    "admin:catalog_person_process_import": [
        staff_only("people import, confirm by GET", lambda w: "/admin/catalog/person/process_import/", editor=405)
    ],
    "admin:catalog_archivalsource_process_import": [
        staff_only(
            "sources import, confirm by GET", lambda w: "/admin/catalog/archivalsource/process_import/", editor=405
        )
    ],
    # The admin's catch-all: unknown admin addresses.
    "admin/(?P<url>.*)$": [staff_only("unknown admin page", lambda w: "/admin/no-such-page/", editor=404)],
}


def _repository(w) -> str:
    return w.published.source_citations.exclude(source=None).first().source.repository


def _oai(letter) -> str:
    return quote_plus(f"oai:letterbook:{letter.volume.identifier}:d{letter.number}")


def _revision(w) -> str:
    revision = Revision.objects.order_by("pk").first()
    return str(revision.pk) if revision else "999999"


# -- the standard pages of every registered model --------------------------------------------------

EXTRA_ADMIN_PAGES = {"admin:auth_user_password_change": "password"}


def _registered(app: str, model: str):
    for model_class in admin.site._registry:
        if (model_class._meta.app_label, model_class._meta.model_name) == (app, model):
            return model_class
    return None


def _object_path(model_class) -> str:
    obj = model_class._default_manager.order_by("pk").first()
    if model_class._meta.label == "catalog.Letter":
        obj = model_class.objects.get(number=9001)  # the draft: never visible to non-staff
    return str(obj.pk) if obj is not None else "999999"


def _admin_page(key: str) -> tuple[str, str, str] | None:
    """(app, model, page) of a standard admin page; app labels may hold underscores."""
    if key in EXTRA_ADMIN_PAGES:
        return "auth", "user", EXTRA_ADMIN_PAGES[key]
    for model_class in admin.site._registry:
        app, model = model_class._meta.app_label, model_class._meta.model_name
        if key == f"admin/{app}/{model}/<path:object_id>/":
            return app, model, "redirect"
        for page in ("changelist", "add", "history", "delete", "change"):
            if key == f"admin:{app}_{model}_{page}":
                return app, model, page
    return None


def admin_model_case(key: str) -> Case | None:
    """The standard admin pages (and the password page of a user) of a registered model."""
    found = _admin_page(key)
    if found is None:
        return None
    app, model, page = found
    model_class = _registered(app, model)

    def url(w):
        base = f"/admin/{app}/{model}/"
        object_path = _object_path(model_class)
        return {
            "changelist": base,
            "add": f"{base}add/",
            "history": f"{base}{object_path}/history/",
            "delete": f"{base}{object_path}/delete/",
            "change": f"{base}{object_path}/change/",
            "redirect": f"{base}{object_path}/",
            "password": f"{base}{object_path}/password/",
        }[page]

    # Staff may find a page refused (403), a missing object redirected (302) or absent (404);
    # an editor holds no permission outside the catalog.
    staff_ok = (200, 301, 302, 403, 404)
    editor = staff_ok if app == "catalog" else (403, 404, 302)
    return staff_only(f"{app}.{model} {page}", url, editor=editor, superuser=staff_ok)


# -- enumerating the project's URL patterns ---------------------------------------------------------


def url_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """(key, route) for every URL pattern: the key is ``namespace:name``, or the route when unnamed."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}{pattern.name}" if pattern.name else route), route


def cases_for(key: str) -> list[Case]:
    if key in COVERAGE:
        return COVERAGE[key]
    generic = admin_model_case(key)
    return [generic] if generic else []


def all_cases():
    for key, _route in url_patterns():
        for item in cases_for(key):
            yield key, item


def test_every_url_pattern_is_covered():
    uncovered = [f"{key}  ({route})" for key, route in url_patterns() if not cases_for(key)]
    assert uncovered == [], "URL patterns without an entry in tests/hardening/test_permission_walk.py COVERAGE"


def test_the_coverage_table_names_only_existing_patterns():
    keys = {key for key, _route in url_patterns()}
    assert sorted(set(COVERAGE) - keys) == []


# -- the walk ----------------------------------------------------------------------------------------


def secrets_of(world) -> list[str]:
    """Words that only unpublished material holds: the draft's, the internal annotation's, and the
    unpublished volume's own title, its letters' titles and its people."""
    quebec_titles = [t for t in world.quebec.letters.values_list("title", flat=True) if len(t) > 40]
    return [*SECRETS, world.quebec.title, *quebec_titles, world.quebec_person.display_name]


def echoes(url: str) -> list[str]:
    """The request's own words as a page may repeat them: raw, URL-quoted, HTML-escaped."""
    parts = urlsplit(url)
    values = [value for _name, value in parse_qsl(parts.query)]
    forms = {url, quote(url), quote(url, safe="/"), parts.query}
    for value in values:
        forms |= {value, quote_plus(value), quote(value), escape(value)}
    return sorted(forms, key=len, reverse=True)


def check(world, role: str, key: str, item: Case) -> str | None:
    """What is wrong with one request, or None."""
    url = item.url(world)
    try:
        response = world.clients[role].get(url)
    except Exception as error:  # the test client re-raises a view's exception (a 500 in production)
        return f"{role:9} {key} [{item.label}] GET {url} → 500 {type(error).__name__}: {error}"
    expected = item.expect[role]
    status = response.status_code
    where = f"{role:9} {key} [{item.label}] GET {url} → {status}"
    if status >= 500:
        return f"{where}: server error"
    if expected == LOGIN:
        location = response.headers.get("Location", "")
        if status != 302 or not location.startswith("/admin/login/"):
            return f"{where}: expected a redirect to the admin login"
    elif isinstance(expected, tuple):
        if status not in expected:
            return f"{where}: expected one of {expected}"
    elif status != expected:
        return f"{where}: expected {expected}"
    if role in item.hidden_from:
        text = response.content.decode(errors="replace") + response.headers.get("Location", "")
        for echo in echoes(url):  # what the visitor typed may be shown back (the search box)
            text = text.replace(echo, "")
        leaked = [secret for secret in secrets_of(world) if secret in text]
        if leaked:
            return f"{where}: shows unpublished {leaked}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_walk(world, role):
    """Every covered URL for one kind of visitor; the known failures are the xfail tests below."""
    problems = []
    requests = 0
    for key, item in all_cases():
        if role in item.xfail:
            continue
        requests += 1
        problem = check(world, role, key, item)
        if problem:
            problems.append(problem)
    assert requests > 100
    assert not problems, "\n".join(problems)


KNOWN_FAILURES = [
    pytest.param(key, item, role, marks=pytest.mark.xfail(strict=True, reason=reason), id=f"{role}-{item.label}")
    for key, cases in COVERAGE.items()
    for item in cases
    for role, reason in item.xfail.items()
]


@pytest.mark.parametrize(("key", "item", "role"), KNOWN_FAILURES)
def test_walk_known_failures(world, key, item, role):
    assert check(world, role, key, item) is None


def test_the_world_holds_what_the_walk_looks_for(world):
    """The walk's marker words are really there for staff (so their absence elsewhere means something),
    and the objects the admin cases address exist."""
    collection = reverse("annotations:collection", args=[V33, world.published.number])
    assert INTERNAL_NOTE in world.clients["editor"].get(collection).content.decode()
    assert (
        INTERNAL_NOTE in world.clients["reviewer"].get(f"/api/annotations/{world.internal_note.pk}/").content.decode()
    )
    assert INTERNAL_NOTE not in world.clients["anonymous"].get(collection).content.decode()
    draft_page = world.clients["editor"].get(world.secret.get_absolute_url()).content.decode()
    assert all(word in draft_page for word in ("Zanzibarquux", "glorptastic", "Quimbleworth", "Vexlemire"))
    assert world.clients["editor"].get(f"/volumes/{QUEBEC}/").status_code == 404
    assert Revision.objects.exists()
    assert world.users["editor"].groups.get().name == "Editors"
    assert world.users["reviewer"].has_perm("catalog.publish_letter")
    assert not world.users["editor"].has_perm("catalog.publish_letter")


def test_walk_through_the_page_cache(world, page_cache):
    """The public page cache on (catalog/caching.py): staff walk first (previews, admin links),
    then anonymous readers twice — the second time from the cache: the same answers, no secrets."""
    for role in ROLES:
        if role != "anonymous":
            for key, item in all_cases():
                check(world, role, key, item)
    problems = []
    for _ in range(2):
        for key, item in all_cases():
            if "anonymous" not in item.xfail:
                problems.append(check(world, "anonymous", key, item))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)
