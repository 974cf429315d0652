"""The benchmark harness's logic (bench/benchlib.py, bench/run.py, bench/bench_read.py,
bench/bench_throughput.py, bench/build_scale_db.py): percentiles, verdicts, the table and JSON shapes,
the wrk report's parsing, the URLs picked from the data. No timed assertions."""

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import bench_read  # noqa: E402
import bench_throughput  # noqa: E402
import benchlib  # noqa: E402
import build_scale_db  # noqa: E402
import run  # noqa: E402

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8123/letters/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   412.31ms  120.02ms   1.99s    80.00%
    Req/Sec    38.12     10.01    60.00     70.00%
  Latency Distribution
     50%  398.50ms
     75%  450.00ms
     90%  600.00ms
     99%    1.50s
  381 requests in 5.01s, 10.20MB read
  Socket errors: connect 0, read 1, write 0, timeout 18
  Non-2xx or 3xx responses: 2
Requests/sec:     76.05
Transfer/sec:      2.04MB
"""


def test_percentile_interpolates_between_ranks():
    assert benchlib.percentile([1, 2, 3, 4], 50) == 2.5
    assert benchlib.percentile([4, 1, 3, 2], 0) == 1
    assert benchlib.percentile([4, 1, 3, 2], 100) == 4
    assert benchlib.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert benchlib.percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert benchlib.percentile([7], 99) == 7


def test_percentile_refuses_nothing_and_out_of_range():
    with pytest.raises(ValueError):
        benchlib.percentile([], 50)
    with pytest.raises(ValueError):
        benchlib.percentile([1], 101)


def test_summarize():
    assert benchlib.summarize([10.0, 30.0, 20.0]) == {
        "n": 3,
        "p50_ms": 20.0,
        "p95_ms": 29.0,
        "p99_ms": pytest.approx(29.8),
        "min_ms": 10.0,
        "max_ms": 30.0,
    }


def test_verdict_ceiling_and_floor():
    assert benchlib.verdict(150.0, 300) == {"verdict": "OK", "ratio": 0.5}
    assert benchlib.verdict(300.0, 300) == {"verdict": "OK", "ratio": 1.0}
    assert benchlib.verdict(600.0, 300) == {"verdict": "MISSED", "ratio": 2.0}
    assert benchlib.verdict(0.5, 0.4, at_most=False) == {"verdict": "OK", "ratio": 1.25}
    assert benchlib.verdict(0.1, 0.4, at_most=False) == {"verdict": "MISSED", "ratio": 0.25}
    assert benchlib.verdict(None, 300) == {"verdict": "-", "ratio": None}
    assert benchlib.verdict(12.0, None) == {"verdict": "-", "ratio": None}


def test_format_table_text_and_markdown():
    rows = [{"page": "letter page", "p95_ms": 12.345, "sql": 7}, {"page": "/letters/", "p95_ms": 650.0, "sql": 12}]
    assert benchlib.format_table(rows, ["page", "p95_ms", "sql"]).splitlines() == [
        "page         p95_ms  sql",
        "-----------  ------  ---",
        "letter page    12.3    7",
        "/letters/       650   12",
    ]
    assert benchlib.format_table(rows, ["page", "sql"], markdown=True).splitlines() == [
        "| page | sql |",
        "|---|---|",
        "| letter page | 7 |",
        "| /letters/ | 12 |",
    ]


def test_result_shape_and_json(tmp_path):
    rows = [{"page": "a", "p95_ms": 1.0}]
    document = benchlib.result("read", rows, ["page", "p95_ms"], {"letters": 10})
    assert document == {"benchmark": "read", "meta": {"letters": 10}, "columns": ["page", "p95_ms"], "rows": rows}
    path = benchlib.write_json(tmp_path / "out" / "read.json", document)
    assert json.loads(path.read_text()) == document
    with pytest.raises(ValueError):
        benchlib.result("read", rows, ["page", "sql"])


def test_replace_section_keeps_the_other_sections():
    text = "# Results\n\n## Import\n\nfast\n\n## Reader pages\n\nold\nlines\n\n## Beyond one machine\n\nlater\n"
    assert benchlib.replace_section(text, "Reader pages", "new") == (
        "# Results\n\n## Import\n\nfast\n\n## Reader pages\n\nnew\n\n## Beyond one machine\n\nlater\n"
    )
    assert benchlib.replace_section("# Results\n", "Throughput", "figures") == "# Results\n\n## Throughput\n\nfigures\n"


def test_replace_section_keeps_the_other_runs():
    text = "## Reader pages\n\nintro\n\n### Before\n\nslow\n\n### After\n\nold\n\n## Throughput\n\nx\n"
    assert benchlib.replace_section(text, "Reader pages", "fast", sub="After") == (
        "## Reader pages\n\nintro\n\n### Before\n\nslow\n\n### After\n\nfast\n\n## Throughput\n\nx\n"
    )
    assert benchlib.replace_section(text, "Throughput", "y", sub="After") == (
        "## Reader pages\n\nintro\n\n### Before\n\nslow\n\n### After\n\nold\n\n## Throughput\n\nx\n\n### After\n\ny\n"
    )
    assert benchlib.replace_section("## Throughput\n\nNot measured yet.\n", "Throughput", "y", sub="Before") == (
        "## Throughput\n\n### Before\n\ny\n"
    )


def test_parse_wrk():
    assert bench_throughput.parse_wrk(WRK_OUTPUT) == {
        "requests": 381,
        "rps": 76.05,
        "non2xx": 2,
        "errors": 1,
        "timeouts": 18,
        "p50_ms": 398.5,
        "p99_ms": 1500.0,
    }
    assert bench_throughput.to_ms("812.00us") == pytest.approx(0.812)
    assert bench_throughput.to_ms("1.5m") == 90_000.0
    with pytest.raises(ValueError):
        bench_throughput.to_ms("12 parsecs")


def test_judge_ratios_and_verdicts():
    clean = {"non2xx": 0, "errors": 0, "timeouts": 0}
    rows = [
        {"key": "hello", "rps": 1000.0, "target": None, **clean},
        {"key": "letter", "rps": 500.0, "target": 0.40, **clean},
        {"key": "list", "rps": 100.0, "target": 0.20, **clean},
        {"key": "search", "rps": 300.0, "target": None, **clean, "timeouts": 3},
        {"key": "search", "rps": 0.0, "target": None, **clean, "requests": 0},
    ]
    for row in rows:
        row.setdefault("requests", 1)
    bench_throughput.judge(rows)
    assert [(row["ratio"], row["verdict"]) for row in rows] == [
        (1.0, "-"),
        (0.5, "OK"),
        (0.1, "MISSED"),
        (0.3, "MISSED"),
        (0.0, "MISSED"),
    ]


def test_sizes():
    assert [build_scale_db.parse_size(s) for s in ("10k", "1.5m", "250", "300K")] == [10_000, 1_500_000, 250, 300_000]
    assert [build_scale_db.size_label(n) for n in (10_000, 2_000_000, 250)] == ["10k", "2m", "250"]
    with pytest.raises(ValueError):
        build_scale_db.parse_size("0k")


def test_summary_rows_of_each_benchmark():
    read = benchlib.result(
        "read",
        [{"page": "letter page", "p95_ms": 30.0, "sql": 9, "target_ms": 20, "verdict": "MISSED", "ratio": 1.5}],
        ["page"],
    )
    throughput = benchlib.result(
        "throughput",
        [
            {
                "page": "/letters/",
                "rps": 2.0,
                "target": 0.2,
                "non2xx": 0,
                "errors": 0,
                "timeouts": 18,
                "verdict": "MISSED",
                "ratio": 0.01,
            }
        ],
        ["page"],
    )
    assert run.summary_rows(read, "10k") == [
        {
            "benchmark": "read",
            "size": "10k",
            "item": "letter page",
            "figure": "p95 30.0 ms, 9 SQL",
            "target": "≤ 20 ms",
            "verdict": "MISSED",
            "ratio": 1.5,
        }
    ]
    assert run.summary_rows(throughput, "10k") == [
        {
            "benchmark": "throughput",
            "size": "10k",
            "item": "/letters/",
            "figure": "2 req/s (0 non-2xx, 0 errors, 18 time-outs)",
            "target": "≥ 20% of bare",
            "verdict": "MISSED",
            "ratio": 0.01,
        }
    ]
    failed = {"benchmark": "import", "rows": [], "error": "exit status 2"}
    assert run.summary_rows(failed, "-")[0]["verdict"] == "FAILED"


def test_pick_urls_and_measure_from_the_data(import_seeds, client):
    urls = bench_read.pick_urls(rare="brezhnev")
    assert urls["list"] == "/letters/"
    assert urls["search_common"] == "/letters/?q=President"
    assert urls["search_rare"] == "/letters/?q=brezhnev"
    assert urls["volume"] == "/volumes/frus1969-76v33/"
    assert urls["letter"] == "/volumes/frus1981-88v04/d328/"
    assert urls["person"].startswith("/people/")
    figures = bench_read.measure(client, urls["letter"], reps=3, warmup=1, budget=0)
    assert figures["status"] == 200
    assert figures["n"] == 3
    assert figures["sql"] > 0
    assert figures["bytes"] > 1000


def test_import_figures_against_issue_13():
    figures = {
        "first_import": {"docs_per_s": 400.0, "statements_per_doc": 0.5},
        "unchanged_reimport": {"docs_per_s": 9000.0, "statements_per_doc": 0.01},
        "changed_release": {"docs_per_s": 500.0, "statements_per_doc": 0.8},
        "copy_floor": {"docs_per_s": 1000.0},
        "peak_rss_mb": 120.0,
    }
    baseline = {"unchanged_reimport": {"docs_per_s": 772.0}, "changed_release": {"docs_per_s": 150.0}}
    rows = run.summary_rows({"benchmark": "import", **figures, "meta": {}}, "-")
    # The first import and the memory do not depend on main's figures (bench/import_baseline.json).
    assert (rows[0]["item"], rows[0]["target"], rows[0]["verdict"]) == ("first import", "≥ 50% of COPY floor", "MISSED")
    assert (rows[-1]["item"], rows[-1]["figure"], rows[-1]["verdict"]) == ("peak RSS", "120.0 MB", "OK")
    rows = run.import_rows(figures, baseline)
    assert [(r["item"], r["verdict"], round(r["ratio"], 2)) for r in rows] == [
        ("first import", "MISSED", 0.4),
        ("unchanged reimport", "OK", 11.66),
        ("changed release", "MISSED", 3.33),
        ("peak RSS", "OK", 0.4),
    ]
