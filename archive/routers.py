"""Read replicas: public reads go to the replica, everything else to the primary.

A request may read from the replica (alias ``"replica"``, from ``DATABASE_REPLICA_URL``) only when
``ReplicaRoutingMiddleware`` says so: a safe method (GET, HEAD, OPTIONS), an anonymous reader, and
no write by the same client in the last ``DATABASE_REPLICA_STICKY_SECONDS`` (a signed cookie the
middleware sets on the response of any request that wrote). Once a request writes, the rest of it
reads from the primary too. Outside a request (management commands, ``db_worker``, the shell, the
tests' own setup) there is no such say-so, so every query goes to the primary.

Tables that decide who someone is or what they may do (sessions, users, login throttling) and the
job queue are always read from the primary: a replica a few milliseconds behind must never log an
editor out after logging in, or let a locked-out address guess again.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"
ROUTER = "archive.routers.PrimaryReplicaRouter"
PRIMARY_ONLY_APPS = frozenset({"auth", "sessions", "admin", "axes", "django_tasks_database"})
STICKY_COOKIE = "lb_primary"
STICKY_SALT = "archive.routers.sticky"


@dataclass
class RequestRouting:
    """What the current request may do: read from the replica, and whether it has written."""

    replica_reads: bool = False
    wrote: bool = False


_current: contextvars.ContextVar[RequestRouting | None] = contextvars.ContextVar("letterbook_routing", default=None)


def routing_enabled() -> bool:
    """A replica is configured and the router is installed (checked per request: tests switch it)."""
    return REPLICA in settings.DATABASES and ROUTER in settings.DATABASE_ROUTERS


class PrimaryReplicaRouter:
    """``settings.DATABASE_ROUTERS = ["archive.routers.PrimaryReplicaRouter"]`` (set when
    ``DATABASE_REPLICA_URL`` is): see the module's docstring."""

    def db_for_read(self, model, **hints):
        state = _current.get()
        if state is None or not state.replica_reads or model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _current.get()
        if state is not None:
            # Read your own writes: the replica may not have this one yet.
            state.wrote = True
            state.replica_reads = False
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: a letter read from one may point at a
        # volume read from the other.
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # A streaming replica is read-only; it gets the primary's schema by replication.
        return False if db == REPLICA else None


class ReplicaRoutingMiddleware:
    """Decides, once per request and before the view runs, whether its reads may go to the replica;
    after the response, marks the client for ``DATABASE_REPLICA_STICKY_SECONDS`` if the request wrote.

    Sits after ``AuthenticationMiddleware`` (it asks whether the user is logged in; that lookup of the
    session and the user goes to the primary). A no-op when no replica is configured."""

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not routing_enabled():
            return self.get_response(request)
        state = RequestRouting()
        token = _current.set(state)
        try:
            state.replica_reads = self.may_read_replica(request)
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if state.wrote:
            response.set_signed_cookie(
                STICKY_COOKIE,
                "1",
                salt=STICKY_SALT,
                max_age=settings.DATABASE_REPLICA_STICKY_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def may_read_replica(self, request) -> bool:
        if request.method not in self.SAFE_METHODS:
            return False
        if self.wrote_recently(request):
            return False
        user = getattr(request, "user", None)
        return not (user is not None and user.is_authenticated)

    @staticmethod
    def wrote_recently(request) -> bool:
        if STICKY_COOKIE not in request.COOKIES:
            return False
        value = request.get_signed_cookie(
            STICKY_COOKIE, default=None, salt=STICKY_SALT, max_age=settings.DATABASE_REPLICA_STICKY_SECONDS
        )
        return value == "1"
