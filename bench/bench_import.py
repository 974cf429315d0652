"""Benchmark: import a synthetic ~20 MB FRUS TEI volume end to end, then re-import it unchanged.

Builds the volume with ``bench_tei_parse.build_volume`` (the v33 excerpt's documents repeated and
renumbered), migrates a fresh database (a temporary SQLite file, or ``DATABASE_URL`` when set —
point it at a scratch PostgreSQL database, it is flushed), runs the real ``import_paths`` and prints
documents/s, wall time, and the process's peak RSS. The issue's target is a peak RSS of at most
300 MB on a 20 MB volume. It prints figures; it asserts nothing.

    .venv/bin/python bench/bench_import.py [--size-mb 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_tei_parse import build_volume, peak_rss_mb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20.0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="letterbook-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    # As in production: with DEBUG on, Django keeps every query in memory and the figure would lie.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from catalog.ingest.pipeline import import_paths

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    volume = workdir / "volume.xml"
    documents = build_volume(volume, args.size_mb)
    size = volume.stat().st_size / 1024 / 1024
    print(f"volume: {size:.1f} MB, {documents} documents; database: {os.environ['DATABASE_URL'].split('@')[-1]}")
    print(f"peak RSS before import: {peak_rss_mb():.1f} MB")

    for label in ("first import", "re-import (unchanged)"):
        started = time.perf_counter()
        result = import_paths([volume], publish=True)
        elapsed = time.perf_counter() - started
        assert not result.failures, result.failures
        [report] = result.reports
        print(
            f"{label}: {elapsed:.1f} s, {documents / elapsed:.0f} documents/s, "
            f"peak RSS {peak_rss_mb():.1f} MB — {report.summary()}"
        )
    volume.unlink()


if __name__ == "__main__":
    main()
