"""The text and TEI paths agree on every corpus document.

Each TEI document is written out as the Office of the Historian's plain-text export would print it
(``[Page N]`` line, ``N. heading`` with marker 1, paragraphs, padded inline page markers, markers
glued where the notes stand, ``  N. text`` footnotes), and the text parser must read back the same
letter: title, pages, body text, page breaks, every footnote with its anchor, every cited source.
The unnumbered inline source note of older volumes has no place in the text format and is left out.
"""

import pytest

from catalog.ingest.tei_parser import parse_tei
from catalog.ingest.text_parser import parse_text_document
from tests.conftest import TEI_QUEBEC, TEI_V33

CORPUS = [(path, letter) for path in (TEI_V33, TEI_QUEBEC) for letter in parse_tei(path).letters]


def text_export(letter) -> str:
    notes = [f for f in letter.footnotes if f.number >= 1]
    inserts = [(f.anchor, 0, str(f.number)) for f in notes if f.anchor is not None]
    inserts += [(offset, 1, f" [Page {label}] ") for label, offset in letter.page_breaks]
    pieces, position = [], 0
    for offset, _, piece in sorted(inserts):
        pieces += [letter.body_text[position:offset], piece]
        position = offset
    pieces.append(letter.body_text[position:])
    paragraphs = [paragraph.replace("\n", " ") for paragraph in "".join(pieces).split("\n\n")]
    heading_marker = "1" if any(f.number == 1 and f.anchor is None for f in notes) else ""
    lines = [f"[Page {letter.page_start}]", "", f"{letter.number}. {letter.title}{heading_marker}"]
    for paragraph in paragraphs:
        lines += ["", paragraph]
    lines += ["", *(f"  {f.number}. {f.text}" for f in notes)]
    return "\n".join(lines) + "\n"


def test_every_corpus_document_can_be_written_as_text():
    assert len(CORPUS) == 19
    for _, letter in CORPUS:
        notes = [f for f in letter.footnotes if f.number >= 1]
        assert [f.number for f in notes] == list(range(1, len(notes) + 1))
        assert all(f.anchor is not None for f in notes if f.number != 1)


@pytest.mark.parametrize(("path", "tei"), CORPUS, ids=[f"{p.stem.split('-excerpt')[0]}-d{t.number}" for p, t in CORPUS])
def test_text_and_tei_agree(tmp_path, path, tei):
    export = tmp_path / f"d{tei.number}.txt"
    export.write_text(text_export(tei), encoding="utf-8")
    text, _ = parse_text_document(export, "volume")
    # A line break inside a TEI paragraph is a space in the text export.
    tei_text = "\n\n".join(p.replace("\n", " ") for p in tei.body_text.split("\n\n"))
    assert (text.number, text.title, text.page_start, text.page_end) == (
        tei.number,
        tei.title,
        tei.page_start,
        tei.page_end,
    )
    assert text.body_text == tei_text
    assert text.page_breaks == tei.page_breaks
    assert [(f.number, f.text, f.anchor) for f in text.footnotes] == [
        (f.number, f.text, f.anchor) for f in tei.footnotes if f.number >= 1
    ]

    def parts(sources):
        return sorted((s.footnote_number, s.repository, s.collection, s.box, s.folder) for s in sources)

    assert parts(text.sources) == parts(s for s in tei.sources if s.footnote_number != 0)
