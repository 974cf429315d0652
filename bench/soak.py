"""Soak: a real gunicorn on loopback under 200 concurrent connections for 60 s, over the list,
search and letter pages, while a volume is imported and an editor saves a letter again and again.

Reports the responses by status (5xx must be zero), lost writes (every save the admin accepted must
be the letter's last title and have its Revision; the import must hold every document), latency,
and the server's memory over time. Not part of CI; figures go in docs/reliability.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_soak .venv/bin/python bench/soak.py

The database named by DATABASE_URL is created if missing and EMPTIED. The load generator is this
script (asyncio, HTTP/1.1 keep-alive), bounded to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
HOST = "127.0.0.1"
EDITOR, EDITOR_PASSWORD = "soak-editor", secrets.token_urlsafe(12)


def server_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        # Plain HTTP on loopback: no TLS to redirect to.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        DJANGO_SETTINGS_MODULE="archive.settings",
    )
    return env


def prepare(database_url: str, env: dict[str, str], workdir: Path, size_mb: float) -> tuple[Path, int, list[str]]:
    """A fresh database with the samples published, an editor, a synthetic volume to import; the URLs."""
    if database_url.startswith("postgres"):
        import psycopg

        parts = urlsplit(database_url)
        name = parts.path.lstrip("/")
        admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(env)
    import django

    django.setup()
    from bench_tei_parse import build_volume
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from catalog.ingest.pipeline import import_paths
    from catalog.models import Letter, Person, Volume

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    fixtures = ROOT / "fixtures"
    for paths, options in [
        ([fixtures / "frus1969-76v33"], {"identifier": "frus1969-76v33"}),
        ([fixtures / "frus1981-88v04"], {"identifier": "frus1981-88v04"}),
        ([fixtures / "frus1969-76v33-excerpt.xml", fixtures / "frus1944Quebec-excerpt.xml"], {}),
    ]:
        assert not import_paths(paths, publish=True, **options).failures
    get_user_model().objects.create_superuser(EDITOR, "soak@example.org", EDITOR_PASSWORD)
    volume = workdir / "soak-volume.xml"
    documents = build_volume(volume, size_mb)
    text = volume.read_text(encoding="utf-8")
    volume.write_text(text.replace('<idno type="frus">frus1969-76v33</idno>', '<idno type="frus">frus-soak</idno>', 1))
    urls = ["/", "/letters/", "/letters/?page=2"]
    for q in ("Brezhnev", "arms control", '"strategic arms"', "Soviet -Carter", "negotiations", "Churchill"):
        urls.append("/letters/?" + urlencode({"q": q}))
    urls += [letter.get_absolute_url() for letter in Letter.objects.published().select_related("volume")]
    urls += [volume.get_absolute_url() for volume in Volume.objects.all()]
    urls += [person.get_absolute_url() for person in Person.objects.filter(letter_links__isnull=False).distinct()[:20]]
    from django.db import connections

    connections.close_all()
    return volume, documents, urls


# -- the load ----------------------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.by_kind: Counter[str] = Counter()


async def read_response(reader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked, close = 0, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return -status if close else status


async def connection_loop(urls: list[str], port: int, deadline: float, stats: Stats) -> None:
    reader = writer = None
    while time.monotonic() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            url = random.choice(urls)
            started = time.monotonic()
            writer.write(f"GET {url} HTTP/1.1\r\nHost: {HOST}\r\nConnection: keep-alive\r\n\r\n".encode())
            await writer.drain()
            status = await asyncio.wait_for(read_response(reader), timeout=60)
            stats.latencies.append(time.monotonic() - started)
            stats.statuses[abs(status)] += 1
            stats.by_kind["search" if "q=" in url else "list" if url.startswith(("/letters/", "/?")) else "page"] += 1
            if status < 0:
                writer.close()
                writer = None
        except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
            stats.errors[type(error).__name__] += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


async def drive(urls: list[str], port: int, connections: int, seconds: float) -> Stats:
    stats = Stats()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(connection_loop(urls, port, deadline, stats) for _ in range(connections)))
    return stats


# -- the editor --------------------------------------------------------------------------------------


class Editor(threading.Thread):
    """Logs in to the admin and saves one letter's title again and again, as a browser would."""

    def __init__(self, port: int, letter_pk: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.letter_pk, self.stop = port, letter_pk, stop
        self.cookies: dict[str, str] = {}
        self.accepted: list[str] = []
        self.refused: Counter[int] = Counter()
        self.error = ""

    def request(self, method: str, path: str, data: list[tuple[str, str]] | None = None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data)
            headers.update(
                {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://{HOST}:{self.port}{path}"}
            )
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";")[0]
        conn.close()
        return response.status, response.getheader("Location") or "", content

    def form(self, path: str) -> list[tuple[str, str]]:
        import lxml.html

        status, _, content = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} → {status}")
        document = lxml.html.fromstring(content.decode())
        # the admin's change form (``letter_form``) when the page has one: the change page also holds
        # the workflow's move forms
        forms = [f for f in document.forms if f.get("id") != "logout-form"]
        form = next((f for f in forms if (f.get("id") or "").endswith("_form")), forms[0])
        textareas = {area.name for area in form.iter("textarea")}
        values = []
        for name, value in form.form_values():
            if name in textareas and value.startswith("\n"):
                value = value[1:]
            values.append((name, value))
        return values

    def run(self):
        try:
            login = self.form("/admin/login/")
            login = [(k, v) for k, v in login if k not in ("username", "password")]
            status, location, _ = self.request(
                "POST", "/admin/login/?next=/admin/", login + [("username", EDITOR), ("password", EDITOR_PASSWORD)]
            )
            if status != 302:
                raise RuntimeError(f"login → {status}")
            path = f"/admin/catalog/letter/{self.letter_pk}/change/"
            number = 0
            while not self.stop.is_set():
                number += 1
                title = f"Soak edit {number}"
                data = [(k, title if k == "title" else v) for k, v in self.form(path)]
                data.append(("_continue", "Save and continue editing"))
                status, location, _ = self.request("POST", path, data)
                if status == 302 and location.rstrip("/").endswith(f"{self.letter_pk}/change"):
                    self.accepted.append(title)
                else:
                    self.refused[status] += 1
                time.sleep(0.2)
        except Exception as error:  # reported, never hidden
            self.error = f"{type(error).__name__}: {error}"


