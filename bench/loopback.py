"""Beyond one machine, on loopback: a streaming replica, pgbouncer, two app servers behind haproxy,
Redis as the shared cache; load through the balancer while one app server is killed; an editor's
save read back at once. Prints its figures; stops and removes everything it started.

    make loopback                 # or: .venv/bin/python bench/loopback.py [--seconds 30] [--json PATH]

Needs root (PostgreSQL's and pgbouncer's programs run as the ``postgres`` OS user), the primary
PostgreSQL at 127.0.0.1:5432 (trust), and the Debian packages postgresql-15, pgbouncer, haproxy, wrk,
redis-server. Not part of CI. Its own Redis (port 6380) is configured as production's must be: a memory
limit and eviction of the least recently used keys (``--maxmemory``, ``maxmemory-policy allkeys-lru``;
README "Caching"), so that pages past the limit push out old ones instead of failing writes. The shape:

    wrk ──► haproxy :8100 ──► gunicorn app1 :8101 ─┐        ┌─► PostgreSQL primary :5432
            (health checks,   gunicorn app2 :8102 ─┼─► pgbouncer :6432 ─┤        │ streaming
             retries)                              │        └─► replica :5433 ◄───┘ replication
                                                   └─► Redis :6380/14 (cache, allkeys-lru)

One-off change to the primary, made here if needed and left in place: a ``host replication postgres
127.0.0.1/32 trust`` line in its pg_hba.conf (``pg_basebackup`` and the replica's WAL stream connect
with the replication protocol, which ``host all all`` lines do not cover), then a configuration
reload. wal_level must already be ``replica`` (a restart would be needed otherwise; the script stops).
The replica's physical replication slot (so the primary keeps the WAL the replica still needs) is
dropped at the end. ``pg_basebackup`` copies the whole cluster (every database on the primary).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from soak import Editor  # noqa: E402

HOST = "127.0.0.1"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PRIMARY_PORT = 5432
DATABASE = "lb_scale_dev_loopback"
SLOT = "letterbook_loopback"
APPLICATION_NAME = "letterbook_loopback"
EDITOR = "loopback-editor"
HBA_LINE = "host replication postgres 127.0.0.1/32 trust  # letterbook bench/loopback.py: pg_basebackup, replica"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", flush=True)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_port(port: int, seconds: float = 30, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process for port {port} exited ({process.returncode})")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {seconds} s")


def as_postgres() -> dict:
    """Popen arguments that run a program as the postgres OS user (PostgreSQL refuses root)."""
    entry = pwd.getpwnam("postgres")
    return {
        "user": entry.pw_uid,
        "group": entry.pw_gid,
        "extra_groups": [],
        "env": {**os.environ, "HOME": entry.pw_dir},
    }


def sql(port: int, query: str, params=(), database: str = "postgres", autocommit: bool = True):
    import psycopg

    with psycopg.connect(host=HOST, port=port, user="postgres", dbname=database, autocommit=autocommit) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else None


class Loopback:
    """Everything the run starts, so that ``close`` can stop it (in reverse order), whatever failed."""

    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="letterbook-loopback-"))
        os.chmod(self.work, 0o755)
        shutil.chown(self.work, "postgres", "postgres")
        self.replica_dir = self.work / "replica"
        self.processes: dict[str, subprocess.Popen] = {}
        self.replica_started = False
        self.slot_created = False
        self.database_created = False
        self.secret_key = secrets.token_urlsafe(50)
        self.editor_password = secrets.token_urlsafe(16)
        self.figures: dict = {}

    # -- the primary ---------------------------------------------------------------------------------

    def check_primary(self) -> None:
        wal_level = sql(PRIMARY_PORT, "SHOW wal_level")[0][0]
        if wal_level not in ("replica", "logical"):
            raise SystemExit(f"the primary's wal_level is {wal_level}: set it to replica and restart PostgreSQL")
        rules = sql(
            PRIMARY_PORT,
            "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND error IS NULL "
            "AND (type = 'local' OR address IN ('127.0.0.1', 'all', '0.0.0.0') OR address IS NULL)",
        )[0][0]
        if not rules:
            hba = Path(sql(PRIMARY_PORT, "SHOW hba_file")[0][0])
            say(f"one-off: allowing replication connections from 127.0.0.1 in {hba} (and reloading)")
            with hba.open("a", encoding="utf-8") as handle:
                handle.write("\n" + HBA_LINE + "\n")
            sql(PRIMARY_PORT, "SELECT pg_reload_conf()")
            time.sleep(1)
        # a slot left by an interrupted run would keep WAL on the primary for ever
        sql(
            PRIMARY_PORT,
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s AND NOT active",
            [SLOT],
        )

    def prepare_catalog(self) -> list[str]:
        """A fresh database on the primary: the samples (as ``make samples``) and, with --volumes, a
        synthetic corpus; an editor; the public URLs the load will read."""
        sql(PRIMARY_PORT, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        sql(PRIMARY_PORT, f'CREATE DATABASE "{DATABASE}"')
        self.database_created = True
        env = self.app_env(primary=f"postgres://postgres@{HOST}:{PRIMARY_PORT}/{DATABASE}", replica=None)
        os.environ.update(env)
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connections

        from catalog.models import Letter, Person, Volume

        call_command("migrate", verbosity=0)
        fixtures = ROOT / "fixtures"
        call_command("import_volume", str(fixtures / "frus1969-76v33"), volume="frus1969-76v33", publish=True)
        call_command(
            "import_volume",
            str(fixtures / "frus1981-88v04"),
            volume="frus1981-88v04",
            title="Foreign Relations of the United States, 1981–1988, Volume IV, Soviet Union, January 1983–March 1985",
            publish=True,
        )
        call_command(
            "import_volume",
            str(fixtures / "frus1969-76v33-excerpt.xml"),
            str(fixtures / "frus1944Quebec-excerpt.xml"),
            publish=True,
        )
        if self.args.volumes:
            from catalog.synthetic import generate_corpus  # branch corpus

            corpus = self.work / "corpus"
            generate_corpus(corpus, self.args.volumes, 14, documents=self.args.documents)
            call_command("import_volume", str(corpus), publish=True)
        get_user_model().objects.create_superuser(EDITOR, "loopback@example.org", self.editor_password)
        urls = ["/", "/letters/", "/letters/?page=2", "/volumes/", "/people/"]
        urls += ["/letters/?" + urlencode({"q": q}) for q in ("Brezhnev", "arms control", "Churchill")]
        urls += [letter.get_absolute_url() for letter in Letter.objects.published().select_related("volume")[:200]]
        urls += [volume.get_absolute_url() for volume in Volume.objects.all()]
        people = Person.objects.filter(letter_links__isnull=False).distinct()[:30]
        urls += [person.get_absolute_url() for person in people]
        self.figures["catalog"] = {
            "letters": Letter.objects.count(),
            "volumes": Volume.objects.count(),
            "urls": len(urls),
        }
        connections.close_all()
        return urls

    # -- the replica, the pooler, the cache ------------------------------------------------------------

    def start_replica(self) -> None:
        say("pg_basebackup from the primary (the whole cluster) ...")
        started = time.monotonic()
        for attempt in range(1, 4):
            # The slot first (reserving WAL at once), then the copy that streams into it. A checkpoint
            # forced by someone else's CREATE DATABASE at the wrong moment can invalidate a slot being
            # filled (PostgreSQL 15): then the slot is made anew and the copy taken again.
            sql(PRIMARY_PORT, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = %s AND NOT active", [SLOT])  # fmt: skip
            sql(PRIMARY_PORT, "SELECT pg_create_physical_replication_slot(%s, true)", [SLOT])
            self.slot_created = True
            copy = subprocess.run(
                [str(PG_BIN / "pg_basebackup"), "-h", HOST, "-p", str(PRIMARY_PORT), "-U", "postgres",
                 "-D", str(self.replica_dir), "-X", "stream", "-c", "fast", "-S", SLOT, "--no-sync"],
                check=False, **as_postgres(),
            )  # fmt: skip
            if copy.returncode == 0:
                break
            shutil.rmtree(self.replica_dir, ignore_errors=True)
            say(f"pg_basebackup failed (attempt {attempt}); again")
        else:
            raise RuntimeError("pg_basebackup failed three times")
        self.figures["basebackup_attempts"] = attempt
        self.figures["basebackup_seconds"] = round(time.monotonic() - started, 1)
        self.figures["basebackup_mb"] = round(
            sum(f.stat().st_size for f in self.replica_dir.rglob("*") if f.is_file()) / 2**20
        )
        # Debian keeps postgresql.conf and pg_hba.conf in /etc, so the copy has none: the replica's own.
        # A hot standby needs these at least as high as on the primary.
        names = ["max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
                 "max_locks_per_transaction"]  # fmt: skip
        values = dict(sql(PRIMARY_PORT, "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [names]))
        conf = [
            f"port = {self.args.replica_port}",
            f"listen_addresses = '{HOST}'",
            f"unix_socket_directories = '{self.work}'",
            f"hba_file = '{self.work / 'replica_hba.conf'}'",
            f"ident_file = '{self.work / 'replica_ident.conf'}'",
            # a throwaway copy: no fsync (nor the fsync of the whole copy before recovery)
            "fsync = off",
            "hot_standby = on",
            "hot_standby_feedback = on",
            "shared_buffers = 64MB",
            f"primary_conninfo = 'host={HOST} port={PRIMARY_PORT} user=postgres application_name={APPLICATION_NAME}'",
            f"primary_slot_name = '{SLOT}'",
            *(f"{name} = {values[name]}" for name in names),
        ]
        (self.replica_dir / "postgresql.conf").write_text("\n".join(conf) + "\n")
        (self.work / "replica_hba.conf").write_text(f"local all all trust\nhost all all {HOST}/32 trust\n")
        (self.work / "replica_ident.conf").write_text("")
        (self.replica_dir / "standby.signal").touch()
        for path in (self.replica_dir / "postgresql.conf", self.replica_dir / "standby.signal",
                     self.work / "replica_hba.conf", self.work / "replica_ident.conf"):  # fmt: skip
            shutil.chown(path, "postgres", "postgres")
        started = subprocess.run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.replica_dir), "-l", str(self.work / "replica.log"),
             "-w", "-t", "300", "start"],
            check=False, stdout=subprocess.DEVNULL, **as_postgres(),
        )  # fmt: skip
        self.replica_started = True
        if started.returncode:
            log = (self.work / "replica.log").read_text(errors="replace")
            # A hot standby opens once every transaction open on the primary at the copy has ended.
            oldest = sql(PRIMARY_PORT, "SELECT datname, state, now() - xact_start FROM pg_stat_activity "
                         "WHERE xact_start IS NOT NULL ORDER BY xact_start LIMIT 3")  # fmt: skip
            raise RuntimeError(
                "the replica did not start (a long transaction on the primary? oldest now: "
                f"{oldest}):\n" + "\n".join(log.splitlines()[-15:])
            )
        self.replica_started = True
        in_recovery = sql(self.args.replica_port, "SELECT pg_is_in_recovery()", database=DATABASE)[0][0]
        assert in_recovery, "the replica is not in recovery"
        say(f"replica streaming on {HOST}:{self.args.replica_port}")

    def start_pgbouncer(self) -> None:
        ini = self.work / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"lb_primary = host={HOST} port={PRIMARY_PORT} dbname={DATABASE}\n"
            f"lb_replica = host={HOST} port={self.args.replica_port} dbname={DATABASE}\n"
            "[pgbouncer]\n"
            f"listen_addr = {HOST}\nlisten_port = {self.args.pgbouncer_port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.work / 'userlist.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 12\nmax_client_conn = 400\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.work / 'pgbouncer.log'}\npidfile = {self.work / 'pgbouncer.pid'}\n"
            "admin_users = postgres\nstats_users = postgres\n"
        )
        (self.work / "userlist.txt").write_text('"postgres" ""\n')
        for path in (ini, self.work / "userlist.txt"):
            shutil.chown(path, "postgres", "postgres")
        self.processes["pgbouncer"] = subprocess.Popen(
            ["pgbouncer", str(ini)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_postgres()
        )
        wait_port(self.args.pgbouncer_port, process=self.processes["pgbouncer"])

    def start_redis(self) -> None:
        """The shared cache, as production's must be configured: bounded memory, least recently used
        keys evicted (a full Redis with the default ``noeviction`` refuses every write)."""
        self.processes["redis"] = subprocess.Popen(
            ["redis-server", "--bind", HOST, "--port", str(self.args.redis_port), "--dir", str(self.work),
             "--save", "", "--appendonly", "no", "--maxmemory", self.args.redis_maxmemory,
             "--maxmemory-policy", "allkeys-lru"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(self.args.redis_port, process=self.processes["redis"])
        policy = subprocess.run(
            ["redis-cli", "-p", str(self.args.redis_port), "CONFIG", "GET", "maxmemory-policy"],
            check=True, capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        if policy != ["maxmemory-policy", "allkeys-lru"]:
            raise SystemExit(f"Redis on port {self.args.redis_port} is not ours (maxmemory-policy {policy[1:]})")

    # -- the app servers and the balancer ------------------------------------------------------------

    def app_env(self, primary: str, replica: str | None) -> dict[str, str]:
        env = {
            "DATABASE_URL": primary,
            "DEBUG": "0",
            "SECRET_KEY": self.secret_key,  # the same on every app server: sessions, CSRF, signed cookies
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "BEHIND_PROXY": "1",
            "CACHE_URL": f"redis://{HOST}:{self.args.redis_port}/{self.args.redis_db}",
            "DJANGO_SETTINGS_MODULE": "archive.settings",
        }
        if replica:
            env.update(DATABASE_REPLICA_URL=replica, DATABASE_POOLER="pgbouncer")
        return env

    def start_app(self, name: str, port: int) -> None:
        bouncer = f"postgres://postgres@{HOST}:{self.args.pgbouncer_port}"
        env = {**os.environ, **self.app_env(f"{bouncer}/lb_primary", f"{bouncer}/lb_replica")}
        self.processes[name] = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "archive.wsgi:application", "--bind", f"{HOST}:{port}",
             "--workers", str(self.args.workers), "--worker-class", "gthread", "--threads", "4",
             "--log-level", "warning", "--error-logfile", str(self.work / f"{name}.log")],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: master and workers are killed together
        )  # fmt: skip
        wait_port(port, process=self.processes[name])

    def start_haproxy(self) -> None:
        cfg = self.work / "haproxy.cfg"
        cfg.write_text(f"""global
    maxconn 4096
    stats socket {self.work / "haproxy.sock"} mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout check 5s
    timeout client 30s
    timeout server 30s
    # a request that found its server dead is sent again, to another server (idempotent GETs)
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 502 503 504
frontend www
    bind {HOST}:{self.args.port}
    option forwardfor
    http-request set-header X-Forwarded-Proto http
    default_backend app
