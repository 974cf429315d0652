"""Build the scale databases: a synthetic FRUS imported by the REAL importer into PostgreSQL, copied
at each size on the way (``lb_scale_10k``, ``lb_scale_100k``, ``lb_scale_300k`` by default).

The volumes come from ``catalog.synthetic.generate_corpus`` (deterministic per seed) when it exists,
else from ``bench_tei_parse.build_volume`` (the v33 excerpt's documents repeated under a new volume
id: poor prose statistics, a stand-in only). Each volume is imported with ``import_paths(...,
publish=True)`` into a work database (``<prefix>_build``); as soon as the work database holds at least
a size's number of letters, it is copied with ``CREATE DATABASE <prefix>_<size> TEMPLATE
<prefix>_build``. The build resumes where it stopped: volumes already in the work database are
skipped, copies that exist are kept (``--fresh`` drops everything and starts again).

    nohup .venv/bin/python bench/build_scale_db.py --sizes 10k,100k,300k > /tmp/bench_build.log 2>&1 &

Disk: about 16 KB a letter in PostgreSQL (300k ≈ 5 GB per copy) plus the TEI files in ``--out``.

Large sizes by replication (``--replicate-from``). The real importer runs at 55–120 documents a
second on this machine's one free core: 300k letters would take 45–90 minutes. So the large sizes are
built from a base imported by the real importer, whose volumes are cloned whole in set-based SQL:

    .venv/bin/python bench/build_scale_db.py --replicate-from 100k --sizes 300k

copies ``<prefix>_100k`` to a work database (``<prefix>_build_from_100k``) and clones every volume of
the base ``N`` times (``N = ceil(size / base letters) - 1``: 300k = the 100k base + 2 clones of each
volume), then VACUUM ANALYZE, then the work database becomes ``<prefix>_300k`` (renamed when it is the
largest size, copied otherwise). A clone (:func:`clone_volume`) is a new volume ``<identifier>replica<k>``
(still read by ``catalog.rendering.volume_parts`` as the original's subseries and number; title
suffixed "(replica k)") with new rows for its chapters, terms, letters (all published), letter-terms,
footnotes, cross-references (those inside the volume point at the clone's letters), letter-people,
person identifiers, source citations, problems, revisions, transitions and errata. People, archival
sources and references to other volumes are shared with the original, as a person's letters are across
the real series (the most prolific person has ~3× the letters). The stored ``search_vector`` and
``facet_keys`` (catalog/search.py) are copied with the ``vol:`` key rewritten to the clone's volume:
what ``reindex_letters`` would compute (tests/bench/test_replicate.py checks it). Each volume's clone is
one transaction; a clone that exists is skipped, so an interrupted run resumes. Columns are read from
the database, so a column added by a later migration is copied as it is. Annotations and error
reports (readers' content, none in an imported catalog) are not cloned.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SERVER_URL = "postgres://postgres@127.0.0.1:5432"


def parse_size(text: str) -> int:
    """``10k`` → 10000, ``1.5m`` → 1500000, ``250`` → 250."""
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor != 1 else text
    value = int(float(number) * factor)
    if value <= 0:
        raise ValueError(f"not a size: {text!r}")
    return value


def size_label(size: int) -> str:
    """10000 → ``10k``; the suffix of the copy's database name."""
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def admin_connection(server_url: str):
    import psycopg

    return psycopg.connect(f"{server_url}/postgres", autocommit=True)


def database_exists(server_url: str, name: str) -> bool:
    with admin_connection(server_url) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def create_database(server_url: str, name: str, template: str = "", drop: bool = False) -> None:
    with admin_connection(server_url) as conn:
        if drop:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        # FILE_COPY: PostgreSQL 15's default (WAL_LOG) writes a copy of gigabytes through the WAL.
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}" STRATEGY = FILE_COPY' if template else ""))


# -- the volumes ---------------------------------------------------------------------------------


