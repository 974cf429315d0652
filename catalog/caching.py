"""The public page cache: whole responses of public pages, for anonymous readers, in Django's cache
(``settings.CACHES``, Redis in production through ``CACHE_URL``).

- **What**: GET responses of the views named in ``CACHED_VIEWS`` (letters list and search, a letter,
  volumes, printed pages, people, a person, sources, administrations, the JSON API's lists and
  letters, public annotations, citation downloads, sitemap, feed), status 200, that set no cookie,
  and use no CSRF token. The OAI-PMH endpoint is left out: its resumption
  tokens carry an expiry time.
- **Who**: a request that carries no session cookie (nobody logged in; staff always have one, so
  they never get a cached page and their pages — previews, admin links — are never stored).
- **Key**: the catalog *generation*, the scheme, host and path, the query parameters the view reads
  (``QUERY_PARAMETERS``: filters, page, ``format``), sorted by name, and the active language. A request
  with a parameter its view does not read (``?x=1``, ``?utm_source=…``) is served from the view and
  never stored, so arbitrary query strings cannot fill the cache; the same parameters in another
  order share one entry. The cache itself must evict when full (Redis: ``maxmemory`` with
  ``maxmemory-policy allkeys-lru``; README "Caching"): filter values and searches are still
  unbounded.
- **Invalidation**: ``invalidate()`` bumps the generation when the transaction that changed the
  catalog commits; every page cached before is then unreachable (and expires after
  ``PUBLIC_PAGE_CACHE_TIMEOUT``). With a read replica, pages rendered in the few seconds after a bump
  (``replica_grace``) are served but not stored: the replica may not have replayed the change yet.
  One generation for the whole catalog rather than a version per
  object: a letter's title shows on its volume, on people's pages, in lists, facets, feeds and the
  sitemap, so a per-object scheme would have to know every page an object appears on, and editors'
  changes are rare next to readers' requests.

Model signals (``connect_signals``, wired in ``catalog.apps``) call ``invalidate()`` on every save
and delete of the catalog's public models; writes that bypass signals (``QuerySet.update``,
``bulk_create``: workflow moves, the import loader, merges, backup loads) call it themselves.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, urlencode

logger = logging.getLogger(__name__)
GENERATION_KEY = "catalog:generation"
BUMPED_AT_KEY = "catalog:generation:bumped-at"
PAGE_KEY = "catalog:page:{generation}:{digest}"

CACHED_VIEWS = frozenset(
    {
        "catalog:home",
        "catalog:letter-list",
        "catalog:letter",
        "catalog:volume-list",
        "catalog:volume",
        "catalog:printed-page",
        "catalog:administration-list",
        "catalog:people-list",
        "catalog:person",
        "catalog:source-list",
        "catalog:source-browse",
        "api:letter-list",
        "api:letter",
        "annotations:collection",
        "annotations:annotation",
        "opendata:sitemap",
        "opendata:sitemap-section",
        "opendata:feed-latest",
        "opendata:letter-text",
        "opendata:letter-tei",
        "opendata:letter-csl",
        "opendata:letter-bibtex",
        "opendata:letter-ris",
        "opendata:volume-csl",
        "opendata:volume-bibtex",
        "opendata:volume-ris",
    }
)
# The query parameters each cached view reads (a view not named reads none). The letter list and
# the API's list read the letters' filters (catalog.queries.LetterFilter) and the page.
LETTER_FILTERS = "letter filters"
QUERY_PARAMETERS: dict[str, frozenset[str] | str] = {
    "catalog:home": LETTER_FILTERS,
    "catalog:letter-list": LETTER_FILTERS,
    "api:letter-list": LETTER_FILTERS,
    "catalog:letter": frozenset({"reported"}),
    "catalog:volume": frozenset({"page"}),
    "catalog:people-list": frozenset({"q", "format"}),
    "catalog:person": frozenset({"sender_page", "recipient_page", "mentioned_page"}),
    "catalog:source-browse": frozenset({"repository", "collection"}),
    "annotations:collection": frozenset({"page"}),
    "opendata:sitemap": frozenset({"p"}),
    "opendata:sitemap-section": frozenset({"p"}),
}


@functools.cache
def _letter_filters() -> frozenset[str]:
    from catalog.queries import LetterFilter

    return frozenset(LetterFilter.base_filters) | {"page"}


def query_parameters(view_name: str) -> frozenset[str]:
    """The query parameters the cached view ``view_name`` reads."""
    parameters = QUERY_PARAMETERS.get(view_name, frozenset())
    return _letter_filters() if parameters == LETTER_FILTERS else parameters


# Headers of the view's response kept with the page (the outer middleware — security headers, CSP,
# Permissions-Policy — adds its own to every response, cached or not).
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "X-Frame-Options", "Content-Language", "Link")

# Models whose saves and deletes never change a public page: history, jobs, readers' reports,
# the review queue's stored problems and workflow records (a move also updates its letters), and
# people's pages' side tables (catalog/person_letters.py: derived from letters whose own change
# already bumps the generation).
IGNORED_MODELS = frozenset(
    {
        "revision",
        "importrun",
        "errorreport",
        "letterproblem",
        "transition",
        "personletter",
        "personcount",
        "correspondence",
    }
)

_pending = threading.local()  # this thread's transaction changed the catalog: bump on its commit


# -- the generation ---------------------------------------------------------------------------------


def generation() -> int:
    """The current catalog generation. A missing one (a new or flushed cache) starts from the clock
    in microseconds, so it can never return to a value that older pages were stored under."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, time.time_ns() // 1000, timeout=None)
        value = cache.get(GENERATION_KEY)
    return value


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there (evicted, flushed): a fresh start is a new generation too
        generation()
    cache.set(BUMPED_AT_KEY, time.time(), timeout=None)