backend app
    balance roundrobin
    option httpchk
    # a light page that needs the app and its databases; a dead server refuses at once
    http-check send meth GET uri /volumes/ ver HTTP/1.1 hdr Host {HOST}
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
    server app1 {HOST}:{self.args.port + 1} check
    server app2 {HOST}:{self.args.port + 2} check
""")
        self.processes["haproxy"] = subprocess.Popen(
            ["haproxy", "-f", str(cfg), "-db"],
            stdout=subprocess.DEVNULL,
            stderr=open(self.work / "haproxy.log", "w"),  # noqa: SIM115
        )
        wait_port(self.args.port, process=self.processes["haproxy"])
        deadline = time.monotonic() + 20
        while (states := self.server_states()) != {"app1": "UP", "app2": "UP"}:
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy: app servers not UP: {states}")
            time.sleep(0.2)

    def server_states(self) -> dict[str, str]:
        return {s["svname"]: s["status"] for s in self.haproxy_stat() if s["svname"] != "BACKEND"}

    def haproxy_stat(self) -> list[dict]:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.work / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().strip().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
        return [r for r in rows if r["pxname"] == "app" and r["svname"] in ("app1", "app2", "BACKEND")]

    # -- the load -----------------------------------------------------------------------------------

    def wrk(self, port: int, seconds: float, urls: list[str], on_start=None) -> dict:
        script = self.work / "paths.lua"
        script.write_text(
            "local paths = {"
            + ",".join(json.dumps(u) for u in urls)
            + "}\n"
            + (Path(__file__).parent / "loopback.lua").read_text()
        )
        duration = f"{max(1, round(seconds))}s"
        command = ["wrk", "-t", "2", "-c", str(self.args.connections), "-d", duration, "--timeout", "20s",
                   "-s", str(script), f"http://{HOST}:{port}"]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        if on_start:
            on_start()
        out, _ = process.communicate()
        match = re.search(r"^LOOPBACK_JSON (.*)$", out, re.M)
        if not match:
            raise RuntimeError(f"wrk said:\n{out}")
        return json.loads(match.group(1))

    def replica_transactions(self) -> tuple[int, int]:
        query = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s"
        return (
            sql(PRIMARY_PORT, query, [DATABASE])[0][0],
            sql(self.args.replica_port, query, [DATABASE])[0][0],
        )

    def replication_lag(self) -> dict:
        row = sql(
            PRIMARY_PORT,
            "SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), "
            "extract(epoch FROM write_lag) * 1000, extract(epoch FROM flush_lag) * 1000, "
            "extract(epoch FROM replay_lag) * 1000 FROM pg_stat_replication WHERE application_name = %s",
            [APPLICATION_NAME],
        )[0]
        state, behind, write_ms, flush_ms, replay_ms = row
        return {
            "state": state,
            "bytes_behind": int(behind or 0),
            "write_lag_ms": round(float(write_ms or 0), 2),
            "flush_lag_ms": round(float(flush_ms or 0), 2),
            "replay_lag_ms": round(float(replay_ms or 0), 2),
        }

    # -- the editor ---------------------------------------------------------------------------------

    def editor_save(self) -> dict:
        """Log in through the balancer, retitle a volume in the admin, read the public page back at once."""
        browser = Browser(self.args.port)
        login = [(k, v) for k, v in browser.form("/admin/login/") if k not in ("username", "password")]
        status, _, _ = browser.request(
            "POST", "/admin/login/?next=/admin/", login + [("username", EDITOR), ("password", self.editor_password)]
        )
        assert status == 302, f"login → {status}"
        volume_pk, identifier = sql(
            PRIMARY_PORT,
            "SELECT id, identifier FROM catalog_volume WHERE identifier = 'frus1981-88v04'",
            database=DATABASE,
        )[0]
        path = f"/admin/catalog/volume/{volume_pk}/change/"
        marker = f"Edited at {time.strftime('%H:%M:%S')} {secrets.token_hex(3)}"
        title = f"Foreign Relations of the United States, 1981–1988, Volume IV, {marker}"
        data = [(k, v) for k, v in browser.form(path) if k != "title"] + [("title", title), ("_continue", "1")]
        seen_on_replica: list[float] = []

        def watch_replica():
            # how long the replica itself takes to show the save: the window a stale read would fall in
            import psycopg

            with psycopg.connect(host=HOST, port=self.args.replica_port, user="postgres", dbname=DATABASE,
                                 autocommit=True) as conn:  # fmt: skip
                while time.monotonic() - saved_at < 30:
                    row = conn.execute("SELECT title FROM catalog_volume WHERE id = %s", [volume_pk]).fetchone()
                    if marker in row[0]:
                        seen_on_replica.append(time.monotonic())
                        return
                    time.sleep(0.0005)

        saved_at = time.monotonic()
        status, location, _ = browser.request("POST", path, data)
        answered_at = time.monotonic()
        assert status == 302 and location.endswith(path), f"save → {status} {location}"
        watcher = threading.Thread(target=watch_replica)
        watcher.start()
        # at once, through the balancer (either app server), the public page as the editor sees it
        status, _, page = browser.request("GET", f"/volumes/{identifier}/")
        editor_read_ms = (time.monotonic() - answered_at) * 1000
        editor_sees = marker in page.decode()
        # and after logging out (the same browser; its last write marks it for the primary a while)
        status_out, _, _ = browser.request("POST", "/admin/logout/", [("csrfmiddlewaretoken", browser.csrf())])
        status, _, page = browser.request("GET", f"/volumes/{identifier}/")
        logged_out_sees = marker in page.decode()
        watcher.join()
        if not seen_on_replica:
            raise RuntimeError("the replica never showed the save")
        replica_visible_ms = max(0.0, (seen_on_replica[0] - answered_at) * 1000)
        return {
            "save_status": 302,
            "editor_read_back_at_once": editor_sees,
            "editor_read_ms_after_save": round(editor_read_ms, 1),
            "logged_out_read_back_at_once": logged_out_sees,
            "logout_status": status_out,
            "save_response_ms": round((answered_at - saved_at) * 1000, 1),
            "replica_showed_save_ms_after_response": round(replica_visible_ms, 1),
            "app_servers_used_by_editor": "both (round robin); sessions in PostgreSQL, one SECRET_KEY",
        }

    # -- all of it ----------------------------------------------------------------------------------

    def run(self) -> dict:
        args = self.args
        for port in (args.port, args.port + 1, args.port + 2, args.pgbouncer_port, args.replica_port, args.redis_port):
            if not port_free(port):
                raise SystemExit(
                    f"port {port} is in use: choose others (--port, --pgbouncer-port, --replica-port, --redis-port)"
                )
        self.check_primary()
        say(f"catalog into {DATABASE} on the primary ...")
        urls = self.prepare_catalog()
        self.start_replica()
        self.start_pgbouncer()
        self.start_redis()
        self.start_app("app1", args.port + 1)
        self.start_app("app2", args.port + 2)
        self.start_haproxy()
        say("haproxy balancing app1 and app2; both UP")
        # only pages that answer 200 through the balancer
        urls = [u for u in urls if Browser(args.port).request("GET", u)[0] == 200]
        seconds = args.seconds

        say(f"wrk {seconds / 3:.0f} s straight at app1 (the baseline) ...")
        baseline = self.wrk(args.port + 1, seconds / 3, urls)
        say(f"wrk {seconds / 3:.0f} s through haproxy, two app servers ...")
        before = self.replica_transactions()
        balanced = self.wrk(args.port, seconds / 3, urls)
        after = self.replica_transactions()
        lag_under_load = self.replication_lag()
        say("an editor's save through the balancer ...")
        editor = self.editor_save()

        say(f"wrk {seconds:.0f} s through haproxy; app2 killed (SIGKILL) after {seconds / 3:.0f} s ...")
        events: dict[str, float] = {}
        stop = threading.Event()

        def kill_later():
            time.sleep(seconds / 3)
            os.killpg(self.processes["app2"].pid, signal.SIGKILL)
            events["killed"] = time.monotonic()
            while not stop.is_set():
                if self.server_states().get("app2", "").startswith("DOWN"):
                    events["down"] = time.monotonic()
                    return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_later, daemon=True)
        failover = self.wrk(args.port, seconds, urls, on_start=killer.start)
        stop.set()
        killer.join()
        stats = {s["svname"]: s for s in self.haproxy_stat()}
        self.processes["app2"].wait()
        self.figures.update(
            baseline_one_app_server=baseline,
            balanced_two_app_servers=balanced,
            balanced_to_baseline=round(balanced["requests_per_s"] / baseline["requests_per_s"], 2),
            transactions_during_balanced_run={"primary": after[0] - before[0], "replica": after[1] - before[1]},
            replication_lag_after_load=lag_under_load,
            editor=editor,
            failover=failover,
            failover_detected_after_s=round(events["down"] - events["killed"], 2) if "down" in events else None,
            haproxy_retries=int(stats["BACKEND"]["wretr"] or 0),
            haproxy_redispatches=int(stats["BACKEND"]["wredis"] or 0),
            haproxy_5xx_to_clients=int(stats["BACKEND"]["hrsp_5xx"] or 0),
            replication_lag_at_end=self.replication_lag(),
        )
        return self.figures

    def close(self) -> None:
        for name in ("haproxy", "app1", "app2", "pgbouncer", "redis"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                if name.startswith("app"):
                    os.killpg(process.pid, signal.SIGTERM)
                else:
                    process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL) if name.startswith("app") else process.kill()
        if self.replica_started:
            subprocess.run(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.replica_dir), "-m", "fast", "-w", "stop"],
                check=False, stdout=subprocess.DEVNULL, **as_postgres(),
            )  # fmt: skip
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if self.slot_created:
            with contextlib.suppress(Exception):
                sql(PRIMARY_PORT, "SELECT pg_drop_replication_slot(%s)", [SLOT])
        if self.database_created and not self.args.keep_database:
            with contextlib.suppress(Exception):
                sql(PRIMARY_PORT, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        shutil.rmtree(self.work, ignore_errors=True)
        say("stopped and removed: haproxy, app servers, pgbouncer, Redis, replica, its slot, the database")


class Browser(Editor):
    """A cookie jar through the balancer: the soak test's editor (its ``request`` and ``form``, as a
    browser posts the admin's forms), driven step by step here instead of its save loop."""

    def __init__(self, port: int):
        super().__init__(port, letter_pk=0, stop=threading.Event())

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


