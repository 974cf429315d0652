"""The bad parameters walk: every public URL with hostile values in each path parameter and each
query parameter the pages read. No 500, ever; a NUL is a 400 (archive.middleware).

The public URLs are those of the permission walk's coverage table (so a new public page is walked
here as soon as it has its entry there); ``QUERY_PARAMETERS`` lists what the views read.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings

from catalog import queries

from .test_permission_walk import COVERAGE, url_patterns

pytestmark = pytest.mark.django_db

QUERY_PARAMETERS = sorted(
    {
        *queries.LetterFilter.base_filters,  # the facets and filters of /letters/ and /api/letters/
        *(f"{role}_page" for role in queries.ROLES),  # a person's letters, paged by role
        *("q", "scope", "sort", "page", "format", "role", "reported", "repository", "collection", "version"),
        # OAI-PMH's arguments
        *("verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken"),
    }
)

BAD_VALUES = {
    "nul": "\x00",
    "nul inside": "war\x00peace",
    "overlong": "w " * 50_000,  # 100 KB
    "overlong quotes": '"' * 100_000,
    "longest allowed": "w " * 2048,  # 4 KB: settings.REQUEST_MAX_PARAMETER_LENGTH
    "longest allowed quotes": '"' * 4096,
    "longest allowed words": " ".join(f"word{n}" for n in range(700)),
    "non-numeric": "abc",
    "negative": "-1",
    "huge": "9" * 40,
    "huge negative": "-" + "9" * 40,
    "float": "1e309",
    "empty": "",
    "markup": "<script>alert(1)</script>",
    "sql": "' OR 1=1 --",
    "percent": "%_%",
    "unicode": "ü\u202e\U0001f600",
    "search syntax": '-"(or) & | ! :* <->',
}
PATH_VALUES = {
    "nul": "\x00",
    "overlong": "x" * 100_000,
    "longest allowed": "x" * 4000,
    "non-numeric": "abc",
    "negative": "-1",
    "huge": "9" * 40,
    "dots": "..",
    "markup": "<b>",
    "unicode": "ü",
}


def public_urls(world) -> list[str]:
    """One working URL (the first case) of every public pattern, without its query string."""
    urls = []
    for key, _route in url_patterns():
        if key.startswith("admin") or key not in COVERAGE:
            continue
        url = COVERAGE[key][0].url(world).split("?")[0]
        if url not in urls:
            urls.append(url)
    return urls


def public_routes() -> list[str]:
    return [route for key, route in url_patterns() if not key.startswith("admin") and "<" in route]


def refused(value: str, name: str = "") -> bool:
    """Values that archive.middleware answers with 400: a NUL, longer than the limit, or a lookup
    (``volume__exact``) on an integer beyond 64 bits."""
    huge = "__" in name and value.lstrip("-").isdigit() and abs(int(value)) >= 2**63
    return "\x00" in value or len(value) > settings.REQUEST_MAX_PARAMETER_LENGTH or huge


def expect_no_server_error(client, url: str, refused: bool) -> str | None:
    try:
        response = client.get(url)
    except Exception as error:  # the test client re-raises a view's exception (a 500 in production)
        return f"{url[:160]} → 500 {type(error).__name__}: {str(error)[:100]}"
    if response.status_code >= 500 or (refused and response.status_code != 400):
        return f"{url[:160]} → {response.status_code}"
    if response.status_code not in (200, 301, 302, 400, 404, 405):
        return f"{url[:160]} → {response.status_code} (unexpected)"
    return None


# Public pages show the same published material to everyone; staff differ only on a letter's own
# page and its JSON (a draft's preview), so staff walk those (the whole walk takes minutes a role).
STAFF_DIFFER = re.compile(r"/d\d+/|/api/letters/[^/]+/\d+/")


@pytest.mark.parametrize("role", ["anonymous", "editor"])
def test_query_parameters(world, role):
    client = world.clients[role]
    problems, requests = [], 0
    bases = public_urls(world)
    if role != "anonymous":
        bases = [base for base in bases if STAFF_DIFFER.search(base)]
    assert bases
    for base in bases:
        for name in QUERY_PARAMETERS:
            for label, value in BAD_VALUES.items():
                requests += 1
                url = f"{base}?{urlencode({name: value})}"
                problem = expect_no_server_error(client, url, refused=refused(value))
                if problem:
                    problems.append(f"{name}={label}: {problem}")
    assert requests > (500 if role == "anonymous" else 100)
    assert not problems, "\n".join(problems)


def test_path_parameters(world):
    client = world.clients["anonymous"]
    problems, requests = [], 0
    for route in public_routes():
        for label, value in PATH_VALUES.items():
            for position in range(len(re.findall(r"<[^>]+>", route))):
                parts = re.split(r"(<[^>]+>)", route)
                converters = [i for i, part in enumerate(parts) if part.startswith("<")]
                filled = [
                    quote(value, safe="") if i == converters[position] else _good(part) for i, part in enumerate(parts)
                ]
                url = "/" + "".join(filled)
                requests += 1
                problem = expect_no_server_error(client, url, refused=refused(value))
                if problem:
                    problems.append(f"{route} {label}: {problem}")
    assert requests >= 40
    assert not problems, "\n".join(problems)


def _good(part: str) -> str:
    """A valid value for a converter that is not the one under test."""
    if not part.startswith("<"):
        return part
    if part.startswith("<int:"):
        return "193"
    if "identifier" in part:
        return "frus1969-76v33"
    return "d193"


ADMIN_PARAMETERS = ["q", "o", "p", "all", "_popup", "_to_field", "e"]
ADMIN_VALUES = ["\x00", "w " * 50_000, "abc", "-1", "9" * 40, "1.-2", "id", "__"]


def test_admin_change_lists(world):
    """Every change list of the admin (as a superuser) with bad values in its own parameters and
    in each of its list filters."""
    from django.contrib import admin

    client = world.clients["superuser"]
    problems, requests = [], 0
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        names = list(ADMIN_PARAMETERS)
        for spec in model_admin.list_filter:
            if isinstance(spec, str):
                names += [f"{spec}__exact", f"{spec}__id__exact", f"{spec}__isnull"]
        for name in names:
            for value in ADMIN_VALUES:
                requests += 1
                url = f"{base}?{urlencode({name: value})}"
                problem = expect_no_server_error(client, url, refused=refused(value, name))
                if problem:
                    problems.append(f"{name}: {problem}")
    assert requests > 300
    assert not problems, "\n".join(problems)
