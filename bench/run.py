"""``make bench``: run the benchmarks, print one table, write JSON to ``bench/results/``, and with
``--write-results`` regenerate this branch's figures sections of ``bench/RESULTS.md`` ("Reader pages",
"Throughput"; the other sections are left as they are).

    .venv/bin/python bench/run.py                                  # sample scale, a few minutes
    .venv/bin/python bench/run.py --sizes 10k,100k,300k --database-prefix lb_scale --duration 20 \\
        --write-results

Each benchmark runs as its own process (``bench_import.py``, ``bench_read.py``, ``bench_throughput.py``,
each with ``--json``), one after the other, never two at once: the machine is what is measured.

Sizes: ``sample`` builds a small database — the project's sample volumes and one small synthetic
volume — in a temporary SQLite file, or in ``--sample-database-url`` (a PostgreSQL database of yours:
it is EMPTIED). Any other size (``10k``) reads the existing ``<prefix>_<size>`` database on
``--server-url`` (``bench/build_scale_db.py`` builds them), read only.

The import benchmark writes: it gets ``--import-database-url`` (EMPTIED), by default a temporary
SQLite file, or ``<server>/lb_bench_import`` when the sizes are PostgreSQL databases.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import benchlib  # noqa: E402

SERVER_URL = "postgres://postgres@127.0.0.1:5432"
SUMMARY_COLUMNS = ["benchmark", "size", "item", "figure", "target", "verdict", "ratio"]
SECTIONS = {"read": "Reader pages", "throughput": "Throughput"}


# -- the summary ---------------------------------------------------------------------------------


def import_rows(figures: dict, baseline: dict) -> list[dict]:
    """``bench_import.py``'s figures (branch importspeed: ``first_import``, ``unchanged_reimport``,
    ``changed_release``, ``copy_floor``, ``peak_rss_mb``) as rows against issue 13's targets: a first
    import at ≥ 50 % of the COPY floor, unchanged ≥ 10× and changed ≥ 5× main's speed (``baseline``,
    ``bench/import_baseline.json``), peak RSS ≤ 300 MB."""
    rows = []
    floor = (figures.get("copy_floor") or {}).get("docs_per_s")
    targets = {"first_import": None, "unchanged_reimport": 10.0, "changed_release": 5.0}
    for label, speedup in targets.items():
        run = figures.get(label)
        if not isinstance(run, dict):
            continue
        rate = run.get("docs_per_s")
        row = {"item": label.replace("_", " "), "figure": f"{rate} docs/s, {run.get('statements_per_doc')} SQL/doc"}
        if label == "first_import" and floor:
            row.update(target="≥ 50% of COPY floor", **benchlib.verdict(rate / floor, 0.5, at_most=False))
            row["ratio"] = rate / floor  # to the floor itself
        elif speedup and (before := (baseline.get(label) or {}).get("docs_per_s")):
            row.update(target=f"≥ {speedup:g}× main", **benchlib.verdict(rate / before, speedup, at_most=False))
            row["ratio"] = rate / before  # to main's speed
        rows.append(row)
    if figures.get("peak_rss_mb") is not None:
        rss = figures["peak_rss_mb"]
        rows.append({"item": "peak RSS", "figure": f"{rss} MB", "target": "≤ 300 MB", **benchlib.verdict(rss, 300)})
    return rows


def summary_rows(document: dict, size: str) -> list[dict]:
    """One benchmark's JSON as rows of the combined table."""
    kind = document.get("benchmark", "?")
    if kind == "import" and "rows" not in document:
        baseline_path = BENCH / "import_baseline.json"
        baseline = json.loads(baseline_path.read_text(encoding="utf-8")) if baseline_path.exists() else {}
        document = {**document, "rows": import_rows(document, baseline)}
    rows = []
    for row in document.get("rows", []):
        if kind == "read":
            figure = f"p95 {row['p95_ms']:.1f} ms, {row['sql']} SQL"
            target = f"≤ {row['target_ms']} ms" if row.get("target_ms") is not None else "-"
            item = row["page"]
        elif kind == "throughput":
            figure = f"{row['rps']:.0f} req/s"
            if row.get("timeouts") or row.get("non2xx") or row.get("errors"):
                figure += f" ({row['non2xx']} non-2xx, {row['errors']} errors, {row['timeouts']} time-outs)"
            target = f"≥ {row['target']:.0%} of bare" if row.get("target") is not None else "-"
            item = row["page"]
        else:  # another branch's benchmark: show what it says
            item = str(row.get("item") or row.get("page") or row.get("label") or row.get("name") or "-")
            figure = str(
                row.get("figure")
                or ", ".join(
                    f"{k}={benchlib.format_value(v)}"
                    for k, v in row.items()
                    if k not in {"item", "page", "label", "name", "verdict", "ratio", "target"}
                )[:80]
            )
            target = str(row.get("target", "-"))
        rows.append(
            {
                "benchmark": kind,
                "size": size,
                "item": item,
                "figure": figure,
                "target": target,
                "verdict": row.get("verdict", "-"),
                "ratio": row.get("ratio"),
            }
        )
    if not document.get("rows") and document.get("error"):
        rows.append(
            {
                "benchmark": kind,
                "size": size,
                "item": "-",
                "figure": document["error"][:80],
                "target": "-",
                "verdict": "FAILED",
                "ratio": None,
            }
        )
    return rows


