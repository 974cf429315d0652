"""Benchmark: import a synthetic FRUS TEI volume; first import, unchanged re-import, 5% changed release.

Builds the volume with ``bench_tei_parse.build_volume`` (the v33 excerpt's documents repeated and
renumbered; 20 MB is about 2,000 documents), migrates a fresh database (a temporary SQLite file, or
``DATABASE_URL`` when set — point it at a scratch PostgreSQL database, it is flushed) and runs the
real ``import_paths``. In the same run it measures:

- the parser alone (documents/s): what a loader that wrote nothing would cost;
- the first import: documents/s, SQL statements per document, its ratio to the COPY floor;
- the COPY floor (PostgreSQL only), two of them (``copy_floor``): the FAITHFUL floor of issue 13 —
  the rows the first import left (letters, footnotes, letter–people, citations, references, terms,
  revisions, and the review queue's problems and people's pages' rows written at the volume's end)
  COPYed in binary into ordinary, WAL-logged tables made ``LIKE … INCLUDING ALL`` (every index: the
  GIN and RUM indexes on the stored search vector, the GIN index on the facet keys), the letters
  through a staging table and one INSERT … SELECT that computes their search vector and facet keys
  in the statement (the vector computed once, at insert time, as issue 13's floor paid for
  ``to_tsvector`` through the expression index the letters had when it was written); and the OLD
  floor of sessions 1–4 beside it: the per-document tables with their vectors COPYed as already
  computed (``to_tsvector`` not paid) into TEMPORARY tables, which write no WAL (with the RUM index,
  most of the letters' write cost);
- the cost of recomputing the stored search vectors and facet keys of the whole volume after a load
  (PostgreSQL only): one ``search.reindex_letters`` UPDATE, rolled back (measured only: the first
  import computes them in its INSERTs);
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
# The side tables the first import fills at the volume's end (in the faithful floor only).
# Side tables the import leaves rows in: the review queue's problems, people's pages' rows, and the
# public search table (migration 0015: a published letter's narrow row, its vector under the RUM
# index there; written by the letters' triggers in the import, COPYed here as they were written).
FLOOR_SIDE_TABLES = ["catalog_letterproblem", "catalog_personletter", "catalog_searchdoc"]


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

    def counted(model, objects, **options):
        counter.count += bool(objects)
        return original(model, objects, **options)

    loader.bulk_insert = counted
    try:
        yield
    finally:
        loader.bulk_insert = original


def _spool_out(raw, spool: Path, name: str, query: str) -> None:
    """COPY (binary) the rows of ``query`` into the file ``spool/name`` (on disk, not in this process)."""
    with raw.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy, open(spool / name, "wb") as out:
        for data in copy:
            out.write(data)


def _spool_in(raw, spool: Path, name: str, table: str, columns: str = "") -> float:
    """COPY (binary) the file ``spool/name`` into ``table``; the seconds it took."""
    started = time.perf_counter()
    copy_in = raw.cursor().copy(f"COPY {table} {columns} FROM STDIN (FORMAT binary)")
    with copy_in as copy, open(spool / name, "rb") as data:
        while chunk := data.read(1 << 20):
            copy.write(chunk)
    return time.perf_counter() - started


def copy_floor(volume_id: int) -> dict:
    """The COPY floors of the volume's rows (seconds, per table and in total), in one transaction rolled
    back. Two floors:

    ``faithful`` — what issue 13 defines: the same rows as the import leaves them, COPYed into the
    same tables with all their indexes. The tables are made ``LIKE … INCLUDING ALL`` (every index: the
    letters' GIN index on ``search_vector`` — its RUM index moved to the public search table in
    session 5, whose rows are COPYed too —, the GIN index on ``facet_keys``, the b-trees)
    and are ordinary, WAL-logged tables as the real ones are (no trigger, no foreign key). The rows
    are the per-document tables the first import fills (letters, footnotes, letter–people, citations,
    cross-references, letter–terms, revisions) and the two side tables it fills at the volume's end
    (the review queue's problems, people's pages' rows). The letters are COPYed without their stored
    search vector and facet keys into a staging table (temporary, no index) and moved into their
    table by one INSERT … SELECT that computes the vector and the keys in the statement — the
    import's own statement (``loader.staged_letters_sql``, made from ``search.REINDEX_SQL``) pointed
    at these tables: the vector is computed once, at insert time, as issue 13's floor paid for
    ``to_tsvector`` through its expression index when the issue was written.

    ``old`` — the floor of sessions 1–4, printed beside it: the same per-document tables
    (``SELECT *``, the stored vectors and facet keys COPYed as already computed: ``to_tsvector`` not
    paid) into TEMPORARY tables with the same indexes. A temporary table writes no WAL: with the
    RUM index (which logs about 1 MB of WAL per letter of this volume) that is most of the letters'
    real write cost left out.
    """
    from django.db import connection, transaction

    from catalog.ingest import loader
    from catalog.models import Letter

    timings: dict = {"faithful": {}, "old": {}}
    in_volume = f"letter_id IN (SELECT id FROM catalog_letter WHERE volume_id = {int(volume_id)})"
    columns = ", ".join(connection.ops.quote_name(f.column) for f in Letter._meta.concrete_fields)
    spool = Path(tempfile.mkdtemp(prefix="letterbook-floor-"))
    with transaction.atomic():
        with connection.cursor() as cursor:
            raw = cursor.connection  # the psycopg connection: COPY goes through it
            # The old floor's spool: every column (the vectors as computed), the per-document tables.
            for table, where in COPY_TABLES:
                _spool_out(raw, spool, f"old_{table}", f"SELECT * FROM {table} WHERE {where % {'volume': volume_id}}")
            _spool_out(raw, spool, "letters", f"SELECT {columns} FROM catalog_letter WHERE volume_id = {volume_id}")
            for table in FLOOR_SIDE_TABLES + [t for t, _ in COPY_TABLES[1:]]:
                _spool_out(raw, spool, table, f"SELECT * FROM {table} WHERE {in_volume}")
            # The faithful floor: ordinary tables like the real ones (WAL-logged), every index.
            for table, _ in COPY_TABLES + [(t, "") for t in FLOOR_SIDE_TABLES]:
                cursor.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
            cursor.execute("CREATE TEMPORARY TABLE floor_stage (LIKE catalog_letter INCLUDING DEFAULTS)")
            insert = loader.staged_letters_sql()
            assert insert is not None, "search.REINDEX_SQL is no longer of the shape the loader reads"
            insert = re.sub(
                r"\b(catalog_letter|catalog_footnote|catalog_letterperson|catalog_sourcecitation)\b",
                r"floor_\1",
                insert,
            ).replace(loader.LETTER_STAGE, "floor_stage")
            faithful = timings["faithful"]
            started = time.perf_counter()
            # Children first (the vector reads the footnotes, the facet keys the people and citations).
            for table in [t for t, _ in COPY_TABLES[1:]] + FLOOR_SIDE_TABLES:
                faithful[table] = _spool_in(raw, spool, table, f"floor_{table}")
            faithful["catalog_letter (COPY to the staging table)"] = _spool_in(
                raw, spool, "letters", "floor_stage", f"({columns})"
            )
            t0 = time.perf_counter()
            from django.conf import settings

            cursor.execute(insert, {"config": "english", "tz": settings.TIME_ZONE})
            faithful["catalog_letter (INSERT … SELECT, vectors and facet keys computed)"] = time.perf_counter() - t0
            faithful["total"] = time.perf_counter() - started
            # The old floor: temporary tables, vectors copied as computed.
            old = timings["old"]
            for table, _ in COPY_TABLES:
                cursor.execute(f"CREATE TEMPORARY TABLE old_floor_{table} (LIKE {table} INCLUDING ALL)")
            started = time.perf_counter()
            for table, _ in COPY_TABLES:
                old[table] = _spool_in(raw, spool, f"old_{table}", f"old_floor_{table}")
            old["total"] = time.perf_counter() - started
        transaction.set_rollback(True)
    for path in spool.iterdir():
        path.unlink()
    spool.rmdir()
    return timings


def tsvector_cost(volume_id: int) -> float:
    """Seconds for ``search.reindex_letters`` over the volume's letters in one UPDATE (rolled back):
    what recomputing the stored search vectors and facet keys of letters already written costs (a
    second version of every row, into every index). The first import no longer pays it: it computes
    them as the letters go in (``loader.staged_letters_sql``)."""
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
        floors = copy_floor(volume_id)
        for key, floor in (("copy_floor", floors["faithful"]), ("copy_floor_old", floors["old"])):
            figures[key] = {
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
    old_rate = figures.get("copy_floor_old", {}).get("docs_per_s")

    def ratio(rate, to):
        return f"{rate / to:.2f}" if to else "n/a"

    parse_rate, main_parse = figures["parse_docs_per_s"], baseline.get("parse_docs_per_s")
    rows = [("parse only", parse_rate, ratio(parse_rate, floor_rate), ratio(parse_rate, old_rate), "", "")]
    if floor_rate:
        rows.append(("COPY floor (faithful)", floor_rate, "1.00", ratio(floor_rate, old_rate), "", ""))
        rows.append(("COPY floor (old)", old_rate, ratio(old_rate, floor_rate), "1.00", "", ""))
    for label in ("first_import_in_process", "first_import", "unchanged_reimport", "changed_release"):
        rate = figures[label]["docs_per_s"]
        before = baseline.get(label.replace("_in_process", ""), {}).get("docs_per_s")
        # Each rate over its own run's parse-only rate: the load of the machine cancels out.
        to_today = f"{(rate / parse_rate) / (before / main_parse):.1f}x" if before and main_parse else "n/a"
        rows.append(
            (
                label.replace("_", " "),
                rate,
                ratio(rate, floor_rate),
                ratio(rate, old_rate),
                figures[label]["statements_per_doc"],
                to_today,
            )
        )
    print()
    print(f"{'':<24} {'docs/s':>9} {'/floor':>7} {'/old floor':>10} {'stmts/doc':>10} {'vs main ÷ parse':>16}")
    for name, rate, to_floor, to_old, statements, to_today in rows:
        print(f"{name:<24} {rate:>9.1f} {to_floor:>7} {to_old:>10} {statements!s:>10} {to_today:>16}")
    if floor_rate:
        print("floor (faithful): " + ", ".join(f"{t} {v:.2f} s" for t, v in figures["copy_floor"]["tables"].items()))
        print("floor (old): " + ", ".join(f"{t} {v:.2f} s" for t, v in figures["copy_floor_old"]["tables"].items()))
    beside, alone = figures["first_import"], figures["first_import_in_process"]
    print(
        f"first import parsed beside the writes: {alone['seconds'] / beside['seconds']:.2f}x the in-process "
        f"import of this run; CPU seconds {beside['cpu_seconds']:.1f} here + "
        f"{beside['parser_process_cpu_seconds']:.1f} in the parser process, against {alone['cpu_seconds']:.1f} "
        "in-process (the database server's not counted)"
    )
    if postgres:
        print(
            f"stored search vectors + facet keys recomputed after the load (search.reindex_letters, one "
            f"UPDATE for the volume; not in the first import, which computes them at insert): "
            f"{figures['tsvector_update_seconds']:.2f} s"
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