def replica_grace() -> float:
    """Seconds after a bump during which pages are served but not stored, when public reads go to a
    read replica (archive.routers): the replica may replay the change a moment after the primary
    committed it, and a page rendered from it then would be stored, stale, under the new generation."""
    if "replica" not in settings.DATABASES or not settings.DATABASE_ROUTERS:
        return 0.0
    return float(getattr(settings, "PUBLIC_PAGE_CACHE_REPLICA_GRACE", settings.DATABASE_REPLICA_STICKY_SECONDS))


def _in_replica_grace() -> bool:
    grace = replica_grace()
    if not grace:
        return False
    bumped_at = cache.get(BUMPED_AT_KEY)
    return bumped_at is not None and time.time() - bumped_at < grace


def _bump_on_commit() -> None:
    # An import calls invalidate() for every record it saves; the first of those callbacks to run
    # at the commit bumps, the others find nothing pending.
    if getattr(_pending, "value", False):
        _pending.value = False
        _bump()


def invalidate(reason: str = "") -> None:
    """Published content may have changed: every cached public page is stale once the current
    transaction commits (at once outside a transaction; never if it rolls back).

    The one place that invalidates the page cache; ``reason`` is for the reader of the call site.
    Bumping at the commit, not before, keeps a reader who asks in between from caching the old
    rows under the new generation."""
    _pending.value = True
    transaction.on_commit(_bump_on_commit, robust=True)


# -- model signals ----------------------------------------------------------------------------------


def _on_change(sender, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # fixtures being loaded: load_catalog invalidates at its end
    invalidate(f"{sender._meta.model_name} changed")


def connect_signals() -> None:
    """Every save, delete and many-to-many change of a public catalog model invalidates."""
    from django.apps import apps

    for model in apps.get_app_config("catalog").get_models():
        if model._meta.model_name in IGNORED_MODELS:
            continue
        uid = f"catalog.caching:{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete")
        for m2m in model._meta.local_many_to_many:
            m2m_changed.connect(_on_change, sender=m2m.remote_field.through, dispatch_uid=f"{uid}:{m2m.name}")


# -- the middleware ---------------------------------------------------------------------------------


def _cached_view(request) -> str | None:
    """The name of the cached view the request's path leads to, if the request carries no query
    parameter that view does not read; else None (the page is neither looked up nor stored)."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    if match.view_name not in CACHED_VIEWS or not set(request.GET).issubset(query_parameters(match.view_name)):
        return None
    return match.view_name


def _page_key(request, generation_value: int) -> str:
    # Sorted by name; a parameter's repeated values keep their order (a view may read them in order).
    query = urlencode([(name, value) for name, values in sorted(request.GET.lists()) for value in values])
    raw = "\n".join((request.scheme, request.get_host(), request.path, query, translation.get_language() or ""))
    return PAGE_KEY.format(generation=generation_value, digest=hashlib.sha256(raw.encode()).hexdigest())


def _may_serve(request) -> bool:
    return (
        settings.PUBLIC_PAGE_CACHE and request.method == "GET" and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _may_store(request, response) -> bool:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    return (
        match is not None
        and match.view_name in CACHED_VIEWS
        and set(request.GET).issubset(query_parameters(match.view_name))
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # the page holds a CSRF token
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
        and not (user is not None and user.is_authenticated)
    )


def _public_headers(response, etag: str, stored_at: float) -> None:
    # Browsers and proxies may keep the page but must ask again each time (a withdrawn letter must
    # disappear at once); the ETag makes asking cheap. Vary: Cookie — staff see other pages.
    response["Cache-Control"] = "public, no-cache"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(stored_at)
    patch_vary_headers(response, ("Cookie",))


class PublicPageCacheMiddleware:
    """Serves and stores the public pages of ``CACHED_VIEWS`` for anonymous readers (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _may_serve(request) or _cached_view(request) is None:
            return self.get_response(request)
        try:
            key = _page_key(request, generation())
            entry = cache.get(key)
        except Exception:  # the cache server is down: serve from the database
            logger.warning("page cache unavailable", exc_info=True)
            return self.get_response(request)
        if entry is not None:
            return self._cached_response(request, entry)
        response = self.get_response(request)
        if _may_store(request, response) and not _in_replica_grace():
            content = response.content
            etag = '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            stored_at = time.time()
            try:
                cache.set(key, (content, headers, etag, stored_at), settings.PUBLIC_PAGE_CACHE_TIMEOUT)
            except Exception:
                logger.warning("page cache unavailable", exc_info=True)
                return response
            _public_headers(response, etag, stored_at)
        return response

    @staticmethod
    def _cached_response(request, entry) -> HttpResponse:
        content, headers, etag, stored_at = entry
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(content)
            for name, value in headers.items():
                response[name] = value
        _public_headers(response, etag, stored_at)
        return response
