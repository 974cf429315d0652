"""The plain-text parser on the two seed documents, and on broken variants of them."""

import dataclasses

import pytest

from catalog.ingest.records import ParseError
from catalog.ingest.text_parser import parse_text_document
from tests.conftest import SEED_CARTER, SEED_REAGAN

V33 = "frus1969-76v33"
V04 = "frus1981-88v04"


@pytest.fixture(scope="module")
def carter():
    return parse_text_document(SEED_CARTER, V33)


@pytest.fixture(scope="module")
def reagan():
    return parse_text_document(SEED_REAGAN, V04)


def text_before(letter, number):
    return letter.body_text[: next(f.anchor for f in letter.footnotes if f.number == number)]


def text_after(letter, number):
    return letter.body_text[next(f.anchor for f in letter.footnotes if f.number == number) :]


class TestCarterToBrezhnev:
    def test_heading(self, carter):
        letter, _ = carter
        assert letter.number == 193
        assert letter.xml_id == "d193"
        assert letter.title == "Letter From President Carter to Soviet General Secretary Brezhnev"
        assert letter.doc_type == "letter"
        assert letter.classification == "No classification marking"
        assert (letter.date_min, letter.date_max, letter.place) == (None, None, "")

    def test_pages(self, carter):
        letter, _ = carter
        assert (letter.page_start, letter.page_end) == (807, 808)
        [(label, offset)] = letter.page_breaks
        assert label == "808"
        assert letter.body_text[:offset].endswith("all of which have the pur")
        assert letter.body_text[offset : offset + 15] == "pose of shaping"
        assert "purpose of shaping" in letter.body_text
        assert "[Page" not in letter.body_text

    def test_paragraphs(self, carter):
        letter, _ = carter
        paragraphs = letter.body_text.split("\n\n")
        assert len(paragraphs) == 8
        assert paragraphs[0] == "Dear Mr. President:"
        assert paragraphs[5] == "[Omitted here is information unrelated to SALT II.]"
        assert paragraphs[-2:] == ["Sincerely,", "Jimmy Carter"]
        assert [block["tag"] for block in letter.body] == ["salute", "p", "p", "p", "p", "p", "p", "signed"]

    def test_footnotes_and_anchors(self, carter):
        letter, _ = carter
        assert [(f.number, f.kind, f.anchor) for f in letter.footnotes] == [(1, "source", None), (2, "editorial", 72)]
        assert letter.footnotes[0].text.startswith("Source: Carter Library, National Security Affairs, Staff")
        assert text_before(letter, 2).endswith("I was pleased to receive your letter of January 12.")
        assert text_after(letter, 2).startswith(" I was particularly gratified")
        assert letter.footnotes[1].text.startswith("Brezhnev’s January 12 letter to Carter, which covered")

    def test_sources(self, carter):
        letter, _ = carter
        expected = (
            "Carter Library",
            "National Security Affairs, Staff Material, Office",
            "69",
            "USSR: Brezhnev-Carter Correspondence: 1–12/78",
        )
        assert [(s.footnote_number, (s.repository, s.collection, s.box, s.folder)) for s in letter.sources] == [
            (1, expected),
            (2, expected),
        ]
        assert letter.sources[0].raw == ", ".join(expected[:2]) + ", Box 69, " + expected[3]

    def test_references_to_another_volume(self, carter):
        letter, _ = carter
        assert [(r.footnote_number, r.volume, r.number) for r in letter.references] == [
            (1, "frus1977-80v06", None),
            (2, "frus1977-80v06", None),
        ]

    def test_people(self, carter):
        letter, people = carter
        assert [(m.role, people[m.person_key].display_name, m.name_as_written) for m in letter.people] == [
            ("sender", "Jimmy Carter", "President Carter"),
            ("recipient", "Brezhnev", "Soviet General Secretary Brezhnev"),
            ("mentioned", "Gromyko", "Foreign Minister Gromyko"),
            ("mentioned", "Dobrynin", "Ambassador Dobrynin"),
        ]
        assert people["name:carter"].sort_name == "Carter, Jimmy"
        assert people["name:brezhnev"].titles == ["Soviet General Secretary"]


