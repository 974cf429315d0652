"""The word-frequency table the synthetic corpus samples from, built from real FRUS text.

``words.tsv`` (committed next to this file) holds ``word<TAB>count`` lines, most frequent first,
counted over the document text and footnotes of the real FRUS material in ``fixtures/`` (two TEI
volume excerpts and two plain-text documents, public domain). Rebuild it with

    .venv/bin/python -m catalog.synthetic.wordlist fixtures/*.xml fixtures/*/*.txt

The entries are words and common phrases (two or three words seen at least three times: "Soviet
Union", "strategic arms"); see ``count_words``. Counting keeps a word's case, except that a
capitalised word is counted with its lower-case form when that form is the more frequent one ("The"
at a sentence start counts as "the"; "President" stays "President").
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("words.tsv")
PHRASE_MIN_COUNT = 3
SENTENCE_BREAK = re.compile(r"[.;:?!()\[\]“”\"—]+|\n")
TOKEN = re.compile(r"[A-Za-z\u00c0-\u017f](?:[A-Za-z\u00c0-\u017f’'\-]*[A-Za-z\u00c0-\u017f])?|\d+")


def document_texts(path: Path) -> list[str]:
    """The text of every document (body and notes) of a TEI volume, or a plain-text file whole."""
    if path.suffix == ".txt":
        return [path.read_text(encoding="utf-8")]
    from lxml import etree  # only needed to rebuild the table

    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"tei": "http://www.tei-c.org/ns/1.0"}
    return ["".join(div.itertext()) for div in tree.iterfind(".//tei:div[@type='document']", ns)]


def count_words(texts: list[str], min_count: int = PHRASE_MIN_COUNT) -> Counter:
    """Counts of the units the real text is made of: a word, or a phrase of two or three words that
    occurs ``min_count`` times or more ("Soviet Union", "strategic arms", "of the"). Each sentence is
    cut greedily into units, so every word is counted once and drawing units by these counts keeps the
    words' frequencies while common phrases stay phrases (phrase searches find what they would)."""
    sentences = [TOKEN.findall(chunk) for text in texts for chunk in SENTENCE_BREAK.split(text)]
    raw = Counter(token for sentence in sentences for token in sentence)

    def fold(word: str) -> str:
        lower = word.lower()
        return lower if word != lower and raw.get(lower, 0) >= raw[word] else word

    sentences = [[fold(token) for token in sentence] for sentence in sentences]
    grams = Counter(
        tuple(sentence[i : i + n]) for sentence in sentences for n in (2, 3) for i in range(len(sentence) - n + 1)
    )

    def best(sentence: list[str], i: int) -> tuple[int, int]:
        """(length, count) of the phrase to take at ``i``: the longest that is common enough."""
        for n in (3, 2):
            gram = tuple(sentence[i : i + n])
            if len(gram) == n and grams[gram] >= min_count:
                return n, grams[gram]
        return 1, 0

    units: Counter = Counter()
    for sentence in sentences:
        i = 0
        while i < len(sentence):
            n, count = best(sentence, i)
            if n > 1 and i + 1 < len(sentence) and best(sentence, i + 1)[1] > count:
                n = 1  # "the | Soviet Union": the phrase that starts at the next word is the commoner
            units[" ".join(sentence[i : i + n])] += 1
            i += n
    return units


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