def report(figures: dict) -> str:
    base, bal, fail, editor = (
        figures[k] for k in ("baseline_one_app_server", "balanced_two_app_servers", "failover", "editor")
    )

    def line(label, run):
        return (
            f"  {label:<38} {run['requests']:>7} requests  {run['requests_per_s']:>7.1f}/s  "
            f"p50 {run['p50_ms']:>6.1f} ms  p99 {run['p99_ms']:>7.1f} ms  "
            f"non-2xx {run['non_2xx']}  socket errors {run['socket_errors']}"
        )

    tx = figures["transactions_during_balanced_run"]
    lag = figures["replication_lag_after_load"]
    return "\n".join([
        f"catalog: {figures['catalog']['letters']} letters in {figures['catalog']['volumes']} volumes; "
        f"{figures['catalog']['urls']} public URLs in rotation",
        f"replica: pg_basebackup of the cluster ({figures['basebackup_mb']} MB) in {figures['basebackup_seconds']} s",
        line("one app server, direct (baseline)", base),
        line("haproxy, two app servers", bal),
        f"  ratio balanced / baseline: {figures['balanced_to_baseline']}",
        line("haproxy, app2 killed mid-run", fail),
        f"  app2 marked DOWN by haproxy {figures['failover_detected_after_s']} s after the kill; "
        f"haproxy retried {figures['haproxy_retries']} requests, redispatched {figures['haproxy_redispatches']}; "
        f"5xx sent to clients: {figures['haproxy_5xx_to_clients']}",
        f"database transactions during the balanced run: primary {tx['primary']}, replica {tx['replica']}",
        f"replication lag right after the load: {lag['bytes_behind']} bytes behind; write {lag['write_lag_ms']} ms, "
        f"flush {lag['flush_lag_ms']} ms, replay {lag['replay_lag_ms']} ms",
        f"editor's save through the balancer: read back at once by the editor: {editor['editor_read_back_at_once']} "
        f"({editor['editor_read_ms_after_save']} ms after the save); by the same browser logged out: "
        f"{editor['logged_out_read_back_at_once']} (logout answered {editor['logout_status']}); "
        f"the save took {editor['save_response_ms']} ms; the replica itself showed it "
        f"{editor['replica_showed_save_ms_after_response']} ms after the save's response",
    ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="the failover run; the others take a third")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app server")
    parser.add_argument("--port", type=int, default=8100, help="haproxy; the app servers take the next two")
    parser.add_argument("--pgbouncer-port", type=int, default=6432)
    parser.add_argument("--replica-port", type=int, default=5433)
    parser.add_argument("--redis-port", type=int, default=6380, help="the Redis this script starts")
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--redis-maxmemory", default="256mb", help="its memory limit (allkeys-lru past it)")
    parser.add_argument("--volumes", type=int, default=0, help="also a synthetic corpus (catalog.synthetic)")
    parser.add_argument("--documents", type=int, default=None, help="documents per synthetic volume")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: PostgreSQL's and pgbouncer's programs are started as the postgres user")
    for program in (
        "haproxy",
        "pgbouncer",
        "wrk",
        "redis-server",
        "redis-cli",
        str(PG_BIN / "pg_ctl"),
        "pg_basebackup",
    ):
        if not shutil.which(program):
            raise SystemExit(f"{program} not found (apt-get install postgresql-15 pgbouncer haproxy wrk redis-server)")

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    loopback = Loopback(args)
    try:
        figures = loopback.run()
    finally:
        loopback.close()
    print("\n== Beyond one machine: figures ==")
    print(report(figures))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    ok = (
        figures["failover"]["non_2xx"] == 0
        and figures["failover"]["socket_errors"] == 0
        and figures["editor"]["editor_read_back_at_once"]
        and figures["editor"]["logged_out_read_back_at_once"]
    )
    print("verdict:", "zero failed requests; the editor's save read back at once" if ok else "FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
