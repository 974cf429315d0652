"""Settings come from the environment, and production (DEBUG off) is secure by default."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k) for k in ['DEBUG', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', "
    "'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'ALLOWED_HOSTS', 'X_FRAME_OPTIONS']} | "
    "{'ENGINE': s.DATABASES['default']['ENGINE'], 'NAME': str(s.DATABASES['default']['NAME'])}))"
)


def settings_with(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="archive.settings")
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )


def test_production_is_secure_by_default():
    import json

    run = settings_with(SECRET_KEY="x" * 50, ALLOWED_HOSTS="letters.example.org")
    assert run.returncode == 0, run.stderr
    values = json.loads(run.stdout)
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["ALLOWED_HOSTS"] == ["letters.example.org"]
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"].endswith("letterbook.sqlite3")


def test_production_refuses_to_start_without_a_secret_key():
    run = settings_with()
    assert run.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in run.stderr


def test_database_url_selects_postgresql():
    import json

    run = settings_with(DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/letterbook")
    values = json.loads(run.stdout)
    assert (values["ENGINE"], values["NAME"], values["DEBUG"]) == ("django.db.backends.postgresql", "letterbook", True)


SCALE_PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'aliases': sorted(s.DATABASES), 'routers': s.DATABASE_ROUTERS, "
    "'replica': {k: s.DATABASES.get('replica', {}).get(k) for k in ['NAME', 'PORT']}, "
    "'mirror': s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), "
    "'cursors': [d.get('DISABLE_SERVER_SIDE_CURSORS', False) for d in s.DATABASES.values()], "
    "'age': [d['CONN_MAX_AGE'] for d in s.DATABASES.values()], "
    "'middleware': s.MIDDLEWARE.index('archive.routers.ReplicaRoutingMiddleware') "
    "- s.MIDDLEWARE.index('django.contrib.auth.middleware.AuthenticationMiddleware')}))"
)


def scale_settings_with(**env):
    import json

    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    clean.update(env, DEBUG="1", DJANGO_SETTINGS_MODULE="archive.settings")
    run = subprocess.run(
        [sys.executable, "-c", SCALE_PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_one_database_by_default_no_router():
    values = scale_settings_with(DATABASE_URL="postgres://postgres@127.0.0.1:5432/letterbook")
    assert values["aliases"] == ["default"]
    assert values["routers"] == []
    assert values["cursors"] == [False]
    assert values["age"] == [60]
    assert values["middleware"] == 1  # right after authentication (it asks who the user is)


def test_replica_url_adds_the_replica_and_the_router_behind_pgbouncer():
    values = scale_settings_with(
        DATABASE_URL="postgres://postgres@127.0.0.1:6432/letterbook",
        DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:6433/letterbook",
        DATABASE_POOLER="pgbouncer",
        DATABASE_CONN_MAX_AGE="300",
    )
    assert values["aliases"] == ["default", "replica"]
    assert values["routers"] == ["archive.routers.PrimaryReplicaRouter"]
    assert values["replica"] == {"NAME": "letterbook", "PORT": 6433}
    assert values["mirror"] == "default"  # in tests, the replica is the test database
    assert values["cursors"] == [True, True]
    assert values["age"] == [300, 300]


SQLITE_PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: s.DATABASES['default'].get('OPTIONS', {}) for k in ['OPTIONS']}))"
)


def test_sqlite_lets_readers_read_while_an_import_writes():
    """A file SQLite database in write-ahead logging, a writer waiting for another (`make run`);
    a PostgreSQL database is given no SQLite option."""
    import json

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="archive.settings")
    sqlite = subprocess.run([sys.executable, "-c", SQLITE_PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert json.loads(sqlite.stdout)["OPTIONS"] == {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/letterbook"
    postgres = subprocess.run([sys.executable, "-c", SQLITE_PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert json.loads(postgres.stdout)["OPTIONS"] == {}


def test_the_suites_sqlite_database_is_a_file_in_write_ahead_logging(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20_000
    assert not connection.is_in_memory_db()