class SyntheticVolumes:
    """``catalog.synthetic.generate_corpus`` for as many volumes as the largest size needs (its plan is
    deterministic per seed, a prefix of a longer one), run in a thread: each volume is yielded as soon
    as it is written, so the import starts with the first. Files of a finished earlier run are reused."""

    name = "catalog.synthetic.generate_corpus"

    def __init__(self, out_dir: Path, seed: int, letters: int):
        from catalog.synthetic.generator import generate_corpus, plan_volumes

        self.generate = generate_corpus
        self.out_dir, self.seed = out_dir, seed
        # Enough volumes to pass ``letters`` (each volume's size is drawn from the seed alone).
        count, plan = 8, []
        while sum(slot.documents for slot in plan) < letters:
            count *= 2
            plan = plan_volumes(count, seed, None)
        totals = itertools.accumulate(slot.documents for slot in plan)
        needed = next(i for i, total in enumerate(totals, start=1) if total >= letters)
        self.plan = plan_volumes(needed, seed, None)
        self.name += f" ({needed} volumes, seed {seed}, in {out_dir})"

    def chunks(self):
        import queue
        import threading

        paths = [self.out_dir / f"{slot.identifier}.xml" for slot in self.plan]
        finished = self.out_dir / ".done"
        if finished.exists() and all(path.exists() for path in paths):
            for path in paths:
                yield [path]
            return
        written: queue.Queue = queue.Queue(maxsize=2)  # the generator stays two volumes ahead, no more
        failure: list[BaseException] = []

        def progress(volumes_done: int, _documents: int, _total: int) -> None:
            while progress.emitted < volumes_done:
                written.put(paths[progress.emitted])
                progress.emitted += 1

        progress.emitted = 0

        def run() -> None:
            try:
                self.generate(self.out_dir, len(self.plan), self.seed, progress=progress)
                finished.touch()
            except BaseException as error:  # reported by the consumer
                failure.append(error)
            written.put(None)

        threading.Thread(target=run, daemon=True).start()
        while (path := written.get()) is not None:
            yield [path]
        if failure:
            raise failure[0]


class ExcerptVolumes:
    """The v33 excerpt's documents repeated (``bench_tei_parse.build_volume``), one volume id each."""

    name = "bench_tei_parse.build_volume (stand-in)"

    def __init__(self, out_dir: Path, seed: int, size_mb: float = 6.0):
        self.out_dir, self.seed, self.size_mb = out_dir, seed, size_mb

    def chunks(self):
        from bench_tei_parse import build_volume

        index = 0
        self.out_dir.mkdir(parents=True, exist_ok=True)
        while True:
            path = self.out_dir / f"frus-scale-{index:04d}.xml"
            if not path.exists():
                partial = path.with_suffix(".part")
                build_volume(partial, self.size_mb)
                text = partial.read_text(encoding="utf-8")
                text = text.replace(
                    '<idno type="frus">frus1969-76v33</idno>', f'<idno type="frus">frus-scale-{index:04d}</idno>', 1
                )
                partial.write_text(text, encoding="utf-8")
                partial.rename(path)
            yield [path]
            index += 1


def volume_source(kind: str, out_dir: Path, seed: int, letters: int):
    if kind in ("auto", "synthetic"):
        try:
            return SyntheticVolumes(out_dir / f"synthetic-seed{seed}", seed, letters)
        except ImportError:
            if kind == "synthetic":
                raise
    return ExcerptVolumes(out_dir / f"excerpt-seed{seed}", seed)


# -- replication: whole volumes cloned in SQL -----------------------------------------------------

REPLICA_MARK = "replica"


def replica_identifier(identifier: str, copy: int) -> str:
    """``frus1940v07`` → ``frus1940v07replica2``: a slug that ``catalog.rendering`` still reads as
    the original's subseries, number and part."""
    return f"{identifier}{REPLICA_MARK}{copy}"


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def _offset(cursor, table: str, source: str, params: dict) -> int:
    """The shift that moves the ids of ``source``'s rows past every id of ``table`` (new id = old id
    + shift: no mapping table, and the clone's rows keep the original's order); 0 when no rows."""
    cursor.execute(
        f"SELECT (SELECT coalesce(max(id), 0) FROM {table}) + 1 - min(s.id) FROM ({source}) AS s",  # noqa: S608
        params,
    )
    return int(cursor.fetchone()[0] or 0)


