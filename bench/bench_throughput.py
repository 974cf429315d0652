"""Benchmark: requests/s of anonymous readers under load — gunicorn serving the app (DEBUG off) and wrk
(Debian's) against a bare Django "hello" view, the letter page, ``/letters/`` and a search, in the
same run; each page's requests/s as a ratio to the bare view's, non-2xx responses, time-outs, p50
and p99 latency, against the issue's targets (letter ≥ 40 %, ``/letters/`` ≥ 20 %, zero errors and
zero time-outs).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_scale_10k .venv/bin/python bench/bench_throughput.py \\
        --connections 32 --duration 20

The server runs ``bench.settings`` (the project's settings, plus the bare view's URL in
``bench/urls.py``; the production URLs are untouched). The database is only read.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402

HOST = "127.0.0.1"
HELLO = "/__bench__/hello/"
SERVER_LOG = Path(tempfile.gettempdir()) / "letterbook-bench-gunicorn.log"
# (key, label, floor on the ratio to the bare view; None: no target)
TARGETS = [
    ("hello", "bare Django view", None),
    ("letter", "letter page", 0.40),
    ("list", "/letters/", 0.20),
    ("search", "search (rare word)", None),
]
COLUMNS = ["page", "rps", "ratio", "target", "verdict", "requests", "non2xx", "errors", "timeouts", "p50_ms", "p99_ms"]

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(text: str) -> float:
    """A wrk duration (``812.00us``, ``1.20ms``, ``2.01s``, ``1.5m``) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> dict:
    """The figures of ``wrk --latency``'s report."""
    figures = {"requests": 0, "rps": 0.0, "non2xx": 0, "errors": 0, "timeouts": 0, "p50_ms": None, "p99_ms": None}
    if match := re.search(r"^\s*(\d+) requests in", output, re.M):
        figures["requests"] = int(match[1])
    if match := re.search(r"^Requests/sec:\s*([\d.]+)", output, re.M):
        figures["rps"] = float(match[1])
    if match := re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output):
        figures["non2xx"] = int(match[1])
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        figures["errors"] = int(match[1]) + int(match[2]) + int(match[3])
        figures["timeouts"] = int(match[4])
    for name, percent in (("p50_ms", "50"), ("p99_ms", "99")):
        if match := re.search(rf"^\s*{percent}(?:\.0+)?%\s+(\S+)", output, re.M):
            figures[name] = to_ms(match[1]) or None  # 0: no request answered in time, no latency
    return figures


def judge(rows: list[dict]) -> None:
    """Ratios to the bare view and the verdicts, in place: a page misses when under its floor, or
    when any request failed or timed out, or none was answered."""
    base = next((row["rps"] for row in rows if row["key"] == "hello"), 0.0)
    for row in rows:
        row["ratio"] = row["rps"] / base if base else None
        outcome = benchlib.verdict(row["ratio"], row.get("target"), at_most=False)
        # No request answered within the run is a failure too (wrk then counts no time-out).
        failed = row["non2xx"] or row["errors"] or row["timeouts"] or not row["requests"]
        if row["key"] == "hello":
            row["verdict"] = "MISSED" if failed else "-"
        elif failed:
            row["verdict"] = "MISSED"
        else:
            row["verdict"] = outcome["verdict"] if row.get("target") is not None else "OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(database_url: str) -> dict[str, str]:
    """The soak test's server environment (DEBUG off, plain HTTP on loopback), with the bench settings."""
    from soak import server_env as soak_env

    return {**soak_env(database_url), "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONPATH": str(ROOT)}


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn) if gunicorn.exists() else "gunicorn", "archive.wsgi:application"]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(workers), "--chdir", str(ROOT)]
    command += ["--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"]
    # Its errors go to a file (the quick shutdown's tracebacks would bury the figures): SERVER_LOG.
    with open(SERVER_LOG, "a", encoding="utf-8") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}{HELLO}", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: no waiting for slow requests
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run_wrk(url: str, connections: int, duration: float, threads: int, timeout: float) -> tuple[dict, str]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", f"--timeout={timeout:g}s"]
    command += ["--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output), output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", "-c", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--duration", "-d", type=float, default=5.0, help="seconds per page (default 5; the issue: 20)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--timeout", type=float, default=2.0, help="wrk's request time-out in s (default 2, wrk's)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers (default: CPUs)")
    parser.add_argument("--rare-word", default="", help="the word searched (default: a rare one from the data)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    # Stopped from outside (run.py's time-out, kill): leave no gunicorn behind (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    from bench_read import pick_urls, setup_django

    setup_django()
    from django.conf import settings
    from django.db import connection, connections

    from catalog.models import Letter

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{settings.DATABASES['default']['NAME']}"
    picked = pick_urls(args.rare_word)
    paths = {"hello": HELLO, "letter": picked["letter"], "list": "/letters/", "search": picked["search_rare"]}
    meta = {
        "label": args.label,
        "database": f"{connection.vendor}:{settings.DATABASES['default']['NAME']}",
        "letters": Letter.objects.published().count(),
        "connections": args.connections,
        "duration_s": args.duration,
        "threads": args.threads,
        "workers": args.workers,
        "timeout_s": args.timeout,
        "urls": paths,
    }
    connections.close_all()
    env = server_env(database_url)
    rows = []
    for key, label, target in TARGETS:
        if not paths[key]:
            continue
        # A fresh server per page: requests still queued from a slow page must not load the next one.
        port = free_port()
        server = start_server(env, port, args.workers)
        try:
            url = f"http://{HOST}:{port}{paths[key]}"
            figures, _ = run_wrk(url, args.connections, args.duration, args.threads, args.timeout)
        finally:
            stop_server(server)
        rows.append({"key": key, "page": label, "url": paths[key], "target": target, **figures})
        print(f"  {label}: {figures['rps']:.1f} requests/s", flush=True)
    judge(rows)
    print(f"(gunicorn's log: {SERVER_LOG})")
    print(
        f"\n{meta['database']}: {meta['letters']:,} letters; wrk -c{args.connections} -d{args.duration:g}s, "
        f"gunicorn {args.workers} workers"
    )
    benchlib.report("throughput", rows, COLUMNS, meta, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