def markdown_section(documents: list[tuple[str, dict]], command: str) -> str:
    """The figures of some runs of one benchmark as Markdown: the command, then a table per size."""
    parts = [f"Measured with `{command}`."]
    for size, document in documents:
        meta = document.get("meta", {})
        when = meta.get("finished", "")
        head = (
            f"**{size}** — {meta.get('database', '?')}, {meta.get('letters', '?'):,} letters"
            if isinstance(meta.get("letters"), int)
            else f"**{size}** — {meta.get('database', '?')}"
        )
        if document.get("benchmark") == "throughput":
            head += (
                f"; wrk -c{meta.get('connections')} -d{meta.get('duration_s')}s, gunicorn {meta.get('workers')} workers"
            )
        if document.get("benchmark") == "read":
            head += f"; up to {meta.get('reps')} repetitions after {meta.get('warmup')} warm-ups (n: how many)"
        if meta.get("note"):
            head += f"; {meta['note']}"
        parts.append(head + (f"; {when}" if when else "") + ":")
        parts.append(benchlib.format_table(document.get("rows", []), document.get("columns", []), markdown=True))
    return "\n\n".join(parts)


def update_results_md(path: Path, runs: dict[str, list[tuple[str, dict]]], command: str, label: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    for kind, heading in SECTIONS.items():
        if runs.get(kind):
            text = benchlib.replace_section(text, heading, markdown_section(runs[kind], command), sub=label)
    path.write_text(text, encoding="utf-8")


# -- running -------------------------------------------------------------------------------------


def build_sample(database_url: str) -> None:
    """The sample database: the project's sample volumes and one small synthetic volume, published."""
    code = f"""
import os, sys, tempfile
sys.path.insert(0, {str(ROOT)!r})
os.environ.update(DATABASE_URL={database_url!r}, DEBUG="0", DJANGO_SETTINGS_MODULE="archive.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
import django; django.setup()
from pathlib import Path
from django.core.management import call_command
from catalog.ingest.pipeline import import_paths
call_command("migrate", verbosity=0)
call_command("flush", interactive=False, verbosity=0)
fixtures = Path({str(ROOT / "fixtures")!r})
for paths, options in [([fixtures / "frus1969-76v33"], {{"identifier": "frus1969-76v33"}}),
                       ([fixtures / "frus1981-88v04"], {{"identifier": "frus1981-88v04"}}),
                       ([fixtures / "frus1969-76v33-excerpt.xml", fixtures / "frus1944Quebec-excerpt.xml"], {{}})]:
    assert not import_paths(paths, publish=True, **options).failures
try:
    from catalog.synthetic import generate_corpus
except ImportError:
    generate_corpus = None
if generate_corpus:
    out = Path(tempfile.mkdtemp(prefix="letterbook-sample-"))
    generate_corpus(out, 1, 1, documents=300)
    assert not import_paths(sorted(out.glob("*.xml")), publish=True).failures
"""
    if database_url.startswith("postgres"):
        from build_scale_db import create_database

        server, name = database_url.rsplit("/", 1)
        create_database(server, name)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def run_bench(script: str, args: list[str], env: dict[str, str], json_path: Path, timeout: float) -> dict:
    command = [sys.executable, str(BENCH / script), *args, "--json", str(json_path)]
    print(f"\n$ {shlex.join(command)}", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        returncode = process.wait(timeout=timeout)
        failed = returncode != 0 and f"exit status {returncode}"
    except subprocess.TimeoutExpired:
        process.terminate()  # SIGTERM: the benchmark stops its own server first
        process.wait()
        failed = f"timed out after {timeout:.0f} s"
    if not failed and json_path.exists():
        document = json.loads(json_path.read_text(encoding="utf-8"))
        document.setdefault("benchmark", script.removeprefix("bench_").removesuffix(".py"))
    else:
        document = {
            "benchmark": script.removeprefix("bench_").removesuffix(".py"),
            "rows": [],
            "columns": [],
            "meta": {},
            "error": failed or "no JSON written",
        }
    document.setdefault("meta", {})["seconds"] = round(time.perf_counter() - started, 1)
    document["meta"]["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    return document


def from_json(args) -> int:
    """Print and record earlier results without running anything."""
    runs: dict[str, list[tuple[str, dict]]] = {"import": [], "read": [], "throughput": []}
    summary: list[dict] = []
    for path in args.from_json:
        document = json.loads(path.read_text(encoding="utf-8"))
        size = document.get("meta", {}).get("label") or "-"
        runs.setdefault(document.get("benchmark", "?"), []).append((size, document))
        summary += summary_rows(document, size)
    print(benchlib.format_table(summary, SUMMARY_COLUMNS))
    if args.write_results:
        update_results_md(args.results_md, runs, args.command or "bench/run.py", args.results_label)
        print(f"updated {args.results_md}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="sample", help="sample and/or database sizes: 10k,100k,300k")
    parser.add_argument("--database-prefix", default="lb_scale", help="sized databases are <prefix>_<size>")
    parser.add_argument("--server-url", default=SERVER_URL)
    parser.add_argument("--sample-database-url", default="", help="PostgreSQL for the sample (EMPTIED)")
    parser.add_argument("--import-database-url", default="", help="the import benchmark's database (EMPTIED)")
    parser.add_argument("--only", default="import,read,throughput", help="which benchmarks (default all)")
    parser.add_argument("--reps", type=int, default=10, help="bench_read repetitions per page (default 10)")
    parser.add_argument("--budget", type=float, default=20.0, help="bench_read seconds per page (default 20)")
    parser.add_argument("--duration", type=float, default=5.0, help="wrk seconds per page (default 5; issue: 20)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--import-args", default="--size-mb 2", help="arguments for bench_import.py")
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds before one benchmark is stopped")
    parser.add_argument("--results-dir", type=Path, default=BENCH / "results")
    parser.add_argument("--write-results", action="store_true", help="regenerate bench/RESULTS.md's sections")
    parser.add_argument("--results-md", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument(
        "--results-label",
        default="Latest run",
        help="the subsection (### label) of RESULTS.md's sections this run replaces; others stay",
    )
    parser.add_argument(
        "--from-json",
        nargs="+",
        type=Path,
        help="run nothing: print and (with --write-results) record these earlier results (bench/results/*.json)",
    )
    parser.add_argument("--command", default="", help="with --from-json: the command that measured them")
    args = parser.parse_args(argv)
    if args.from_json:
        return from_json(args)

    only = {name.strip() for name in args.only.split(",") if name.strip()}
    sizes = [size.strip() for size in args.sizes.split(",") if size.strip()]
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    command = (
        "make bench"
        if not argv and len(sys.argv) == 1
        else "bench/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    )
    base_env = dict(os.environ, DEBUG="0")
    base_env.setdefault("SECRET_KEY", "benchmark-only")
    workdir = Path(tempfile.mkdtemp(prefix="letterbook-bench-run-"))
    summary: list[dict] = []
    runs: dict[str, list[tuple[str, dict]]] = {"import": [], "read": [], "throughput": []}

    if "import" in only:
        import_url = args.import_database_url
        if not import_url and any(size != "sample" for size in sizes):
            import_url = f"{args.server_url}/lb_bench_import"
            from build_scale_db import create_database

            create_database(args.server_url, "lb_bench_import")
        env = dict(base_env)
        if import_url:
            env["DATABASE_URL"] = import_url
        else:
            env.pop("DATABASE_URL", None)  # bench_import.py uses a temporary SQLite file
        document = run_bench(
            "bench_import.py",
            shlex.split(args.import_args),
            env,
            args.results_dir / f"import-{stamp}.json",
            args.timeout,
        )
        runs["import"].append(("import", document))
        summary += summary_rows(document, "-")

    for size in sizes:
        if size == "sample":
            url = args.sample_database_url or f"sqlite:///{workdir / 'sample.sqlite3'}"
            print(f"\nbuilding the sample database ({url})", flush=True)
            build_sample(url)
        else:
            url = f"{args.server_url}/{args.database_prefix}_{size}"
        env = dict(base_env, DATABASE_URL=url)
        bench_args = {
            "read": ["--reps", str(args.reps), "--budget", str(args.budget)],
            "throughput": ["--duration", str(args.duration), "--connections", str(args.connections)],
        }
        for kind, extra in bench_args.items():
            if kind in only:
                json_path = args.results_dir / f"{kind}-{size}-{stamp}.json"
                document = run_bench(f"bench_{kind}.py", [*extra, "--label", size], env, json_path, args.timeout)
                runs[kind].append((size, document))
                summary += summary_rows(document, size)

    print("\n" + benchlib.format_table(summary, SUMMARY_COLUMNS))
    benchlib.write_json(
        args.results_dir / f"summary-{stamp}.json",
        benchlib.result("summary", summary, SUMMARY_COLUMNS, {"command": command, "sizes": sizes}),
    )
    print(f"\nJSON in {args.results_dir}/*-{stamp}.json")
    if args.write_results:
        update_results_md(args.results_md, runs, command, args.results_label)
        print(f"updated {args.results_md}")
    return 1 if any(row["verdict"] == "FAILED" for row in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
