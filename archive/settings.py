"""Letterbook settings: everything that differs between machines comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "import_export",
    "axes",
    "csp",
    "catalog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "archive.middleware.ContentSecurityPolicyMiddleware",
    # Before anything reads the session, the user or the database: NUL and control characters → 400.
    "archive.middleware.RejectControlCharactersMiddleware",
    # Public pages for anonymous readers from the shared cache (catalog/caching.py): before the
    # session, CSRF and auth middleware, which a cached page never needs.
    "catalog.caching.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

# archive.middleware.RejectControlCharactersMiddleware: the longest URL path or query parameter value.
REQUEST_MAX_PARAMETER_LENGTH = 4096

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username, or from
# one address, logging in is refused (HTTP 429) until an administrator lifts it: delete the "Access
# attempts" in the admin, or `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`. By
# username too, so that guessing one password from many addresses is stopped as well.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = None  # locked until an administrator resets it
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "archive.middleware.client_ip"  # the proxy's address is nobody's
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

ROOT_URLCONF = "archive.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "archive.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'letterbook.sqlite3'}",
        conn_max_age=60,
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"  # FRUS editors date documents in Washington time
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "admin:login"

# Citing and harvesting (catalog.citing, catalog.oai): absolute URLs from PUBLIC_BASE_URL when set
# (stable identifiers whatever the Host header), else from the request.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
OAI_REPOSITORY_NAME = "Letterbook"
OAI_REPOSITORY_IDENTIFIER = os.environ.get("OAI_REPOSITORY_IDENTIFIER", "letterbook")
OAI_ADMIN_EMAIL = os.environ.get("OAI_ADMIN_EMAIL", "letterbook@localhost")
OAI_PAGE_SIZE = 100  # records per ListRecords / ListIdentifiers response
OAI_TOKEN_LIFETIME = 24 * 3600  # seconds a resumption token stays valid
SITEMAP_PAGE_SIZE = 10000  # URLs per sitemap page; past it /sitemap.xml is an index
FEED_SIZE = 50

# A title beginning with "=" must not run as a spreadsheet formula in a CSV export.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Production (DEBUG off) is secure by default; a TLS-terminating proxy may relax what it must.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the admin's JavaScript reads it
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_flag("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Asking browsers to hard-code HTTPS for the domain (hstspreload.org) is hard to undo: opt in.
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD")
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "SECURE_HSTS_PRELOAD is not True": off by choice
# X-Forwarded-Proto says whether the client used HTTPS, but any client can send it: it is trusted
# only when the operator says a TLS-terminating proxy sets it (and strips the client's own).
BEHIND_PROXY = env_flag("BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): public pages run only this site's own script and style
# files, no inline script or style. The admin's own templates write some inline styles (Django's
# change list, django-import-export's export form), so /admin/ alone also allows inline styles and
# one known inline handler; see archive.middleware.ContentSecurityPolicyMiddleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
ADMIN_CSP_UPDATE = {
    "style-src": [UNSAFE_INLINE],
    # django-import-export's export form has one inline handler, onchange="onSelectToggleChange(event)"
    # ("Select all"): that handler alone, by its hash; no other inline script runs, even in the admin.
    "script-src-attr": ["'unsafe-hashes'", "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"],
}

# Permissions-Policy (django-permissions-policy): the site uses no powerful browser feature.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# -- Imports from the browser: uploaded files, limits, background jobs (catalog/uploads.py, catalog/jobs.py)
INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
# Uploaded volumes are kept here with their checksums; the web server never serves this folder. A
# worker on another host needs the same folder (a shared volume).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
IMPORT_MAX_UPLOAD_SIZE = int(os.environ.get("IMPORT_MAX_UPLOAD_SIZE", 200 * 1024 * 1024))  # bytes, all files together
IMPORT_MAX_ZIP_ENTRIES = int(os.environ.get("IMPORT_MAX_ZIP_ENTRIES", 20_000))
IMPORT_MAX_UNCOMPRESSED_SIZE = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_SIZE", 1024 * 1024 * 1024))
IMPORT_HEARTBEAT_SECONDS = 5  # a running job touches its progress file this often
IMPORT_STALE_AFTER = int(os.environ.get("IMPORT_STALE_AFTER", 120))  # seconds without a heartbeat: the worker died
# Jobs are rows in the database; `manage.py db_worker` runs them (`make run` starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# -- Cache (catalog/caching.py): CACHE_URL empty → Django's LocMemCache (one process: development,
# tests); redis://host:port/db → Django's RedisCache (shared by every process and machine: production).
# Public pages for anonymous readers are cached in it, keyed by a catalog generation that
# catalog.caching.invalidate() bumps whenever published content may change.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "letterbook"),
        }
    }
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be empty or a redis:// (rediss://, unix://) address.")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "letterbook",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }
# The page cache needs a cache every process shares (an import in a worker process must reach the web
# server's pages): on by default with CACHE_URL, off with the per-process local-memory cache.
PUBLIC_PAGE_CACHE = env_flag("PUBLIC_PAGE_CACHE", bool(CACHE_URL))
PUBLIC_PAGE_CACHE_TIMEOUT = int(os.environ.get("PUBLIC_PAGE_CACHE_TIMEOUT", 24 * 3600))  # seconds a page is kept
# -- Beyond one machine (archive/routers.py; README "Running at scale") ------------------------------
# DATABASE_REPLICA_URL: a streaming read replica of DATABASE_URL. Public reads (anonymous GETs) go to
# it; writes, editors' reads and a client's reads for DATABASE_REPLICA_STICKY_SECONDS after it wrote go
# to the primary. In tests the replica is a mirror of the test database (same rows).
# DATABASE_POOLER=pgbouncer: the URLs point at pgbouncer in transaction pooling mode, where a
# transaction may land on any server connection: no server-side (named) cursors.
# DATABASE_CONN_MAX_AGE: seconds a worker keeps its database connection (to pgbouncer, cheap).
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "").strip().lower()
DATABASE_REPLICA_STICKY_SECONDS = int(os.environ.get("DATABASE_REPLICA_STICKY_SECONDS", "10"))
# Pages rendered this many seconds after a cache bump are not stored (the replica may lag the commit).
PUBLIC_PAGE_CACHE_REPLICA_GRACE = float(
    os.environ.get("PUBLIC_PAGE_CACHE_REPLICA_GRACE", DATABASE_REPLICA_STICKY_SECONDS)
)
_conn_max_age = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=_conn_max_age)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["archive.routers.PrimaryReplicaRouter"]
for _database in DATABASES.values():
    _database["CONN_MAX_AGE"] = _conn_max_age
    _database["CONN_HEALTH_CHECKS"] = True  # a connection the pooler or a failover closed is replaced
    if DATABASE_POOLER == "pgbouncer":
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
# SQLite (the default database, as with `make run`): write-ahead logging, so that readers (the editors'
# pages, the progress of a running import) go on reading while one writer writes. An import holds one
# transaction open to its end; in SQLite's default journal mode, once its changes outgrow SQLite's page
# cache it locks every reader out until it commits, and the pages fail with "database is locked".
# synchronous=NORMAL is the documented setting for WAL (durable across a crash of the application). A
# write waits up to SQLITE_TIMEOUT seconds for another writer to finish (SQLite has one writer at a time),
# and a transaction takes the write lock when it begins (transaction_mode IMMEDIATE): one that read
# first and then wrote (the admin's save) would otherwise fail at once, without waiting, when another
# writer is at work. Reads outside transactions (every page; Django's admin reads without one) never wait.
SQLITE_TIMEOUT = 20
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database.setdefault("OPTIONS", {}).update(
            init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            timeout=SQLITE_TIMEOUT,
            transaction_mode="IMMEDIATE",
        )
# Decides per request whether reads may go to the replica; needs request.user, so after authentication.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "archive.routers.ReplicaRoutingMiddleware",
)
