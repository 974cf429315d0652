"""Benchmark: the search and list pages (issue 12) against whatever database ``DATABASE_URL`` names.

Renders each page through Django's test client (the whole view: filters, count, facets, the page,
snippets, the template) ``--repeat`` times and prints p50/p95 in milliseconds, the SQL statements
per page and the ratio of p95 to the target. A baseline measured in the same run — a page of the
letter's page, which reads one row — is printed too, so the figures read as ratios on a noisy
machine. Prints figures; asserts nothing.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_search_big \\
        .venv/bin/python bench/bench_search.py [--repeat 7] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

PAGES = [
    # (name, url, target p95 in ms)
    ("list", "/letters/", 100),
    ("list, 3 facets", "/letters/?doc_type=telegram&classification=secret&administration=nixon", 150),
    ("list, page 40", "/letters/?sort=-date&page=40", 100),
    ("search common word", "/letters/?q=President", 300),
    ("search common word, 3 filters", "/letters/?q=President&doc_type=telegram&classification=secret&year=1970s", 300),
    ("search phrase", "/letters/?q=%22strategic+arms%22", 300),
    (
        "search phrase, 3 filters",
        "/letters/?q=%22strategic+arms%22&doc_type=memorandum&classification=secret&year=1970s",
        300,
    ),
    ("search common word by date", "/letters/?q=President&sort=date", 300),
    ("search scope footnotes", "/letters/?q=President&scope=footnotes", 300),
    ("search rare word", "/letters/?q=zeppelinoid", 50),
    ("api search common word", "/api/letters/?q=President", 300),
]


def measure(client, url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    for i in range(repeat + 1):
        with CaptureQueriesContext(connection) as context:
            started = time.perf_counter()
            response = client.get(url, secure=True)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        if i:  # the first run warms caches
            times.append(elapsed)
        queries = len(context.captured_queries)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], 1),
        "queries": queries,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from django.test import Client

    from catalog.models import Letter

    client = Client()
    letters = Letter.objects.published().count()
    print(f"{letters} published letters; {args.repeat} runs a page after a warm-up")
    first = Letter.objects.published().select_related("volume").order_by("pk").first()
    baseline = measure(client, first.get_absolute_url(), args.repeat)
    print(f"baseline (one letter's page): p50 {baseline['p50_ms']} ms, p95 {baseline['p95_ms']} ms")
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {'p95/target':>10} {'/letter':>7} {'SQL':>4}")
    results = {"letters": letters, "baseline": baseline, "pages": {}}
    for name, url, target in PAGES:
        row = measure(client, url, args.repeat)
        row.update(url=url, target_ms=target, ratio_to_target=round(row["p95_ms"] / target, 2))
        row["ratio_to_baseline"] = round(row["p50_ms"] / max(baseline["p50_ms"], 0.1), 1)
        results["pages"][name] = row
        print(
            f"{name:34} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {target:7d} {row['ratio_to_target']:10.2f}"
            f" {row['ratio_to_baseline']:7.1f} {row['queries']:4d}",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
