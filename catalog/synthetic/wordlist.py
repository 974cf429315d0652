"""The word-frequency table the synthetic corpus samples from, built from real FRUS text.

``words.tsv`` (committed next to this file) holds ``word<TAB>count`` lines, most frequent first,
counted over the document text and footnotes of the real FRUS material in ``fixtures/`` (two TEI
volume excerpts and two plain-text documents, public domain). Rebuild it with

    .venv/bin/python -m catalog.synthetic.wordlist fixtures/*.xml fixtures/*/*.txt

Counting keeps a word's case, except that a capitalised word is counted with its lower-case form
when that form is the more frequent one ("The" at a sentence start counts as "the"; "President"
stays "President").
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("words.tsv")
TOKEN = re.compile(r"[A-Za-z\u00c0-\u017f](?:[A-Za-z\u00c0-\u017f’'\-]*[A-Za-z\u00c0-\u017f])?|\d+")


def document_texts(path: Path) -> list[str]:
    """The text of every document (body and notes) of a TEI volume, or a plain-text file whole."""
    if path.suffix == ".txt":
        return [path.read_text(encoding="utf-8")]
    from lxml import etree  # only needed to rebuild the table

    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"tei": "http://www.tei-c.org/ns/1.0"}
    return ["".join(div.itertext()) for div in tree.iterfind(".//tei:div[@type='document']", ns)]


def count_words(texts: list[str]) -> Counter:
    raw = Counter(token for text in texts for token in TOKEN.findall(text))
    folded: Counter = Counter()
    for word, count in raw.items():
        lower = word.lower()
        if word != lower and raw.get(lower, 0) >= count:
            folded[lower] += count
        else:
            folded[word] += count
    return folded


def write_table(counts: Counter, path: Path = WORDS_FILE) -> None:
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    path.write_text("".join(f"{word}\t{count}\n" for word, count in rows), encoding="utf-8")


def read_table(path: Path = WORDS_FILE) -> list[tuple[str, int]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, count = line.partition("\t")
        if word and count:
            rows.append((word, int(count)))
    return rows


if __name__ == "__main__":
    texts = [text for name in sys.argv[1:] for text in document_texts(Path(name))]
    table = count_words(texts)
    write_table(table)
    print(f"{len(table)} words, {sum(table.values())} tokens -> {WORDS_FILE}")


TERMS_FILE = Path(__file__).with_name("terms.tsv")


def terms_from_tei(path: Path) -> list[tuple[str, str]]:
    """(term, expansion) of every entry of a TEI volume's Abbreviations and Terms list."""
    from lxml import etree

    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"tei": "http://www.tei-c.org/ns/1.0"}
    found = []
    for item in tree.xpath(".//tei:div[@xml:id='terms']//tei:item", namespaces=ns):
        text = " ".join("".join(item.itertext()).split())
        term, _, expansion = text.partition(",")
        if term.strip() and expansion.strip():
            found.append((term.strip(), expansion.strip()))
    return found
