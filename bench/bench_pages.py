"""Benchmark: the person, volume and letter pages and the JSON API (issue 12), statement by statement.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_scale_100k .venv/bin/python bench/bench_pages.py --explain

For each page (the person on most published letters, that person's last page of letters sent, the
volume with most letters and its last page, a median letter, the letter citing the most common
collection, ``/api/letters/`` and a letter's JSON): p50/p95 over ``--reps`` uncached requests
through Django's test ``Client`` (DEBUG off; the page cache off), the SQL statements per page, and
a bare Django view of the same run as the baseline (``x_bare``: each page's p50 in bare p50s, for
a machine whose load moves absolute figures several-fold), and
with ``--explain`` each statement's own execution time from ``EXPLAIN (ANALYZE, BUFFERS)``, the
slowest first: where a page's time goes. The database is only read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402
from bench_read import busiest_person, busiest_volume  # noqa: E402

TARGETS = {"person": 150, "person_deep": 150, "volume": 150, "volume_last": 150, "letter": 20, "letter_busy": 20}


def setup_django() -> None:
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["PUBLIC_PAGE_CACHE"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")  # + the bare view
    import django

    django.setup()


def pick_urls() -> dict[str, str]:
    from django.db.models import Count
    from django.urls import reverse

    from catalog.models import Letter, LetterPerson, Person, SourceCitation

    published = Letter.objects.published()
    person_row = busiest_person()
    sent = (
        LetterPerson.objects.filter(
            person=person_row["person"], role="sender", letter__status=Letter.Status.PUBLISHED
        ).count()
        if person_row
        else 0
    )
    volume_row = busiest_volume()
    count = published.count()
    letter = published.select_related("volume").order_by("pk")[count // 2] if count else None
    busy_source = (
        SourceCitation.objects.filter(letter__status=Letter.Status.PUBLISHED, source__box="")
        .values("source__repository", "source__collection")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    busy = None
    if busy_source:
        busy = (
            published.filter(
                source_citations__source__repository=busy_source["source__repository"],
                source_citations__source__collection=busy_source["source__collection"],
                source_citations__source__box="",
            )
            .select_related("volume")
            .order_by("pk")
            .first()
        )
    urls = {"bare": "/__bench__/hello/"}  # a bare Django view through the middleware: the machine's baseline
    if person_row:
        person = Person.objects.get(pk=person_row["person"])
        urls["person"] = person.get_absolute_url()
        urls["person_deep"] = f"{person.get_absolute_url()}?sender_page={max(1, -(-sent // 50))}"
    if volume_row:
        volume_url = reverse("catalog:volume", args=[volume_row["volume__identifier"]])
        urls["volume"] = volume_url
        urls["volume_last"] = f"{volume_url}?page={-(-volume_row['n'] // 100)}"
    if letter:
        urls["letter"] = letter.get_absolute_url()
        urls["api_letter"] = reverse("api:letter", args=[letter.volume.identifier, letter.number])
    if busy:
        urls["letter_busy"] = busy.get_absolute_url()
    urls["api_letters"] = "/api/letters/"
    urls["api_letters_p100"] = "/api/letters/?page=100"
    return urls


def explain(sql: str, params) -> tuple[float, str]:
    """A statement's execution time (ms) by EXPLAIN (ANALYZE, BUFFERS), and its plan."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    ms = next((float(line.split(":")[1].split()[0]) for line in lines if line.startswith("Execution Time")), 0.0)
    return ms, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--pages", default="", help="comma-separated page keys (default: all)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each statement of each page")
    parser.add_argument("--plans", action="store_true", help="print the plans of statements over 5 ms")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from catalog.models import Letter

    wanted = {k.strip() for k in args.pages.split(",") if k.strip()}
    letters = Letter.objects.published().count()
    meta = {"database": f"{connection.vendor}:{settings.DATABASES['default']['NAME']}", "letters": letters}
    urls = pick_urls()
    meta["urls"] = urls
    print(f"{meta['database']}: {letters:,} published letters", flush=True)
    client = Client()
    rows = []
    for key, url in urls.items():
        if wanted and key not in wanted:
            continue

        def get(url=url):
            started = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return (time.perf_counter() - started) * 1000, len(response.content)

        get()
        captured = []

        def record(execute, sql, params, many, context, captured=captured):
            captured.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            get()
        for _ in range(args.warmup):
            get()
        samples = []
        size = 0
        for _ in range(args.reps):
            ms, size = get()
            samples.append(ms)
        row = {"page": key, "url": url, "sql": len(captured), "kb": size / 1024, **benchlib.summarize(samples)}
        row.update(target_ms=TARGETS.get(key), sql_ms=None)
        row.update(benchlib.verdict(row["p95_ms"], TARGETS.get(key)))
        rows.append(row)
        print(f"{key}: {url} p50 {row['p50_ms']:.1f} p95 {row['p95_ms']:.1f} ms, {len(captured)} SQL", flush=True)
        if args.explain and connection.vendor == "postgresql":
            timed = []
            for sql, params in captured:
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                ms, plan = explain(sql, params)
                timed.append((ms, sql, plan))
            row["sql_ms"] = round(sum(t[0] for t in timed), 1)
            for ms, sql, plan in sorted(timed, key=lambda t: -t[0]):
                print(f"    {ms:8.2f} ms  {sql[:220]}")
                if args.plans and ms > 5:
                    print("      " + plan.replace("\n", "\n      "))
    bare = next((r["p50_ms"] for r in rows if r["page"] == "bare"), None)
    for row in rows:
        row["x_bare"] = row["p50_ms"] / bare if bare else None
    print()
    columns = ["page", "p50_ms", "p95_ms", "p99_ms", "x_bare", "sql", "sql_ms", "kb", "target_ms", "verdict", "ratio"]
    benchlib.report("pages", rows, columns, meta, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