class TestReaganToChernenko:
    def test_heading_and_classification(self, reagan):
        letter, _ = reagan
        assert (letter.number, letter.doc_type, letter.classification) == (328, "letter", "Secret")
        assert letter.title == "Letter From President Reagan to Soviet General Secretary Chernenko"

    def test_pages(self, reagan):
        letter, _ = reagan
        assert (letter.page_start, letter.page_end) == (1170, 1172)
        (first, first_at), (second, second_at) = letter.page_breaks
        assert first == "1171"
        assert letter.body_text[first_at:].startswith("George Shultz will go to Geneva")
        assert letter.body_text[first_at - 2 : first_at] == "\n\n"
        assert second == "1172"
        assert letter.body_text[:second_at].endswith("housing and the environ")
        assert letter.body_text[second_at:].startswith("ment. And here I should say")
        assert "and the environment.7" not in letter.body_text

    def test_markers_glued_to_numbers_and_punctuation(self, reagan):
        letter, _ = reagan
        assert [f.anchor for f in letter.footnotes] == [None, 166, 213, 280, 1101, 2830, 4093]
        assert text_before(letter, 2).endswith("nuclear and outer space weapons,")
        assert text_before(letter, 3).endswith("as you proposed in your letter of November 17.")
        assert text_before(letter, 4).endswith("your letter and mine of November 15")
        assert text_after(letter, 4).startswith(" encourages me to hope")
        assert text_before(letter, 5).endswith("to Foreign Minister Gromyko here in Washington,")
        assert text_before(letter, 6).endswith("as he prepares for the meeting in Geneva.")
        assert text_before(letter, 7).endswith("in the areas of agriculture, housing and the environment.")
        assert [f.kind for f in letter.footnotes] == [
            "source",
            "cross-reference",
            "cross-reference",
            "cross-reference",
            "cross-reference",
            "editorial",
            "editorial",
        ]

    def test_signature_after_a_missing_closing(self, reagan):
        letter, _ = reagan
        assert letter.body[-1] == {"tag": "signed", "children": ["Ronald Reagan"]}

    def test_sources(self, reagan):
        letter, _ = reagan
        assert [(s.footnote_number, s.repository, s.collection, s.box, s.folder) for s in letter.sources] == [
            (
                1,
                "Reagan Library",
                "Executive Secretariat, NSC Head of State File",
                "",
                "USSR: General Secretary Chernenko (8491237)",
            ),
            (1, "Reagan Library", "Jack Matlock Files", "", "Head of State Correspondence (US-USSR) December 1984"),
            (
                1,
                "Reagan Library",
                "George Shultz Papers",
                "12",
                "Executive Secretariat Sensitive (12/05/1984–12/07/1984)",
            ),
            (
                7,
                "Reagan Library",
                "George Shultz Papers",
                "12",
                "Executive Secretariat Sensitive (12/05/1984–12/07/1984)",
            ),
        ]

    def test_cross_references(self, reagan):
        letter, _ = reagan
        assert [(r.footnote_number, r.volume, r.number, r.footnote) for r in letter.references] == [
            (2, V04, 315, 5),
            (3, V04, 310, None),
            (4, V04, 308, None),
            (5, V04, 286, None),
            (5, V04, 287, None),
            (5, V04, 288, None),
        ]

    def test_people(self, reagan):
        letter, people = reagan
        assert [(m.role, people[m.person_key].display_name) for m in letter.people] == [
            ("sender", "Ronald Reagan"),
            ("recipient", "Chernenko"),
            ("mentioned", "George Shultz"),
            ("mentioned", "Gromyko"),
            ("mentioned", "Paul Nitze"),
        ]
        assert "Ambassador" in people["name:nitze"].titles


def write_variant(tmp_path, source, transform, name="doc.txt"):
    path = tmp_path / name
    path.write_bytes(transform(source.read_text(encoding="utf-8")).encode("utf-8"))
    return path


def without_path(letter):
    return dataclasses.replace(letter, source_path="")


def test_bom_crlf_and_trailing_spaces_import_identically(tmp_path, carter):
    def messy(text):
        return "\ufeff" + "\r\n".join(line + "   " for line in text.split("\n"))

    path = write_variant(tmp_path, SEED_CARTER, messy)
    letter, people = parse_text_document(path, V33)
    assert without_path(letter) == without_path(carter[0])
    assert people == carter[1]


def test_document_at_the_top_of_a_page(tmp_path):
    path = write_variant(tmp_path, SEED_CARTER, lambda text: "[Page 807]\n\n" + text.replace(" [Page 808] ", ""))
    letter, _ = parse_text_document(path, V33)
    assert (letter.page_start, letter.page_end, letter.page_breaks) == (807, 807, [])
    assert "purpose" in letter.body_text


