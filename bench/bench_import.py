"""Benchmark: import a synthetic FRUS TEI volume; first import, unchanged re-import, 5% changed release.

Builds the volume with ``bench_tei_parse.build_volume`` (the v33 excerpt's documents repeated and
renumbered; 20 MB is about 2,000 documents), migrates a fresh database (a temporary SQLite file, or
``DATABASE_URL`` when set — point it at a scratch PostgreSQL database, it is flushed) and runs the
real ``import_paths``. In the same run it measures:

- the parser alone (documents/s): what a loader that wrote nothing would cost;
- the first import: documents/s, SQL statements per document, its ratio to the COPY floor;
- the COPY floor (PostgreSQL only): the rows the first import wrote (letters, footnotes, people,
  citations, references, terms, revisions) copied out in binary and COPYed back into empty tables
  with the same columns and indexes (``CREATE TABLE … (LIKE … INCLUDING ALL)``);
- the cost of a stored full-text vector (PostgreSQL only): one set-based ``UPDATE`` computing
  ``to_tsvector('english', title || body_text)`` into a scratch column for the volume's letters, as
  the search branch does after a load (rolled back);
- the first import with the letters parsed in this process (``parse_tei``), then, after the
  database is emptied again, with the letters parsed in a second process beside the writes
  (``parse_worker``, as ``import_paths`` does for a file of 4 MB or more): both in the same run;
- an unchanged re-import, and a release with 5% of its documents edited (one sentence added);
- the peak RSS of this process and of the parser process (the largest child's, ``RUSAGE_CHILDREN``).

"Today" (main before issue 13) cannot run in the same process; its figures measured by this same
script on main are kept in ``bench/import_baseline.json``, taken at another time under another load
of the shared machine. Raw rates from two runs are not comparable, so the "vs main" column divides
each rate by the parse-only rate of its own run first (the machine's load slows the parser and the
import alike): ``(rate / parse rate now) / (main's rate / main's parse rate)``. It prints figures;
it asserts nothing.

    .venv/bin/python bench/bench_import.py [--size-mb 20] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_tei_parse import build_volume, peak_rss_mb  # noqa: E402

BASELINE = ROOT / "bench" / "import_baseline.json"
# The tables a first import fills per document, in the order of their foreign keys.
COPY_TABLES = [
    ("catalog_letter", "volume_id = %(volume)s"),
    ("catalog_footnote", "letter_id IN (SELECT id FROM catalog_letter WHERE volume_id = %(volume)s)"),
    ("catalog_letterperson", "letter_id IN (SELECT id FROM catalog_letter WHERE volume_id = %(volume)s)"),
    ("catalog_sourcecitation", "letter_id IN (SELECT id FROM catalog_letter WHERE volume_id = %(volume)s)"),
    ("catalog_crossreference", "letter_id IN (SELECT id FROM catalog_letter WHERE volume_id = %(volume)s)"),
    ("catalog_letter_terms", "letter_id IN (SELECT id FROM catalog_letter WHERE volume_id = %(volume)s)"),
    ("catalog_revision", "letter_id IN (SELECT id FROM catalog_letter WHERE volume_id = %(volume)s)"),
]


def edit_release(source: Path, target: Path, every: int = 20) -> int:
    """Copy ``source`` to ``target`` with one sentence added to every ``every``-th document's first
    paragraph (5% of the documents for 20); the number of documents edited."""
    edited = 0
    document = re.compile(r'<div type="document" n="(\d+)"')
    with open(source, encoding="utf-8") as inp, open(target, "w", encoding="utf-8") as out:
        pending = False
        for line in inp:
            match = document.search(line)
            if match and int(match.group(1)) % every == 0:
                pending = True
            if pending and "<p>" in line:
                line = line.replace("<p>", "<p>A sentence added in the corrected release. ", 1)
                pending = False
                edited += 1
            out.write(line)
    return edited


class StatementCounter:
    """Counts the SQL statements Django sends (an ``execute_wrapper``)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextlib.contextmanager
