"""Benchmark: the reader pages of the scale issue (search, lists, person, volume, letter, API) against an
existing database: p50/p95/p99 over N repetitions, a separate cold first request, SQL statements per
page and response size, each compared with the issue's p95 target (OK/MISSED and the ratio).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_scale_10k .venv/bin/python bench/bench_read.py

The database is only read. Without DATABASE_URL it reads the SQLite default (``make samples``).

Requests go through Django's test ``Client`` in this process, DEBUG off: the figure is the page's
own cost (URL resolution, middleware, view, SQL, template) without a server's or a load generator's
noise, and ``CaptureQueriesContext`` can count each page's SQL statements. Serving under load is
``bench_throughput.py``'s part (gunicorn and wrk).

The URLs come from the data: the most frequent document type, administration and repository, the
person on most letters, the volume with most letters, a median letter, a word found in one letter of
a sample (the rare word). ``--reps`` repetitions after ``--warmup`` unmeasured ones; a page stops
early after ``--budget`` seconds (at least ``--min-reps``, default 3) so that a 5-minute search does
not hold the run for hours.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402

COMMON_WORD = "President"
PHRASE = '"strategic arms"'

# (key, label, p95 target in ms) — the targets at 300k letters. The JSON API has none of its
# own ("fine at every size"); it shares /letters/'s query code, so it gets /letters/'s 100 ms.
PAGES = [
    ("search_common", f"search {COMMON_WORD}", 300),
    ("search_phrase", f"search {PHRASE}", 300),
    ("search_common_type", f"search {COMMON_WORD} + doc type", 300),
    ("search_rare", "search a rare word", 50),
    ("search_common_3f", f"search {COMMON_WORD} + 3 filters", 300),
    ("list", "/letters/", 100),
    ("list_facet", "/letters/ facet-filtered", 150),
    ("person", "person (most letters)", 150),
    ("volume", "volume (most letters)", 150),
    ("letter", "letter page", 20),
    ("api_letters", "/api/letters/", 100),
]
COLUMNS = ["page", "n", "cold_ms", "p50_ms", "p95_ms", "p99_ms", "sql", "kb", "target_ms", "verdict", "ratio"]


def setup_django() -> None:
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()


def rare_word(sample: int = 1000) -> str:
    """A word of at least 8 letters found in exactly one letter of a sample of published letters."""
    from catalog.models import Letter

    counts: Counter[str] = Counter()
    texts = Letter.objects.published().order_by("pk").values_list("body_text", flat=True)[:sample]
    for text in texts:
        counts.update({w.lower() for w in re.findall(r"\b[A-Za-z]{8,}\b", text or "")})
    singles = sorted(word for word, n in counts.items() if n == 1)
    return singles[len(singles) // 2] if singles else "zyzzyva"


def busiest_person() -> dict | None:
    """``{"person": id, "n": letters}`` of the person on the most published letters (or None)."""
    from django.db.models import Count

    from catalog.models import Letter, LetterPerson

    return (
        LetterPerson.objects.filter(letter__status=Letter.Status.PUBLISHED)
        .values("person")
        .annotate(n=Count("letter", distinct=True))
        .order_by("-n", "person")
        .first()
    )


def busiest_volume() -> dict | None:
    """``{"volume__identifier": …, "n": letters}`` of the volume with the most published letters."""
    from django.db.models import Count

    from catalog.models import Letter

    return (
        Letter.objects.published()
        .values("volume__identifier")
        .annotate(n=Count("pk"))
        .order_by("-n", "volume__identifier")
        .first()
    )


def pick_urls(rare: str = "") -> dict[str, str]:
    """The URL of every page of PAGES, chosen from the data."""
    from django.db.models import Count
    from django.urls import reverse

    from catalog.models import Letter, SourceCitation

    published = Letter.objects.published()

    def most(queryset, field):
        row = queryset.exclude(**{field: ""}).values(field).annotate(n=Count("pk")).order_by("-n", field).first()
        return row[field] if row else ""

    doc_type = most(published, "doc_type")
    administration = most(published, "administration")
    repository_row = (
        SourceCitation.objects.filter(letter__status=Letter.Status.PUBLISHED)
        .values("source__repository")
        .annotate(n=Count("pk"))
        .order_by("-n", "source__repository")
        .first()
    )
    repository = repository_row["source__repository"] if repository_row else ""
    person_row = busiest_person()
    volume_row = busiest_volume()
    count = published.count()
    letter = published.select_related("volume").order_by("pk")[count // 2] if count else None
    from catalog.models import Person

    person = Person.objects.get(pk=person_row["person"]) if person_row else None
    rare = rare or rare_word()

    def search(**params):
        return "/letters/?" + urlencode(params)

    return {
        "search_common": search(q=COMMON_WORD),
        "search_phrase": search(q=PHRASE),
        "search_common_type": search(q=COMMON_WORD, doc_type=doc_type),
        "search_rare": search(q=rare),
        "search_common_3f": search(
            q=COMMON_WORD, doc_type=doc_type, administration=administration, repository=repository
        ),
        "list": "/letters/",
        "list_facet": search(administration=administration),
        "person": person.get_absolute_url() if person else "",
        "volume": reverse("catalog:volume", args=[volume_row["volume__identifier"]]) if volume_row else "",
        "letter": letter.get_absolute_url() if letter else "",
        "api_letters": "/api/letters/",
    }


def measure(client, url: str, reps: int, warmup: int, budget: float, min_reps: int = 3) -> dict:
    """Time one URL: the cold first request, warm-ups (the first counts the SQL), then the repetitions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        started = time.perf_counter()
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return (time.perf_counter() - started) * 1000, response.status_code, len(body)

    cold_ms, status, size = get()
    with CaptureQueriesContext(connection) as queries:
        get()
    sql = len(queries)  # now: every request's start clears the query log the context slices
    for _ in range(max(warmup - 1, 0)):
        get()
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    while len(samples) < reps and (len(samples) < min_reps or time.perf_counter() < deadline):
        ms, status, size = get()
        samples.append(ms)
    return {"cold_ms": cold_ms, "status": status, "bytes": size, "sql": sql, **benchlib.summarize(samples)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="measured repetitions per page (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured requests after the cold one (default 2)")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per page before stopping early")
    parser.add_argument("--min-reps", type=int, default=3, help="repetitions even past the budget (default 3)")
    parser.add_argument("--pages", default="", help="comma-separated page keys (default: all)")
    parser.add_argument("--rare-word", default="", help="the rare word to search (default: from the data)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--label", default="", help="a name for this run (e.g. the database size)")
    args = parser.parse_args(argv)

    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from catalog.models import Footnote, Letter

    wanted = {key.strip() for key in args.pages.split(",") if key.strip()}
    letters = Letter.objects.published().count()
    meta = {
        "label": args.label,
        "database": f"{connection.vendor}:{settings.DATABASES['default']['NAME']}",
        "letters": letters,
        "footnotes": Footnote.objects.count(),
        "reps": args.reps,
        "warmup": args.warmup,
        "budget_s": args.budget,
        "debug": settings.DEBUG,
    }
    urls = pick_urls(args.rare_word)
    meta["urls"] = urls
    print(f"{meta['database']}: {letters:,} published letters, {meta['footnotes']:,} footnotes", flush=True)
    client = Client()
    rows = []
    for key, label, target in PAGES:
        if wanted and key not in wanted:
            continue
        url = urls[key]
        if not url:
            print(f"  {label}: nothing to measure (no data)", flush=True)
            continue
        figures = measure(client, url, args.reps, args.warmup, args.budget, args.min_reps)
        row = {"key": key, "page": label, "url": url, "target_ms": target, **figures}
        row["kb"] = figures["bytes"] / 1024
        row.update(benchlib.verdict(figures["p95_ms"], target))
        if figures["status"] != 200:
            row["verdict"] = f"HTTP {figures['status']}"
        rows.append(row)
        print(f"  {label}: {url} p95 {figures['p95_ms']:.1f} ms ({row['verdict']})", flush=True)
    print()
    benchlib.report("read", rows, COLUMNS, meta, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