def _copy(cursor, table: str, where: str, params: dict, overrides: dict[str, str], keep_id: bool = False) -> int:
    """INSERT … SELECT of ``table``'s rows matching ``where`` (on alias ``s``), every column copied
    as it is except ``overrides`` (SQL expressions on ``s``, named parameters from ``params``);
    ``id`` is left to its default unless ``keep_id`` (then it must be overridden). Rows inserted."""
    columns = [c for c in _columns(cursor, table) if c != "id" or keep_id]
    expressions = [overrides.get(c, f's."{c}"') for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    cursor.execute(
        f"INSERT INTO {table} ({names}) SELECT {', '.join(expressions)} FROM {table} AS s"  # noqa: S608
        f" WHERE {where} ORDER BY s.id",
        params,
    )
    return cursor.rowcount


def _shifted(column: str, shift: int) -> str:
    return f's."{column}" + {int(shift)}'


# The rows of the volume being cloned (named parameter ``vol``).
_LETTERS = "SELECT id FROM catalog_letter WHERE volume_id = %(vol)s"
_IN_LETTERS = f"s.letter_id IN ({_LETTERS})"
_IN_VOLUME = "s.volume_id = %(vol)s"


def clone_volume(cursor, volume_id: int, copy: int) -> tuple[int | None, int]:
    """Clone volume ``volume_id`` as ``replica_identifier(identifier, copy)`` with everything its
    import wrote (see the module's docstring), all its letters published. Run it inside a
    transaction. Returns (the clone's volume id, letters cloned); (None, 0) when the clone exists."""
    cursor.execute("SELECT identifier FROM catalog_volume WHERE id = %s", [volume_id])
    identifier = cursor.fetchone()[0]
    clone_identifier = replica_identifier(identifier, copy)
    cursor.execute("SELECT 1 FROM catalog_volume WHERE identifier = %s", [clone_identifier])
    if cursor.fetchone():
        return None, 0
    params = {"vol": volume_id}
    shift = {
        "volume": _offset(cursor, "catalog_volume", "SELECT id FROM catalog_volume WHERE id = %(vol)s", params),
        "chapter": _offset(cursor, "catalog_chapter", f"SELECT id FROM catalog_chapter s WHERE {_IN_VOLUME}", params),
        "term": _offset(cursor, "catalog_term", f"SELECT id FROM catalog_term s WHERE {_IN_VOLUME}", params),
        "letter": _offset(cursor, "catalog_letter", _LETTERS, params),
        "footnote": _offset(
            cursor, "catalog_footnote", f"SELECT id FROM catalog_footnote s WHERE {_IN_LETTERS}", params
        ),
    }
    new_volume = volume_id + shift["volume"]
    params.update(
        identifier=identifier,
        clone=clone_identifier,
        title_suffix=f" (replica {copy})",
        old_key=f"vol:{volume_id}",
        new_key=f"vol:{new_volume}",
        new_volume=new_volume,
    )
    letter_id = _shifted("letter_id", shift["letter"])
    _copy(
        cursor,
        "catalog_volume",
        "s.id = %(vol)s",
        params,
        {
            "id": _shifted("id", shift["volume"]),
            "identifier": "%(clone)s",
            "title": "left(s.title || %(title_suffix)s, 500)",
            "import_checksum": "''",  # never taken for the original's file
        },
        keep_id=True,
    )
    _copy(cursor, "catalog_volume_sources_consulted", _IN_VOLUME, params, {"volume_id": "%(new_volume)s"})
    for table, name in (("catalog_chapter", "chapter"), ("catalog_term", "term")):
        _copy(
            cursor,
            table,
            _IN_VOLUME,
            params,
            {"id": _shifted("id", shift[name]), "volume_id": "%(new_volume)s"},
            keep_id=True,
        )
    letters = _copy(
        cursor,
        "catalog_letter",
        _IN_VOLUME,
        params,
        {
            "id": _shifted("id", shift["letter"]),
            "volume_id": "%(new_volume)s",
            "chapter_id": _shifted("chapter_id", shift["chapter"]),
            "status": "'published'",
            "published_at": "coalesce(s.published_at, now())",
            # What reindex_letters computes for the clone: the same text, people and sources; its own volume.
            "facet_keys": "array_replace(s.facet_keys, %(old_key)s, %(new_key)s)",
        },
        keep_id=True,
    )
    _copy(
        cursor,
        "catalog_letter_terms",
        _IN_LETTERS,
        params,
        {
            "letter_id": letter_id,
            "term_id": "CASE WHEN s.term_id IN (SELECT id FROM catalog_term WHERE volume_id = %(vol)s)"
            f" THEN s.term_id + {shift['term']} ELSE s.term_id END",
        },
    )
    _copy(
        cursor,
        "catalog_footnote",
        _IN_LETTERS,
        params,
        {"id": _shifted("id", shift["footnote"]), "letter_id": letter_id},
        keep_id=True,
    )
    _copy(
        cursor,
        "catalog_crossreference",
        _IN_LETTERS,
        params,
        {
            "letter_id": letter_id,
            "footnote_id": _shifted("footnote_id", shift["footnote"]),
            # A reference inside the volume points at the clone's letter; others at the original's.
            "target_volume": "CASE WHEN s.target_volume = %(identifier)s THEN %(clone)s ELSE s.target_volume END",
            "target_id": f"CASE WHEN s.target_id IN ({_LETTERS}) THEN s.target_id + {shift['letter']}"
            " ELSE s.target_id END",
        },
    )
    _copy(cursor, "catalog_letterperson", _IN_LETTERS, params, {"letter_id": letter_id})
    _copy(cursor, "catalog_personidentifier", _IN_VOLUME, params, {"volume_id": "%(new_volume)s"})
    _copy(
        cursor,
        "catalog_sourcecitation",
        _IN_LETTERS,
        params,
        {"letter_id": letter_id, "footnote_id": _shifted("footnote_id", shift["footnote"])},
    )
    for table in ("catalog_letterproblem", "catalog_transition", "catalog_erratum"):
        _copy(cursor, table, _IN_LETTERS, params, {"letter_id": letter_id})
    _copy(
        cursor,
        "catalog_revision",
        _IN_LETTERS,
        params,
        {"letter_id": letter_id, "letter_label": "left(replace(s.letter_label, %(identifier)s, %(clone)s), 200)"},
    )
    for table in ("catalog_volume", "catalog_chapter", "catalog_term", "catalog_letter", "catalog_footnote"):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",  # noqa: S608
            [table],
        )
    return new_volume, letters


