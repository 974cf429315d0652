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
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


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
    args = parser.parse_args(argv)

    sizes = sorted(parse_size(s) for s in args.sizes.split(",") if s.strip())
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
