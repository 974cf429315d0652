"""Benchmark: stream a synthetic ~20 MB FRUS TEI volume through ``parse_tei``.

The volume is the v33 excerpt's header and front matter followed by its eleven documents (d188–d198)
repeated, each copy renumbered (``@n``, ``xml:id``, footnote ids, the heading's number, the page
breaks), written to a temporary file without building it in memory. The script then parses it in
full, consuming every letter, and prints documents per second and the process's peak resident set
size (``resource.getrusage``) before and after parsing. It prints figures; it asserts nothing.

    .venv/bin/python bench/bench_tei_parse.py [--size-mb 20] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog.ingest.tei_parser import parse_tei  # noqa: E402

SOURCE = ROOT / "fixtures" / "frus1969-76v33-excerpt.xml"
_DOCUMENT = re.compile(r'<div type="document" n="(\d+)" xml:id="d\d+">.*?\n</div>\n', re.S)
_PAGE = re.compile(r'<pb n="(\d+)" facs="(\d+)" xml:id="pg_\d+"/>')


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def split_excerpt(text: str) -> tuple[str, list[tuple[int, str]], str]:
    documents = list(_DOCUMENT.finditer(text))
    prefix = text[: documents[0].start()]
    suffix = text[documents[-1].end() :]
    return prefix, [(int(m.group(1)), m.group(0)) for m in documents], suffix


def renumber(document: str, old: int, new: int, page_shift: int) -> str:
    document = document.replace(f'n="{old}" xml:id="d{old}"', f'n="{new}" xml:id="d{new}"', 1)
    document = document.replace(f'xml:id="d{old}fn', f'xml:id="d{new}fn')
    document = document.replace(f"<head>{old}. ", f"<head>{new}. ", 1)

    def page(match: re.Match) -> str:
        number = int(match.group(1)) + page_shift
        return f'<pb n="{number}" facs="{int(match.group(2)) + page_shift:04d}" xml:id="pg_{number}"/>'

    return _PAGE.sub(page, document)


def build_volume(path: Path, size_mb: float) -> int:
    """Write the synthetic volume to ``path``; the number of documents written."""
    prefix, documents, suffix = split_excerpt(SOURCE.read_text(encoding="utf-8"))
    first_page = 788
    pages_per_round = 824 - first_page + 1
    target = int(size_mb * 1024 * 1024)
    written = number = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(prefix)
        written += len(prefix.encode())
        round_ = 0
        while written < target:
            for old, document in documents:
                number += 1
                chunk = renumber(document, old, number, round_ * pages_per_round - (first_page - 1))
                out.write(chunk)
                written += len(chunk.encode())
            round_ += 1
        out.write(suffix)
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20.0, help="size of the synthetic volume (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary file and print its path")
    args = parser.parse_args()

    handle, name = tempfile.mkstemp(prefix="bench-frus-", suffix=".xml")
    os.close(handle)
    path = Path(name)
    try:
        started = time.perf_counter()
        documents = build_volume(path, args.size_mb)
        built = time.perf_counter() - started
        size = path.stat().st_size / (1024 * 1024)
        print(f"synthetic volume: {path} — {size:.1f} MB, {documents} documents (built in {built:.1f} s)")
        baseline = peak_rss_mb()
        print(f"peak RSS before parsing: {baseline:.1f} MB")

        started = time.perf_counter()
        parsed = parse_tei(path)
        front = time.perf_counter() - started
        letters = footnotes = characters = 0
        for letter in parsed.letters:
            letters += 1
            footnotes += len(letter.footnotes)
            characters += len(letter.body_text)
        elapsed = time.perf_counter() - started
        peak = peak_rss_mb()

        print(f"front matter: {len(parsed.volume.persons)} persons, {len(parsed.volume.terms)} terms in {front:.3f} s")
        print(f"letters: {letters} ({footnotes} footnotes, {characters / 1e6:.1f} M characters of body text)")
        print(f"parse time: {elapsed:.2f} s — {letters / elapsed:.0f} documents/s, {size / elapsed:.1f} MB/s")
        print(f"peak RSS after parsing: {peak:.1f} MB (parsing added at most {peak - baseline:.1f} MB)")
    finally:
        if args.keep:
            print(f"kept {path}")
        else:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
