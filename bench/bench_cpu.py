"""Benchmark: per-request process CPU time, wall time and SQL statements of some pages, through
Django's test ``Client`` (DEBUG off, the page cache off), the bare view first as the baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/page5_10k .venv/bin/python bench/bench_cpu.py 40 \\
        /volumes/frus1861v02/d762/ /letters/ /api/letters/

CPU time is the steadier figure on a loaded machine (wall time there is mostly waiting for a core);
to compare two versions, run this from each checkout in turn, alternating, on the same database.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main(argv: list[str]) -> int:
    from bench_pages import setup_django

    setup_django()
    from django.db import connection
    from django.test import Client

    reps, urls = int(argv[0]), ["/__bench__/hello/", *argv[1:]]
    client = Client()
    for url in urls:
        for _ in range(5):
            assert client.get(url).status_code == 200, url
        statements = [0]

        def count(execute, sql, params, many, context, statements=statements):
            statements[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        walls, cpus = [], []
        for _ in range(reps):
            wall, cpu = time.perf_counter(), time.process_time()
            client.get(url)
            cpus.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
        walls.sort()
        cpus.sort()
        print(
            f"{url:45s} SQL {statements[0]:3d}  cpu p50 {cpus[reps // 2]:6.2f}  "
            f"wall p50 {walls[reps // 2]:6.2f} p95 {walls[int(reps * 0.95)]:6.2f} ms",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
