"""Project middleware: refuse control characters in requests; the Content-Security-Policy per path."""

from __future__ import annotations

import re

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse

# A path has no business with any C0 control character or DEL. Query strings and cookies may carry
# tab, line feed and carriage return (a pasted search), form data anything but NUL (an editor's
# text may hold a form feed from a PDF): PostgreSQL text cannot hold NUL, so NUL is refused everywhere.
PATH_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
QUERY_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORM_FORBIDDEN = re.compile(r"\x00")


class ControlCharacterInRequest(SuspiciousOperation):
    """A request carried a character no page, form or search can use (Django answers 400)."""


INTEGER = re.compile(r"\s*[-+]?\d+\s*")


def _beyond_64_bits(value: str) -> bool:
    """A filter lookup (the admin's ``volume__exact=…``, ``id__in=1,2``) on an integer that no
    database column holds: SQLite's driver raises OverflowError (a 500) before the query runs."""
    return any(INTEGER.fullmatch(part) and not -(2**63) <= int(part) < 2**63 for part in value.split(","))


class OverlongRequest(SuspiciousOperation):
    """A path or query parameter longer than any page needs (Django answers 400)."""


def _first_bad(pattern: re.Pattern, items) -> str | None:
    for key, values in items:
        if pattern.search(key):
            return key
        for value in values:
            if isinstance(value, str) and pattern.search(value):
                return key
    return None


class RejectControlCharactersMiddleware:
    """400 for a NUL (or another control character where none belongs) in the path, the query
    string, a cookie, or the keys and values of a form, before any view, session or query sees it;
    for a path or a query parameter longer than ``settings.REQUEST_MAX_PARAMETER_LENGTH``
    (a search, a filter or an address never needs kilobytes; databases choke on them); and for
    a filter lookup on an integer beyond 64 bits."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.check(request)
        return self.get_response(request)

    @staticmethod
    def check(request) -> None:
        if PATH_FORBIDDEN.search(request.path_info) or PATH_FORBIDDEN.search(request.path):
            raise ControlCharacterInRequest("Control character in the URL path")
        limit = settings.REQUEST_MAX_PARAMETER_LENGTH
        if len(request.path_info) > limit:
            raise OverlongRequest("URL path too long")
        for key, values in request.GET.lists():
            if len(key) > limit or any(len(value) > limit for value in values):
                raise OverlongRequest(f"Query parameter {key[:40]!r} too long")
            if "__" in key and any(_beyond_64_bits(value) for value in values):
                raise OverlongRequest(f"Query parameter {key[:40]!r}: a number no database column holds")
        bad = _first_bad(QUERY_FORBIDDEN, request.GET.lists())
        if bad is not None:
            raise ControlCharacterInRequest(f"Control character in query parameter {bad[:40]!r}")
        bad = _first_bad(QUERY_FORBIDDEN, ((k, [v]) for k, v in request.COOKIES.items()))
        if bad is not None:
            raise ControlCharacterInRequest(f"Control character in cookie {bad[:40]!r}")
        if request.method == "POST":
            bad = _first_bad(FORM_FORBIDDEN, request.POST.lists())
            if bad is None:
                bad = _first_bad(FORM_FORBIDDEN, ((k, [f.name for f in v]) for k, v in request.FILES.lists()))
            if bad is not None:
                raise ControlCharacterInRequest(f"NUL character in form field {bad[:40]!r}")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the strict policy everywhere but the admin, which also gets
    ``settings.ADMIN_CSP_UPDATE`` (inline styles that Django's own admin templates write)."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.update is None and request.path_info.startswith(_admin_prefix()):
            parts.update = settings.ADMIN_CSP_UPDATE
        return parts


def _admin_prefix() -> str:
    return reverse("admin:index")


def client_ip(request) -> str:
    """The client's address for login throttling: behind a proxy (``BEHIND_PROXY``), the address the
    proxy appended last to X-Forwarded-For (earlier entries come from the client and prove nothing)."""
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1][:45]
    return request.META.get("REMOTE_ADDR", "")
