"""Fidelity across the series (issue 6): shapes of older and other volumes, from small inputs.

Enumerators against footnote markers are in ``test_hardening.py`` (they share the marker placement).
"""

import pytest

from catalog.ingest.citations import decimal_file, parse_source_note
from catalog.ingest.pipeline import import_paths
from catalog.ingest.tei_parser import parse_tei
from catalog.ingest.text_parser import parse_text_document
from catalog.models import ArchivalSource, Chapter, Footnote, Letter, Person, SourceCitation
from tests.ingest.test_tei_parser import tei

V33 = "frus1969-76v33"
DECIMAL = ("National Archives", "RG 59, Central Decimal File")


def text_file(tmp_path, text, name="doc.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def document(n: int, inner: str, *, head: str | None = "Prime Minister Churchill to President Roosevelt") -> str:
    heading = f"<head>{head}</head>" if head is not None else ""
    return f'<div type="document" n="{n}" xml:id="d{n}">{inner}{heading}<p>Text of {n}.</p></div>'


def parts(citation):
    return (citation.footnote_number, citation.repository, citation.collection, citation.box, citation.folder)


def load(*paths, **options):
    result = import_paths(list(paths), **options)
    assert not result.failures, result.failures
    return result.reports


# -- 2. inline source notes that are not archival citations ---------------------------------------
class TestSourceNotes:
    def test_an_editorial_remark_is_the_notes_text_and_no_archive(self):
        note = parse_source_note("[Extract.]")
        assert (note.citations, note.notes, note.classification) == ([], "[Extract.]", "")

    @pytest.mark.parametrize(
        ("text", "folder"),
        [
            ("724.34119/836", "724.34119/836"),
            ("710.H Agenda/½", "710.H Agenda/½"),
            ("462.00R296/2741.", "462.00R296/2741"),
        ],
    )
    def test_a_decimal_file_number_is_a_file_of_the_central_decimal_file(self, text, folder):
        [citation] = parse_source_note(text).citations
        assert (citation.repository, citation.collection, citation.box, citation.folder) == (*DECIMAL, "", folder)

    def test_not_decimal_files(self):
        assert decimal_file("Roosevelt Papers: Telegram") is None
        assert decimal_file("See Document 12.") is None
        assert decimal_file("1944/5") is None

    def test_tei_inline_notes(self, tmp_path):
        path = tei(
            tmp_path,
            document(1, '<note rend="inline" type="source">[Extract.]</note>')
            + document(2, '<note rend="inline" type="source">724.34119/836</note>')
            + document(3, '<note rend="inline" type="source">710.H Agenda/½</note>')
            + document(4, '<note rend="inline" type="source">724.34119/837</note>'),
        )
        letters = list(parse_tei(path).letters)
        assert [(f.number, f.kind, f.text) for f in letters[0].footnotes] == [(0, "source", "[Extract.]")]
        assert letters[0].sources == []
        assert [parts(c) for letter in letters[1:] for c in letter.sources] == [
            (0, *DECIMAL, "", "724.34119/836"),
            (0, *DECIMAL, "", "710.H Agenda/½"),
            (0, *DECIMAL, "", "724.34119/837"),
        ]

    def test_a_text_export_whose_footnote_1_is_a_file_number(self, tmp_path):
        path = text_file(
            tmp_path, "12. The Secretary of State to the Minister in Hungary1\n\nText.\n\n  1. 864.00/512.\n"
        )
        letter, _ = parse_text_document(path, V33)
        assert [(f.number, f.kind) for f in letter.footnotes] == [(1, "source")]
        assert [parts(c) for c in letter.sources] == [(1, *DECIMAL, "", "864.00/512")]

    @pytest.mark.django_db
    def test_letters_of_one_file_are_neighbours_and_no_note_is_footnote_0(self, tmp_path, client):
        path = tei(
            tmp_path,
            document(1, '<note rend="inline" type="source">724.34119/837</note>')
            + document(2, '<note rend="inline" type="source">[Extract.]</note>')
            + document(3, '<note rend="inline" type="source">724.34119/836</note>')
            + document(4, '<note rend="inline" type="source">724.3411/12</note>')
            + document(5, '<note rend="inline" type="source">Roosevelt Papers: Telegram</note>')
            + document(6, '<note rend="inline" type="source">724.341192/1</note>'),
            name="frus1933v05.xml",
        )
        load(path, publish=True)
        assert [(s.repository, s.folder) for s in ArchivalSource.objects.all()] == [
            ("National Archives", "724.3411/12"),
            ("National Archives", "724.34119/836"),
            ("National Archives", "724.34119/837"),
            ("National Archives", "724.341192/1"),
            ("Roosevelt Papers", ""),
        ]
        d2 = Letter.objects.get(number=2)
        assert not SourceCitation.objects.filter(letter=d2).exists()
        assert Footnote.objects.get(letter=d2).text == "[Extract.]"
        for number in (1, 2, 5):
            html = client.get(f"/volumes/frus1933v05/d{number}/").content.decode()
            assert "footnote 0" not in html and "footnotes 0" not in html
        assert "[Extract.]" in client.get("/volumes/frus1933v05/d2/").content.decode()


# -- 3. notes of a chapter -----------------------------------------------------------------------
CHAPTER = """<div type="compilation" xml:id="comp1"><head>Compilation</head>
<div type="chapter" xml:id="ch2"><head><hi rend="italic">Chapter</hi> II: The
Conference<note n="14">Continued from Chapter I.</note> and
after<note n="15">See <hi rend="italic">ante</hi>, p. 10.</note></head>
{documents}
</div></div>"""


class TestChapterNotes:
    def test_the_notes_of_a_chapter_heading_are_kept_with_the_chapter(self, tmp_path):
        path = tei(tmp_path, CHAPTER.format(documents=document(16, "")))
        parsed = parse_tei(path)
        [letter] = parsed.letters
        compilation, chapter = parsed.volume.chapters
        assert (compilation.key, compilation.notes) == ("comp1", [])
        assert (chapter.key, chapter.title) == ("ch2", "Chapter II: The Conference and after")
        assert [(n.number, n.kind, n.text) for n in chapter.notes] == [
            (14, "editorial", "Continued from Chapter I."),
            (15, "editorial", "See ante, p. 10."),
        ]
        assert chapter.notes[1].content == ["See ", {"tag": "i", "children": ["ante"]}, ", p. 10."]
        assert (letter.chapter, [f.number for f in letter.footnotes]) == ("ch2", [])

    @pytest.mark.django_db
    def test_the_volume_page_shows_them_and_a_new_release_updates_them(self, tmp_path, client):
        path = tei(tmp_path, CHAPTER.format(documents=document(16, "")), name="frus1919v01.xml")
        load(path, publish=True)
        chapter = Chapter.objects.get(xml_id="ch2")
        assert [(n["number"], n["text"]) for n in chapter.notes] == [
            (14, "Continued from Chapter I."),
            (15, "See ante, p. 10."),
        ]
        html = client.get("/volumes/frus1919v01/").content.decode()
        assert '<sup><a href="#ch2-fn14">14</a></sup>' in html
        assert '<p id="ch2-fn14"><span class="fn-number">14.</span> Continued from Chapter I.</p>' in html
        path.write_text(path.read_text().replace("Continued from Chapter I.", "Continued from Chapter One."))
        load(path)
        chapter.refresh_from_db()
        assert chapter.notes[0]["text"] == "Continued from Chapter One."


# -- 4. a document without a heading; Ibid.; offices as parties ----------------------------------
class TestDocumentWithoutHeading:
    BODY = document(
        9,
        "",
        head=None,
    ).replace("<p>Text of 9.</p>", "<p>Memorandum for the files.<lb/>The meeting began at noon.</p><p>More.</p>")

    def test_the_first_line_of_text_is_the_title_and_the_letter_is_flagged(self, tmp_path):
        [letter] = parse_tei(tei(tmp_path, self.BODY)).letters
        assert (letter.title, letter.doc_type) == ("Memorandum for the files.", "other")
        assert letter.review_reasons == [
            "the document has no heading: its title was taken from the first line of its text"
        ]

    def test_a_long_first_line_is_cut_at_a_word(self, tmp_path):
        long_line = "word " * 60
        [letter] = parse_tei(tei(tmp_path, self.BODY.replace("Memorandum for the files.", long_line))).letters
        assert letter.title == ("word " * 40).strip() + "…"

    @pytest.mark.django_db
    def test_it_is_imported_in_review_not_published(self, tmp_path):
        [report] = load(tei(tmp_path, self.BODY + document(10, "")), publish=True)
        flagged = Letter.objects.get(number=9)
        assert (flagged.title, flagged.status, flagged.published_at) == ("Memorandum for the files.", "review", None)
        assert Letter.objects.get(number=10).status == "published"
        assert "no heading" in flagged.revisions.get().comment
        assert report.details()[-1] == (
            "  letter flagged for review: d9: the document has no heading: its title was taken from the first "
            "line of its text"
        )
        load(tei(tmp_path, self.BODY + document(10, "")), publish=True)  # unchanged: still waits for review
        assert Letter.objects.get(number=9).status == "review"


IBID_TEXT = """20. Memorandum From Smith to Jones1

First.2 Second.3 Third.4 Fourth.5

  1. Source: Carter Library, National Security Affairs, Box 69, USSR: 1–12/78. Secret.
  2. Ibid.
  3. A letter of May 3 (Reagan Library, Matlock Files, Box 2, Soviet Union).
  4. Ibid., p. 4.
  5. Printed in Public Papers: Carter, 1978, p. 1.
"""


class TestIbid:
    EXPECTED = [
        (1, "Carter Library", "National Security Affairs", "69", "USSR: 1–12/78"),
        (3, "Reagan Library", "Matlock Files", "2", "Soviet Union"),
        (2, "Carter Library", "National Security Affairs", "69", "USSR: 1–12/78"),
        (4, "Reagan Library", "Matlock Files", "2", "Soviet Union"),
    ]

    def test_text(self, tmp_path):
        letter, _ = parse_text_document(text_file(tmp_path, IBID_TEXT), V33)
        assert [parts(c) for c in letter.sources] == self.EXPECTED
        assert [c.raw for c in letter.sources[2:]] == ["Ibid.", "Ibid., p. 4."]

    def test_tei_agrees(self, tmp_path):
        notes = [line.split(". ", 1)[1] for line in IBID_TEXT.splitlines() if line.startswith("  ")]
        path = tei(
            tmp_path,
            '<div type="document" n="20" xml:id="d20"><head>Memorandum From Smith to Jones'
            f'<note n="1" type="source">{notes[0]}</note></head><p>'
            + "".join(
                f'{word}.<note n="{n}">{notes[n - 1]}</note> '
                for n, word in enumerate(["First", "Second", "Third", "Fourth"], start=2)
            )
            + "</p></div>",
        )
        [letter] = parse_tei(path).letters
        assert [parts(c) for c in letter.sources] == self.EXPECTED

    def test_an_ibid_after_a_note_without_an_archive_repeats_nothing(self, tmp_path):
        text = IBID_TEXT.replace("  4. Ibid., p. 4.\n  5. Printed", "  4. Printed").replace(
            "p. 1.\n", "p. 1.\n  5. Ibid.\n"
        )
        letter, _ = parse_text_document(text_file(tmp_path, text), V33)
        assert [c.footnote_number for c in letter.sources] == [1, 3, 2]


OFFICES_TEXT = (
    "14. Telegram From the Embassy in the Soviet Union to the Department of State1\n\nText.\n\n"
    "  1. Source: Carter Library, X, Box 1, Y. Secret.\n"
)
OFFICES_TEI = (
    '<div type="document" n="14" xml:id="d14"><head>Telegram From the Embassy in the Soviet Union to the '
    'Department of State<note n="1" type="source">Source: Carter Library, X, Box 1, Y. Secret.</note></head>'
    "<p>Text.</p></div>"
)


class TestOfficesAsParties:
    def test_both_importers_name_the_offices_alike(self, tmp_path):
        text, people = parse_text_document(text_file(tmp_path, OFFICES_TEXT), V33)
        parsed = parse_tei(tei(tmp_path, OFFICES_TEI))
        [letter] = parsed.letters
        expected = [
            ("org:embassy in the soviet union", "sender", "the Embassy in the Soviet Union"),
            ("org:department of state", "recipient", "the Department of State"),
        ]
        assert [(m.person_key, m.role, m.name_as_written) for m in text.people] == expected
        assert [(m.person_key, m.role, m.name_as_written) for m in letter.people] == expected
        for records in (people, parsed.people):
            embassy = records["org:embassy in the soviet union"]
            assert (embassy.display_name, embassy.is_organization) == ("Embassy in the Soviet Union", True)

    @pytest.mark.django_db
    def test_one_organization_record_whichever_importer_came_first(self, tmp_path):
        load(text_file(tmp_path, OFFICES_TEXT), identifier="frus1977-80v06")
        load(tei(tmp_path, OFFICES_TEI, name="frus1977-80v06.xml"))
        assert sorted(Person.objects.filter(is_organization=True).values_list("display_name", flat=True)) == [
            "Department of State",
            "Embassy in the Soviet Union",
        ]
        d14 = Letter.objects.get(number=14)
        assert sorted(d14.letter_people.values_list("role", "person__display_name")) == [
            ("recipient", "Department of State"),
            ("sender", "Embassy in the Soviet Union"),
        ]