def counting_copies(counter: StatementCounter):
    """The loader's COPY statements go around Django's cursor wrappers: count each one too."""
    from catalog.ingest import loader

    original = loader.bulk_insert

    def counted(model, objects):
        counter.count += bool(objects)
        return original(model, objects)

    loader.bulk_insert = counted
    try:
        yield
    finally:
        loader.bulk_insert = original


def copy_floor(volume_id: int) -> dict:
    """Seconds to COPY (binary) the volume's rows into empty tables with the same indexes."""
    from django.db import connection, transaction

    timings = {}
    spool = Path(tempfile.mkdtemp(prefix="letterbook-floor-"))  # the rows on disk, not in this process
    with transaction.atomic():
        with connection.cursor() as cursor:
            raw = cursor.connection  # the psycopg connection: COPY goes through it
            for table, where in COPY_TABLES:
                rows = f"SELECT * FROM {table} WHERE {where % {'volume': int(volume_id)}}"
                copy_out = raw.cursor().copy(f"COPY ({rows}) TO STDOUT (FORMAT binary)")
                with copy_out as copy, open(spool / table, "wb") as out:
                    for data in copy:
                        out.write(data)
                cursor.execute(f"CREATE TEMPORARY TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
            started = time.perf_counter()
            for table, _ in COPY_TABLES:
                t0 = time.perf_counter()
                copy_in = raw.cursor().copy(f"COPY floor_{table} FROM STDIN (FORMAT binary)")
                with copy_in as copy, open(spool / table, "rb") as data:
                    while chunk := data.read(1 << 20):
                        copy.write(chunk)
                timings[table] = time.perf_counter() - t0
            timings["total"] = time.perf_counter() - started
        transaction.set_rollback(True)
    for table, _ in COPY_TABLES:
        (spool / table).unlink()
    spool.rmdir()
    return timings


def tsvector_cost(volume_id: int) -> float:
    """Seconds for ``search.reindex_letters`` over the volume's letters in one UPDATE (rolled back):
    what the stored search vectors and facet keys cost, which the loader now computes batch by
    batch inside the first import (its figure includes them)."""
    from django.db import transaction

    from catalog import search
    from catalog.models import Letter

    ids = list(Letter.objects.filter(volume_id=volume_id).values_list("pk", flat=True))
    with transaction.atomic():
        started = time.perf_counter()
        search.reindex_letters(ids)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def cpu_seconds() -> tuple[float, float]:
    """(this process's CPU seconds, its waited-for children's)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def child_peak_rss_mb() -> float:
    """Peak RSS of the largest child process waited for (the parser process), in MB."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this path")
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
    from django.db import connection

    from catalog.ingest.pipeline import import_paths
    from catalog.ingest.tei_parser import parse_tei
    from catalog.models import Volume

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    volume = workdir / "volume.xml"
    documents = build_volume(volume, args.size_mb)
    changed = workdir / "volume-changed.xml"
    edited = edit_release(volume, changed)
    size = volume.stat().st_size / 1024 / 1024
    postgres = connection.vendor == "postgresql"
    figures: dict = {
        "benchmark": "import",  # as bench/run.py reads it
        "database": connection.vendor,
        "volume_mb": round(size, 1),
        "documents": documents,
        "edited_documents": edited,
    }
    print(f"volume: {size:.1f} MB, {documents} documents; database: {os.environ['DATABASE_URL'].split('@')[-1]}")

    started = time.perf_counter()
    parsed_count = sum(1 for _ in parse_tei(volume).letters)
    figures["parse_docs_per_s"] = round(parsed_count / (time.perf_counter() - started), 1)

    def run(label: str, path: Path) -> None:
        counter = StatementCounter()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        with connection.execute_wrapper(counter), counting_copies(counter):
            result = import_paths([path], publish=True)
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds()
        assert not result.failures, result.failures
        [report] = result.reports
        figures[label] = {
            "seconds": round(elapsed, 2),
            "docs_per_s": round(documents / elapsed, 1),
            "statements": counter.count,
            "statements_per_doc": round(counter.count / documents, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            # CPU seconds of this process and of the parser process: steadier than the wall clock
            # on a loaded machine (the database server's are not counted).
            "cpu_seconds": round(cpu_after[0] - cpu_before[0], 2),
            "parser_process_cpu_seconds": round(cpu_after[1] - cpu_before[1], 2),
            "summary": report.summary(),
        }
        print(f"{label}: {elapsed:.2f} s — {report.summary()}")

    # The first import parsed in this process, for the same run's comparison; then emptied again.
    os.environ["LETTERBOOK_PARSE_WORKER_MIN_BYTES"] = str(1 << 62)
    run("first_import_in_process", volume)
    call_command("flush", interactive=False, verbosity=0)
    os.environ["LETTERBOOK_PARSE_WORKER_MIN_BYTES"] = "0"  # as import_paths does from 4 MB on
    run("first_import", volume)
    figures["parser_process_peak_rss_mb"] = round(child_peak_rss_mb(), 1)
    volume_id = Volume.objects.get().pk
    if postgres:
        floor = copy_floor(volume_id)
        figures["copy_floor"] = {
            "seconds": round(floor["total"], 3),
            "docs_per_s": round(documents / floor["total"], 1),
            "tables": {table: round(seconds, 3) for table, seconds in floor.items() if table != "total"},
        }
        figures["tsvector_update_seconds"] = round(tsvector_cost(volume_id), 3)
    run("unchanged_reimport", volume)
    run("changed_release", changed)
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    volume.unlink()
    changed.unlink()

    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if baseline.get("database") != figures["database"] or baseline.get("documents") != documents:
        baseline = {}  # main's figures are for another database or another volume: no comparison
    floor_rate = figures.get("copy_floor", {}).get("docs_per_s")
    parse_rate, main_parse = figures["parse_docs_per_s"], baseline.get("parse_docs_per_s")
    rows = [("parse only", parse_rate, f"{parse_rate / floor_rate:.2f}" if floor_rate else "n/a", "", "")]
    if floor_rate:
        rows.append(("COPY floor", floor_rate, "1.00", "", ""))
    for label in ("first_import_in_process", "first_import", "unchanged_reimport", "changed_release"):
        rate = figures[label]["docs_per_s"]
        to_floor = f"{rate / floor_rate:.2f}" if floor_rate else "n/a"
        before = baseline.get(label.replace("_in_process", ""), {}).get("docs_per_s")
        # Each rate over its own run's parse-only rate: the load of the machine cancels out.
        to_today = f"{(rate / parse_rate) / (before / main_parse):.1f}x" if before and main_parse else "n/a"
        rows.append((label.replace("_", " "), rate, to_floor, figures[label]["statements_per_doc"], to_today))
    print()
    print(f"{'':<24} {'docs/s':>9} {'/floor':>7} {'stmts/doc':>10} {'vs main ÷ parse':>16}")
    for name, rate, to_floor, statements, to_today in rows:
        print(f"{name:<24} {rate:>9.1f} {to_floor:>7} {statements!s:>10} {to_today:>16}")
    beside, alone = figures["first_import"], figures["first_import_in_process"]
    print(
        f"first import parsed beside the writes: {alone['seconds'] / beside['seconds']:.2f}x the in-process "
        f"import of this run; CPU seconds {beside['cpu_seconds']:.1f} here + "
        f"{beside['parser_process_cpu_seconds']:.1f} in the parser process, against {alone['cpu_seconds']:.1f} "
        "in-process (the database server's not counted)"
    )
    if postgres:
        print(
            f"stored search vectors + facet keys (search.reindex_letters, one UPDATE for the volume, "
            f"included in the first import batch by batch): {figures['tsvector_update_seconds']:.2f} s"
        )
    print(
        f"peak RSS: {figures['peak_rss_mb']:.1f} MB this process, "
        f"{figures['parser_process_peak_rss_mb']:.1f} MB the parser process"
    )
    if baseline:
        print(
            f"(main's figures: {BASELINE.name}, another run; its parse-only rate then {main_parse} docs/s, "
            f"now {parse_rate} docs/s)"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
