"""The letter as plain text and as its TEI fragment (catalog.letter_export): exact output for seed
004, and both read back by the importers to the letter that was stored."""

from pathlib import Path

import pytest
from lxml import etree

from catalog.ingest.tei_parser import parse_tei
from catalog.ingest.text_parser import parse_text_document
from catalog.letter_export import TEI_NS, plain_text, tei_fragment
from catalog.models import Footnote, Letter

EXPECTED = Path(__file__).parent / "expected"
TEI = f"{{{TEI_NS}}}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def test_plain_text_of_d328(client, d328, seed_reagan):
    response = client.get("/volumes/frus1981-88v04/d328/text.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text == (EXPECTED / "frus1981-88v04-d328.txt").read_text(encoding="utf-8")
    # After the citation line it is the edition's own text export, as the seed file has it (which
    # leaves an empty line for the closing before the signature).
    seed = seed_reagan.read_text(encoding="utf-8")
    assert text == "FRUS, 1981–1988, Volume IV, Document 328\n\n" + seed.replace("\n\n\nRonald", "\n\nRonald") + "\n"


@pytest.mark.parametrize("volume,number", [("frus1981-88v04", 328), ("frus1969-76v33", 193)])
def test_plain_text_reads_back(import_seeds, tmp_path, volume, number):
    letter = Letter.objects.select_related("volume").get(volume__identifier=volume, number=number)
    text = plain_text(letter, "citation line")
    path = tmp_path / "export.txt"
    path.write_text(text.split("\n", 2)[2], encoding="utf-8")
    record, _ = parse_text_document(path, volume)
    assert (record.number, record.title, record.body, record.body_text) == (
        letter.number,
        letter.title,
        letter.body,
        letter.body_text,
    )
    notes = Footnote.objects.filter(letter=letter).order_by("number")
    assert [(n.number, n.text, n.anchor) for n in record.footnotes] == [(n.number, n.text, n.anchor) for n in notes]


def test_tei_fragment_of_d328(client, d328):
    response = client.get("/volumes/frus1981-88v04/d328/tei.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/tei+xml; charset=utf-8"
    assert response.content.decode() == (EXPECTED / "frus1981-88v04-d328.xml").read_text(encoding="utf-8")
    div = etree.fromstring(response.content)
    assert (div.tag, div.get("type"), div.get("n"), div.get(XML_ID)) == (f"{TEI}div", "document", "328", "d328")
    assert [pb.get("n") for pb in div.iter(f"{TEI}pb")] == ["1170", "1171", "1172"]
    notes = list(div.iter(f"{TEI}note"))
    assert [(n.get("n"), n.getparent().tag) for n in notes] == [("1", f"{TEI}head")] + [
        (str(n), f"{TEI}p") for n in range(2, 8)
    ]
    assert notes[0].get("type") == "source"
    assert [child.tag.removeprefix(TEI) for child in div] == ["pb", "head", "salute"] + ["p"] * 9 + ["signed"]
    # Footnote 7 stands where the edition prints it, after the page break inside "environ-ment".
    pb = next(p for p in div.iter(f"{TEI}pb") if p.get("n") == "1172")
    assert pb.tail.startswith("ment.") and pb.getnext() is notes[6]


def test_tei_reads_back(d328, tmp_path):
    """Wrapped in a TEI document, the fragment imports as the letter it came from."""
    fragment = tei_fragment(d328).split("?>", 1)[1]
    path = tmp_path / "frus1981-88v04.xml"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<TEI xmlns="{TEI_NS}" xml:id="frus1981-88v04"><teiHeader/>'
        f'<text><body><div type="compilation" xml:id="comp1">{fragment}</div></body></text></TEI>',
        encoding="utf-8",
    )
    parsed = parse_tei(path)
    [record] = parsed.letters
    assert (record.number, record.title, record.page_start, record.page_end) == (328, d328.title, 1170, 1172)
    assert record.body_text == d328.body_text
    notes = Footnote.objects.filter(letter=d328).order_by("number")
    assert [(n.number, n.text, n.anchor) for n in record.footnotes] == [(n.number, n.text, n.anchor) for n in notes]


def test_tei_is_well_formed_and_escaped(d328):
    d328.title = 'Title with <b>markup</b> & "quotes"'
    d328.body = [
        {"tag": "p", "children": ["a < b & c > d \x0b\x1f", {"tag": "i", "children": ["]]>"]}, {"tag": "fn", "n": 2}]},
        {"tag": "unknown", "onclick": "x", "children": ["kept text"]},
    ]
    d328.save()
    div = etree.fromstring(tei_fragment(d328).encode())
    head = div.find(f"{TEI}head")
    assert head.text == '328. Title with <b>markup</b> & "quotes"'
    p = div.find(f"{TEI}p")
    assert p.text == "a < b & c > d "
    assert p.find(f"{TEI}hi").get("rend") == "italic" and p.find(f"{TEI}hi").text == "]]>"
    assert p.find(f"{TEI}note").get("n") == "2"
    assert "kept text" in etree.tostring(div, encoding="unicode")
    assert "onclick" not in etree.tostring(div, encoding="unicode")
    # Notes whose markers the body lost are kept, after the text.
    assert sorted(n.get("n") for n in div.iter(f"{TEI}note")) == [str(n) for n in range(1, 8)]
