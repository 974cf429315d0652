"""The permission walk: every URL pattern of the project, requested as each kind of visitor.

Anonymous visitors and logged-in readers (not staff) must never see an unpublished title, text,
footnote, person or source, and the admin must refuse them; editors (staff with the catalog
permissions) and superusers see drafts on the public pages and work in the admin, never a 500.

Every URL pattern needs an entry: the standard admin pages of registered models are covered by one
rule (``admin_model_case``); every other pattern by name in ``COVERAGE`` below. **A new URL pattern
fails ``test_every_url_pattern_is_covered`` until it has an entry**: add
``"namespace:name": [case(...)]`` saying how to build its URL from the ``world`` fixture
(tests/hardening/conftest.py) and what each visitor gets. For a public page, put first a case that
works for everybody: the bad parameters walk (test_bad_parameters.py) starts from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape

from .conftest import QUEBEC, ROLES, SECRETS, V33

pytestmark = pytest.mark.django_db

LOGIN = "login"  # expected: a redirect to the admin's login page
STAFF = ("editor", "superuser")
RULE_13 = (
    "public-pages helper (issue 10 item 13): a volume or person is public only when something published refers to it"
)


@dataclass(frozen=True)
class Case:
    label: str
    url: Callable  # world -> URL
    expect: dict  # role -> status code, LOGIN, or a tuple of allowed status codes
    xfail: dict = field(default_factory=dict)  # role -> reason (a known failure in another helper's area)


def case(label, url, *, anonymous, user=None, editor, superuser=None, xfail="") -> Case:
    """``xfail``: why the public (anonymous and logged-in readers) currently get this wrong."""
    user = anonymous if user is None else user
    superuser = editor if superuser is None else superuser
    expect = {"anonymous": anonymous, "user": user, "editor": editor, "superuser": superuser}
    return Case(label, url, expect, {"anonymous": xfail, "user": xfail} if xfail else {})


def public(label, url, status=200) -> Case:
    return case(label, url, anonymous=status, editor=status)


def draft(label, url, staff_status=200, xfail="") -> Case:
    """Something unpublished: a 404 for the public, shown to staff."""
    return case(label, url, anonymous=404, editor=staff_status, xfail=xfail)


def staff_only(label, url, editor=200, superuser=None) -> Case:
    return case(label, url, anonymous=LOGIN, editor=editor, superuser=superuser)


def _letter(name, letter_attr):
    return lambda w: reverse(name, args=[getattr(w, letter_attr).volume.identifier, getattr(w, letter_attr).number])


# -- the coverage table: pattern name -> the cases that exercise it ----------------------------------

COVERAGE: dict[str, list[Case]] = {
    "catalog:home": [public("home", lambda w: "/")],
    "catalog:letter-list": [
        public("list", lambda w: "/letters/"),
        public("search for a draft's word", lambda w: "/letters/?q=glorptastic"),
        public("search for a draft's title", lambda w: "/letters/?q=Zanzibarquux"),
        public("filter by a draft-only person", lambda w: f"/letters/?person={w.secret_person.slug}"),
        public("filter by a draft-only source", lambda w: "/letters/?repository=Florbington+Presidential+Library"),
        public("filter by an unpublished volume", lambda w: f"/letters/?volume={QUEBEC}"),
        public("filter by type", lambda w: "/letters/?doc_type=memorandum"),
    ],
    "catalog:volume": [
        public("published volume", lambda w: f"/volumes/{V33}/"),
        draft("volume with nothing published", lambda w: f"/volumes/{QUEBEC}/", xfail=RULE_13),
        public("missing volume", lambda w: "/volumes/no-such-volume/", status=404),
    ],
    "catalog:letter": [
        public("published letter", _letter("catalog:letter", "published")),
        draft("draft letter", _letter("catalog:letter", "secret")),
        draft("letter of an unpublished volume", _letter("catalog:letter", "quebec_letter")),
        public("missing letter", lambda w: f"/volumes/{V33}/d99999/", status=404),
    ],
    "catalog:letter-by-id": [
        draft("old id of a draft", lambda w: f"/volumes/{V33}/{w.secret.xml_id}/", staff_status=301),
        public("unknown old id", lambda w: f"/volumes/{V33}/ch1/", status=404),
    ],
    "catalog:person": [
        public("person in a published letter", lambda w: w.published_person.get_absolute_url()),
        draft("person only in a draft", lambda w: w.secret_person.get_absolute_url()),
        draft("person only in an unpublished volume", lambda w: w.quebec_person.get_absolute_url()),
        public("missing person", lambda w: "/people/no-such-person/", status=404),
    ],
    "catalog:api-letter": [
        public("published letter", _letter("catalog:api-letter", "published")),
        draft("draft letter", _letter("catalog:api-letter", "secret")),
    ],
    # The admin site's own views.
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
    "admin:catalog_letter_export": [staff_only("letters CSV", lambda w: "/admin/catalog/letter/export/")],
    "admin:catalog_person_export": [staff_only("people CSV", lambda w: "/admin/catalog/person/export/")],
    # The admin's catch-all: unknown admin addresses.
    "admin/(?P<url>.*)$": [staff_only("unknown admin page", lambda w: "/admin/no-such-page/", editor=404)],
}

# -- the standard pages of every registered model --------------------------------------------------

ADMIN_MODEL_PAGE = re.compile(r"^admin:(?P<app>\w+?)_(?P<model>\w+)_(?P<page>changelist|add|history|delete|change)$")
ADMIN_MODEL_REDIRECT = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/<path:object_id>/$")
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


def admin_model_case(key: str) -> Case | None:
    """The standard admin pages (and the password page of a user) of a registered model."""
    match = ADMIN_MODEL_PAGE.match(key) or ADMIN_MODEL_REDIRECT.match(key)
    page = match and match.groupdict().get("page", "redirect")
    if key in EXTRA_ADMIN_PAGES:
        app, model, page = "auth", "user", EXTRA_ADMIN_PAGES[key]
    elif match:
        app, model = match["app"], match["model"]
    else:
        return None
    model_class = _registered(app, model)
    if model_class is None:
        return None

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
    """Words that only unpublished material holds: the draft's, and the unpublished volume's titles."""
    quebec_titles = [t for t in world.quebec.letters.values_list("title", flat=True) if len(t) > 40]
    return [*SECRETS, *quebec_titles, world.quebec_person.display_name]


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
    if role in ("anonymous", "user"):
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