def test_padded_page_marker_between_words_keeps_the_space(tmp_path):
    path = write_variant(tmp_path, SEED_CARTER, lambda text: text.replace("made in 1977.", "made in  [Page 9] 1977."))
    letter, _ = parse_text_document(path, V33)
    assert "made in 1977." in letter.body_text


def test_missing_marker_is_an_error_naming_the_file_and_line(tmp_path):
    path = write_variant(tmp_path, SEED_CARTER, lambda text: text.replace("January 12.2 I", "January 12. I"))
    with pytest.raises(ParseError) as error:
        parse_text_document(path, V33)
    message = str(error.value)
    assert message.startswith(f"{path}:")
    assert "footnote marker 2 not found" in message


def test_markers_without_footnotes_is_an_error(tmp_path):
    path = write_variant(tmp_path, SEED_CARTER, lambda text: text.split("\n  1. ")[0])
    with pytest.raises(ParseError) as error:
        parse_text_document(path, V33)
    assert str(error.value).startswith(f"{path}:1: the heading carries footnote marker 1 but no footnotes follow")


def test_footnotes_out_of_sequence(tmp_path):
    path = write_variant(
        tmp_path, SEED_REAGAN, lambda text: text.replace("\n  3. See Document 310.", "\n  4. See Document 310.")
    )
    with pytest.raises(ParseError) as error:
        parse_text_document(path, V04)
    assert "expected footnote 3, found footnote 4" in str(error.value)
    assert f"{path}:" in str(error.value)


def test_heading_is_required(tmp_path):
    path = write_variant(tmp_path, SEED_CARTER, lambda text: "Letter without a number\n" + text)
    with pytest.raises(ParseError) as error:
        parse_text_document(path, V33)
    assert str(error.value).startswith(f"{path}:1: expected a heading line")


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(
        "193. Letter From President Carter to Soviet General Secretary Brezhnev\n\nCaf\xe9".encode("latin-1")
    )
    with pytest.raises(ParseError, match=r"latin1.txt:3: expected UTF-8 text"):
        parse_text_document(path, V33)


def test_heading_ending_in_a_number_still_carries_marker_1(tmp_path):
    path = write_variant(
        tmp_path,
        SEED_CARTER,
        lambda text: text.replace(
            "193. Letter From President Carter to Soviet General Secretary Brezhnev1",
            "193. National Intelligence Estimate NIE 11–3/8–761",
        ),
    )
    letter, _ = parse_text_document(path, V33)
    assert letter.title == "National Intelligence Estimate NIE 11–3/8–76"
    assert letter.doc_type == "intelligence estimate"
    assert letter.footnotes[0].anchor is None
    assert text_before(letter, 2).endswith("your letter of January 12.")


def test_markers_before_closing_punctuation(tmp_path):
    def glue(text):
        text = text.replace("to these ends.", "to these ends.”2—which we share")
        return text.replace("January 12.2 I", "January 12. I")

    path = write_variant(tmp_path, SEED_CARTER, glue)
    letter, _ = parse_text_document(path, V33)
    assert text_before(letter, 2).endswith("dedicated to these ends.”")
    assert text_after(letter, 2).startswith("—which we share")


def test_a_marker_glued_to_a_number_needs_a_space_after_it(tmp_path):
    # "January 12." must not be read as "January 1" + marker 2.
    path = write_variant(tmp_path, SEED_CARTER, lambda text: text.replace("January 12.2 I", "January 12. I"))
    with pytest.raises(ParseError, match="footnote marker 2 not found"):
        parse_text_document(path, V33)


def test_page_marker_line_inside_a_paragraph_is_a_word_boundary(tmp_path):
    path = write_variant(
        tmp_path, SEED_CARTER, lambda text: text.replace("made in 1977. Despite", "made in 1977.\n[Page 9]\nDespite")
    )
    letter, _ = parse_text_document(path, V33)
    assert "made in 1977. Despite the complexities" in letter.body_text
    assert ("9", letter.body_text.index("Despite the complexities")) in letter.page_breaks


def test_wrapped_footnotes(tmp_path):
    def wrap(text):
        text = text.replace("  3. See Document 310.", "  3. See\nDocument 310.")  # unindented continuation
        return text.replace("Book II, p. 1866)", "Book II,\n    3. p. 1866)")  # a "3." inside footnote 6

    path = write_variant(tmp_path, SEED_REAGAN, wrap)
    letter, _ = parse_text_document(path, V04)
    assert letter.footnotes[2].text == "See Document 310."
    assert letter.footnotes[5].text.endswith("(Public Papers: Reagan, 1984, Book II, 3. p. 1866)")
    assert len(letter.footnotes) == 7
