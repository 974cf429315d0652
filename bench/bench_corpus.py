"""Benchmark: how fast the synthetic FRUS generator writes, and how big its output is.

Runs ``catalog.synthetic.generate_corpus`` into a temporary directory and prints documents per second
(wall clock and CPU time: the machine is shared, CPU time is the steadier figure), megabytes per 1,000
documents, the extrapolated time for the whole series (300,000 documents) and the process's peak RSS.
It prints figures; it asserts nothing. ``--json PATH`` also writes them as JSON.

    .venv/bin/python bench/bench_corpus.py [--volumes 20] [--seed 1] [--documents D] [--keep] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_tei_parse import peak_rss_mb  # noqa: E402

from catalog.synthetic import generate_corpus  # noqa: E402

SERIES = 300_000  # documents in the whole FRUS series


def measure(volumes: int, seed: int, documents: int | None, out: Path) -> dict:
    baseline = peak_rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    manifest = generate_corpus(out, volumes, seed, documents)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "volumes": len(manifest.volumes),
        "documents": manifest.documents,
        "footnotes": manifest.footnotes,
        "persons": manifest.persons,
        "people": manifest.people,
        "megabytes": round(manifest.bytes / 1e6, 1),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "documents_per_second_wall": round(manifest.documents / wall),
        "documents_per_second_cpu": round(manifest.documents / cpu),
        "megabytes_per_1000_documents": round(manifest.bytes / 1e6 / manifest.documents * 1000, 2),
        "series_cpu_minutes": round(SERIES / (manifest.documents / cpu) / 60, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_added_mb": round(peak_rss_mb() - baseline, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volumes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--documents", type=int, default=None, help="documents per volume (default 300–1,500)")
    parser.add_argument("--keep", action="store_true", help="keep the corpus and print its directory")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    out = Path(tempfile.mkdtemp(prefix="letterbook-corpus-"))
    try:
        figures = measure(args.volumes, args.seed, args.documents, out)
    finally:
        if args.keep:
            print(f"kept {out}")
        else:
            shutil.rmtree(out, ignore_errors=True)
    print(
        f"corpus: {figures['volumes']} volumes, {figures['documents']:,} documents, "
        f"{figures['footnotes']:,} footnotes, "
        f"{figures['megabytes']} MB ({figures['megabytes_per_1000_documents']} MB per 1,000 documents)"
    )
    print(
        f"speed: {figures['documents_per_second_cpu']:,} documents per CPU second "
        f"({figures['documents_per_second_wall']:,}/s by the wall clock); the whole series (300,000 documents) "
        f"in {figures['series_cpu_minutes']} CPU minutes"
    )
    print(f"peak RSS: {figures['peak_rss_mb']} MB (generating added {figures['peak_rss_added_mb']} MB)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"benchmark": "corpus", **figures}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
