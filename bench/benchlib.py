"""What the benchmarks share: percentiles, verdicts against the issue's targets, the printed table, the
JSON file, and the figures sections of ``bench/RESULTS.md``. Pure functions (tested in
``tests/bench/test_benchlib.py``); no Django here.

A benchmark's JSON is ``{"benchmark": name, "meta": {...}, "rows": [{...}, ...], "columns": [...]}``:
``rows`` hold the figures, ``columns`` the keys to print, in order.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100) with linear interpolation between the closest ranks (numpy's
    default): ``percentile([1, 2, 3, 4], 50) == 2.5``."""
    if not values:
        raise ValueError("no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile out of range: {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples_ms: Sequence[float]) -> dict:
    """n, p50, p95, p99, min and max of some timings (milliseconds)."""
    return {
        "n": len(samples_ms),
        "p50_ms": percentile(samples_ms, 50),
        "p95_ms": percentile(samples_ms, 95),
        "p99_ms": percentile(samples_ms, 99),
        "min_ms": min(samples_ms),
        "max_ms": max(samples_ms),
    }


def verdict(measured: float | None, target: float | None, *, at_most: bool = True) -> dict:
    """Measured against a target: ``{"verdict": "OK"|"MISSED"|"-", "ratio": measured/target}``.

    ``at_most``: the target is a ceiling (a latency); else a floor (a throughput ratio). The ratio is
    always measured/target, so 2.0 on a ceiling is twice too slow and 0.5 on a floor half the goal.
    """
    if measured is None or target is None or target == 0:
        return {"verdict": "-", "ratio": None}
    ratio = measured / target
    ok = measured <= target if at_most else measured >= target
    return {"verdict": "OK" if ok else "MISSED", "ratio": ratio}


def format_value(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if abs(value) >= 0.01 else f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(rows: Iterable[dict], columns: Sequence[str], *, markdown: bool = False) -> str:
    """Rows as an aligned text table (or a Markdown one), one line per row, columns in order."""
    cells = [[str(c) for c in columns]] + [[format_value(row.get(c)) for c in columns] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(line) + " |" for line in cells[1:]]
        return "\n".join(lines)
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]

    def render(line: list[str]) -> str:
        # Text left, figures right.
        return "  ".join(
            cell.ljust(widths[i]) if i == 0 or not _numeric(cell) else cell.rjust(widths[i])
            for i, cell in enumerate(line)
        ).rstrip()

    return "\n".join([render(cells[0]), render(["-" * w for w in widths])] + [render(line) for line in cells[1:]])


def _numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"-?[\d,]+(\.\d+)?", cell))


def result(benchmark: str, rows: list[dict], columns: Sequence[str], meta: dict | None = None) -> dict:
    """The JSON document of one benchmark run."""
    for row in rows:
        missing = [c for c in columns if c not in row]
        if missing:
            raise ValueError(f"row {row!r} lacks {missing}")
    return {"benchmark": benchmark, "meta": dict(meta or {}), "columns": list(columns), "rows": rows}


def write_json(path: str | Path, document: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    return path


def report(benchmark: str, rows: list[dict], columns: Sequence[str], meta: dict, json_path: Path | None) -> None:
    """The end of every benchmark: print the table, write the JSON when asked."""
    print(format_table(rows, columns))
    if json_path:
        write_json(json_path, result(benchmark, rows, columns, meta))


def replace_section(markdown: str, heading: str, body: str, sub: str = "") -> str:
    """``markdown`` with the section under ``## heading`` replaced by ``body`` (up to the next ``## ``
    heading or the end); appended at the end when there is no such section. With ``sub``, only the
    subsection ``### sub`` of that section is replaced (or added at the section's end): the section's
    other subsections — an earlier run kept for comparison — stay. Others' sections always stay."""
    lines = markdown.splitlines()
    title = f"## {heading}"
    content = f"### {sub}\n\n{body.strip()}" if sub else body.strip()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == title)
    except StopIteration:
        text = markdown.rstrip("\n")
        return (text + "\n\n" if text else "") + f"{title}\n\n{content}\n"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    if sub:
        subtitle = f"### {sub}"
        found = next((i for i in range(start + 1, end) if lines[i].strip() == subtitle), None)
        if found is None:
            section = "\n".join(lines[start + 1 : end]).strip()
            if section.startswith("Not measured yet"):
                section = ""
            new_section = (section + "\n\n" if section else "") + content
        else:
            sub_end = next((i for i in range(found + 1, end) if lines[i].startswith("### ")), end)
            before = "\n".join(lines[start + 1 : found]).strip()
            after = "\n".join(lines[sub_end:end]).strip()
            new_section = "\n\n".join(part for part in (before, content, after) if part)
        body_lines = new_section.splitlines()
    else:
        body_lines = content.splitlines()
    new = lines[: start + 1] + ["", *body_lines, ""] + lines[end:]
    return "\n".join(new).rstrip("\n") + "\n"
