"""Test settings: production settings (DEBUG off) with the HTTPS-only switches off for the test server."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret")
os.environ.setdefault("DEBUG", "0")

from .settings import *  # noqa: E402,F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users in tests
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Django's test Client.login() authenticates without a request; see tests/axes_support.py.
AUTHENTICATION_BACKENDS = [
    "tests.axes_support.AxesBackendAllowingClientLogin",
    "django.contrib.auth.backends.ModelBackend",
]
# Imports from the browser: jobs run at once, in the request that enqueues them, through the same task
# function the worker runs; uploads go to a scratch folder (tests give each test its own).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="letterbook-test-media-"))
# The public page cache (catalog/caching.py) is off for tests that change rows behind the ORM's back
# (QuerySet.update in a test) and count queries; tests/test_caching.py and the permission walk turn
# it on with the `page_cache` fixture (tests/conftest.py).
PUBLIC_PAGE_CACHE = False
# SQLite: the suite's database is a file, as with `make run`, not Django's default shared-cache in-memory
# database, whose table locks differ from a file's: a browser test follows a running import's progress
# while the import's transaction is open (tests/browser/test_import_flow.py).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="letterbook-test-db-")) / "test.sqlite3")
    }
# A read replica that mirrors the test database (archive.routers): the router is off for the suite
# and switched on by the tests that exercise it (tests/test_routers.py).
DATABASES.setdefault("replica", {**DATABASES["default"], "TEST": {"MIRROR": "default"}})  # noqa: F405
DATABASE_ROUTERS = []