# -- memory ------------------------------------------------------------------------------------------


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (gunicorn's master and workers)."""
    pids, total = [pid], 0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    pids += [int(c) for c in children]
    for one in pids:
        try:
            status = Path(f"/proc/{one}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total / 1024


def sample_memory(pid: int, stop: threading.Event, samples: list[tuple[float, float]]):
    started = time.monotonic()
    while not stop.is_set():
        samples.append((time.monotonic() - started, tree_rss_mb(pid)))
        stop.wait(2)


# -- main --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--import-mb", type=float, default=4.0, help="size of the volume imported during the load")
    parser.add_argument("--port", type=int, default=8100 + random.randrange(800))
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the same load after the first")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/lb_soak"
    env = server_env(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="letterbook-soak-"))
    print(f"preparing {database_url.split('@')[-1]} …", flush=True)
    volume, documents, urls = prepare(database_url, env, workdir, args.import_mb)

    from catalog.models import Letter, Revision

    letter = Letter.objects.get(volume__identifier="frus1981-88v04", number=328)
    revisions_before = Revision.objects.filter(letter=letter, origin=Revision.Origin.EDITOR).count()

    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "archive.wsgi:application", "--bind", f"{HOST}:{args.port}", "--workers", str(args.workers),
         "--worker-class", "gthread", "--threads", str(args.threads), "--backlog", "2048", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / "gunicorn.log", "w"),  # noqa: SIM115
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection(HOST, args.port, timeout=2).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        print(
            f"gunicorn on {HOST}:{args.port}: {args.workers} workers × {args.threads} threads; "
            f"{args.connections} connections for {args.seconds:.0f} s over {len(urls)} URLs; "
            f"importing {documents} documents ({volume.stat().st_size / 1e6:.1f} MB) meanwhile",
            flush=True,
        )
        stop = threading.Event()
        memory: list[tuple[float, float]] = []
        threading.Thread(target=sample_memory, args=(server.pid, stop, memory), daemon=True).start()
        editor_stop = threading.Event()
        editor = Editor(args.port, letter.pk, editor_stop)
        editor.start()
        import_started = time.monotonic()
        importer = subprocess.Popen(
            [sys.executable, "manage.py", "import_volume", str(volume), "--publish"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        stats = asyncio.run(drive(urls, args.port, args.connections, args.seconds))
        editor_stop.set()
        editor.join(timeout=90)
        import_output, _ = importer.communicate(timeout=1800)
        import_seconds = time.monotonic() - import_started
        rounds = [(stats, tree_rss_mb(server.pid))]
        # The same load again, import done: memory that keeps growing round after round is a leak.
        for _ in range(args.repeat):
            more = asyncio.run(drive(urls, args.port, args.connections, args.seconds))
            rounds.append((more, tree_rss_mb(server.pid)))
        stop.set()
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: requests still queued are answered first
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    letter.refresh_from_db()
    revisions = Revision.objects.filter(letter=letter, origin=Revision.Origin.EDITOR).count() - revisions_before
    imported = Letter.objects.filter(volume__identifier="frus-soak").count()
    total = sum(stats.statuses.values())
    server_errors = sum(n for status, n in stats.statuses.items() if status >= 500)
    latencies = sorted(stats.latencies)
    lost = []
    if editor.accepted and letter.title != editor.accepted[-1]:
        lost.append(f"letter title {letter.title!r}, last accepted save {editor.accepted[-1]!r}")
    if revisions != len(editor.accepted):
        lost.append(f"{len(editor.accepted)} saves accepted, {revisions} revisions recorded")
    if imported != documents:
        lost.append(f"import: {imported} of {documents} documents in the database")
    first = statistics.mean(m for t, m in memory[:5]) if memory else 0
    last = statistics.mean(m for t, m in memory[-5:]) if memory else 0

    rate = total / args.seconds
    print(f"requests: {total} in {args.seconds:.0f} s ({rate:.0f}/s); by status {dict(sorted(stats.statuses.items()))}")
    print(f"  by kind {dict(stats.by_kind)}; connection errors {dict(stats.errors) or 0}")
    if latencies:
        ms = [latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 for q in (0.5, 0.9, 0.99)]
        print(f"  latency ms: p50 {ms[0]:.0f}, p90 {ms[1]:.0f}, p99 {ms[2]:.0f}, max {latencies[-1] * 1000:.0f}")
    print(f"5xx in round 1: {server_errors}")
    refused = dict(editor.refused) or 0
    print(f"editor: {len(editor.accepted)} saves accepted, refused {refused}, {revisions} revisions recorded")
    if editor.error:
        print(f"editor error: {editor.error}")
    summary = import_output.strip().splitlines()[-1] if import_output.strip() else ""
    print(f"import: exit {importer.returncode} after {import_seconds:.0f} s, {imported}/{documents} documents")
    print(f"  {summary}")
    print(f"lost writes: {len(lost)}{': ' + '; '.join(lost) if lost else ''}")
    print(
        f"server RSS (master + workers): first 10 s {first:.0f} MB, last 10 s {last:.0f} MB, "
        f"max {max((m for _, m in memory), default=0):.0f} MB over {len(memory)} samples"
    )
    for number, (one, rss) in enumerate(rounds, start=1):
        count = sum(one.statuses.values())
        errors = sum(n for status, n in one.statuses.items() if status >= 500)
        what = "with the import and the editor" if number == 1 else "the same load again"
        print(f"  round {number} ({what}): {count} requests, {errors} 5xx, server RSS at its end {rss:.0f} MB")
    server_errors = sum(n for one, _ in rounds for status, n in one.statuses.items() if status >= 500)
    print(f"5xx in all rounds: {server_errors}")
    timeline = ", ".join(f"{t:.0f} s {m:.0f}" for t, m in memory[:: max(1, len(memory) // 8)])
    print(f"  RSS MB over time: {timeline}")
    # The verdict is the issue's: no 5xx, no lost write, the import whole. A client time-out (60 s) is
    # a saturated server, not an error or a loss: reported above, and the scale issue's to remove.
    timed_out = editor.error.startswith("TimeoutError")
    if timed_out:
        print("  the editor's last request timed out (the server was saturated); no accepted save was lost")
    ok = server_errors == 0 and not lost and (not editor.error or timed_out) and importer.returncode == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