def base_volumes(cursor) -> list[tuple[int, str, int]]:
    """The volumes that are no replica: (id, identifier, letters), by identifier."""
    cursor.execute(
        "SELECT v.id, v.identifier, count(l.id) FROM catalog_volume v"
        " LEFT JOIN catalog_letter l ON l.volume_id = v.id"
        " WHERE v.identifier !~ %s GROUP BY v.id ORDER BY v.identifier",
        [f"{REPLICA_MARK}[0-9]+$"],
    )
    return [(int(pk), ident, int(n)) for pk, ident, n in cursor.fetchall()]


def replicate(copies: int, progress=print) -> int:
    """Clone every base volume of the current database ``copies`` times (copy 1, then 2, …), each
    volume's clone in one transaction, skipping clones that exist. The letters cloned."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        volumes = base_volumes(cursor)
    base_letters = sum(n for _, _, n in volumes)
    todo = copies * base_letters
    done = cloned = 0
    started = time.perf_counter()
    for copy in range(1, copies + 1):
        for volume_id, identifier, letters in volumes:
            with transaction.atomic(), connection.cursor() as cursor:
                new_volume, count = clone_volume(cursor, volume_id, copy)
            done += letters
            cloned += count
            if new_volume is None:
                continue
            elapsed = time.perf_counter() - started
            rate = cloned / elapsed if elapsed else 0.0
            eta = (todo - done) / rate if rate else 0.0
            progress(
                f"{replica_identifier(identifier, copy)}: {count} letters; {done}/{todo} "
                f"({cloned / elapsed:.0f} letters/s overall, ETA {eta:.0f} s)"
            )
    return cloned


def vacuum_analyze(server_url: str, name: str) -> float:
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(f"{server_url}/{name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - t0


def replicate_main(args, sizes: list[int]) -> int:
    """``--replicate-from``: the base copy, cloned whole until each size (see the module's docstring)."""
    import math

    base_label = size_label(parse_size(args.replicate_from))
    base = f"{args.database_prefix}_{base_label}"
    if not database_exists(args.server_url, base):
        print(f"{base} does not exist: build it first (--sizes {base_label})", flush=True)
        return 1
    copies = {size: f"{args.database_prefix}_{size_label(size)}" for size in sizes}
    pending = [size for size in sizes if not database_exists(args.server_url, copies[size])]
    if not pending:
        print(f"nothing to do: {', '.join(copies.values())} exist", flush=True)
        return 0
    work = f"{args.database_prefix}_build_from_{base_label}"
    if args.fresh:
        with admin_connection(args.server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)')
    if not database_exists(args.server_url, work):
        t0 = time.perf_counter()
        create_database(args.server_url, work, template=base)
        print(f"copied {base} → {work} ({time.perf_counter() - t0:.0f} s)", flush=True)

    os.environ["DATABASE_URL"] = f"{args.server_url}/{work}"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()
    from django.db import connection, connections

    from catalog.models import Footnote, Letter

    with connection.cursor() as cursor:
        base_letters = sum(n for _, _, n in base_volumes(cursor))
    print(f"work database {work}: base {base} has {base_letters} letters; sizes {copies}", flush=True)
    for size in pending:
        rounds = max(0, math.ceil(size / base_letters) - 1)
        print(f"{copies[size]}: the base + {rounds} clone(s) of each volume", flush=True)
        replicate(rounds, progress=lambda line: print(line, flush=True))
        letters = Letter.objects.count()
        print(f"{letters} letters, {Footnote.objects.count()} footnotes in {work}", flush=True)
        connections.close_all()
        print(f"VACUUM ANALYZE {work}: {vacuum_analyze(args.server_url, work):.0f} s", flush=True)
        t0 = time.perf_counter()
        with admin_connection(args.server_url) as conn:
            if size == pending[-1]:
                conn.execute(f'ALTER DATABASE "{work}" RENAME TO "{copies[size]}"')
                verb = "renamed"
            else:
                conn.execute(f'CREATE DATABASE "{copies[size]}" TEMPLATE "{work}" STRATEGY = FILE_COPY')
                verb = "copied"
        print(f"{verb} {work} → {copies[size]} at {letters} letters ({time.perf_counter() - t0:.0f} s)", flush=True)
    return 0


# -- the build -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,300k", help="letters at which to copy (default 10k,100k,300k)")
    parser.add_argument("--database-prefix", default="lb_scale", help="copies are <prefix>_<size> (default lb_scale)")
    parser.add_argument("--server-url", default=SERVER_URL, help="PostgreSQL server, without a database name")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--generator", choices=("auto", "synthetic", "excerpt"), default="auto")
    parser.add_argument("--out", type=Path, default=Path("/tmp/lb_scale_corpus"), help="where the TEI files go")
    parser.add_argument("--fresh", action="store_true", help="drop the work database and the copies first")
    parser.add_argument(
        "--replicate-from",
        metavar="SIZE",
        help="build --sizes by cloning every volume of <prefix>_<SIZE> (imported) in SQL, not by importing",
    )
    args = parser.parse_args(argv)

    sizes = sorted(parse_size(s) for s in args.sizes.split(",") if s.strip())
    if args.replicate_from:
        return replicate_main(args, sizes)
    work = f"{args.database_prefix}_build"
    copies = {size: f"{args.database_prefix}_{size_label(size)}" for size in sizes}
    if args.fresh:
        with admin_connection(args.server_url) as conn:
            for name in copies.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    create_database(args.server_url, work, drop=args.fresh)

    os.environ["DATABASE_URL"] = f"{args.server_url}/{work}"
    os.environ["DEBUG"] = "0"  # with DEBUG on Django keeps every query in memory
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from catalog.ingest.pipeline import import_paths
    from catalog.models import Footnote, Letter, Volume

    call_command("migrate", verbosity=0)
    source = volume_source(args.generator, args.out, args.seed, max(sizes))
    print(f"work database {work}; volumes from {source.name}; copies {copies}", flush=True)

    pending = [size for size in sizes if not database_exists(args.server_url, copies[size])]
    started = time.perf_counter()
    imported_docs = 0
    letters = Letter.objects.count()
    for paths in source.chunks():
        if not pending:
            break
        for path in paths:
            letters = Letter.objects.count()
            while pending and letters >= pending[0]:
                size = pending.pop(0)
                connections.close_all()
                t0 = time.perf_counter()
                create_database(args.server_url, copies[size], template=work)
                print(
                    f"copied {work} → {copies[size]} at {letters} letters ({time.perf_counter() - t0:.0f} s)",
                    flush=True,
                )
            if not pending:
                break
            identifier = path.stem
            if Volume.objects.filter(identifier=identifier).exists():
                continue
            t0 = time.perf_counter()
            result = import_paths([path], publish=True)
            elapsed = time.perf_counter() - t0
            if result.failures:
                print(f"FAILED {path}: {result.failures}", flush=True)
                return 1
            documents = Letter.objects.count() - letters  # whatever the loader's report looks like
            imported_docs += documents
            total = time.perf_counter() - started
            print(
                f"{identifier}: {documents} documents in {elapsed:.1f} s ({documents / elapsed:.0f}/s); "
                f"{letters + documents} letters; {imported_docs / total:.0f} documents/s overall",
                flush=True,
            )
    print(f"done: {Letter.objects.count()} letters, {Footnote.objects.count()} footnotes in {work}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
