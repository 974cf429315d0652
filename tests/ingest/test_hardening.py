"""Bad input found when the importer was attacked (issue 10, items 3, 5–9): each refused by the
importer itself with ``file:line`` and what was expected, never by a traceback or the database."""

import sys

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from catalog.body import MAX_DEPTH, validate_body
from catalog.ingest import limits, safe_xml
from catalog.ingest.pipeline import import_paths
from catalog.ingest.records import ParseError
from catalog.ingest.tei_parser import parse_tei
from catalog.ingest.text_parser import parse_text_document
from catalog.models import Letter, Volume
from tests.ingest.test_tei_parser import tei

V33 = "frus1969-76v33"


def text_file(tmp_path, text, name="doc.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(call, *args):
    with pytest.raises(ParseError) as caught:
        result = call(*args)
        if hasattr(result, "letters"):
            list(result.letters)
    return caught.value


# -- item 6: many footnote markers -------------------------------------------------------------------
def many_markers(count: int) -> str:
    words = " ".join(f"word{n}" for n in range(2, count + 1))
    notes = "\n".join(f"  {n}. Note {n}." for n in range(1, count + 1))
    return f"5. Memorandum From Smith to Jones1\n\n{words}.\n\n{notes}\n"


def test_fifteen_hundred_markers_are_placed_without_recursion(tmp_path):
    path = text_file(tmp_path, many_markers(1500))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # the placement needs no stack depth per marker
    try:
        letter, _ = parse_text_document(path, V33)
    finally:
        sys.setrecursionlimit(limit)
    assert len(letter.footnotes) == 1500
    anchors = [f.anchor for f in letter.footnotes[1:]]
    assert anchors == sorted(anchors) and anchors[0] == len("word")
    assert letter.footnotes[-1].anchor == len(letter.body_text) - 1  # "word1500" + "." : before the period


def test_an_enumerator_between_parentheses_is_the_weakest_place_for_a_marker(tmp_path):
    path = text_file(
        tmp_path,
        "7. Memorandum From Smith to Jones1\n\n"
        "A choice between: (1) heavy bombers with bombs, and (2) heavy bombers equipped with ALCMs, "
        "the one that is agreed2—which we accept.\n\n  1. Source: Carter Library.\n  2. See Document 5.\n",
    )
    letter, _ = parse_text_document(path, V33)
    assert "and (2) heavy bombers" in letter.body_text
    assert letter.body_text[letter.footnotes[1].anchor - len("agreed") : letter.footnotes[1].anchor] == "agreed"
    assert "(2)" in letter.body_text and "agreed—which" in letter.body_text


def test_an_enumerator_is_still_a_marker_when_nothing_else_fits(tmp_path):
    path = text_file(
        tmp_path,
        "7. Memorandum From Smith to Jones1\n\nThe list (2) ends here.\n\n  1. Source: Carter Library.\n  2. A note.\n",
    )
    letter, _ = parse_text_document(path, V33)
    assert letter.body_text == "The list () ends here."
    assert letter.footnotes[1].anchor == len("The list (")


def test_markers_that_cannot_be_placed_are_refused_in_bounded_time(tmp_path, monkeypatch):
    monkeypatch.setattr("catalog.ingest.text_parser.MAX_MARKER_STEPS", 50)
    body = " ".join("a1 b2" for _ in range(40))
    path = text_file(tmp_path, f"5. Note\n\n{body} end\n\n  1. One.\n  2. Two.\n  3. Three.\n")
    error = refused(parse_text_document, path, V33)
    assert str(error).startswith(f"{path}:3: refused: footnote markers 1–3 cannot be told apart")


# -- item 7: limits ------------------------------------------------------------------------------
def test_too_many_footnotes_are_refused(tmp_path):
    path = text_file(tmp_path, many_markers(limits.MAX_FOOTNOTES + 1))
    error = refused(parse_text_document, path, V33)
    assert error.line == 5 + limits.MAX_FOOTNOTES  # heading, blank, text, blank, then footnote 2,001
    assert error.message == "refused: more than 2,000 footnotes in one document"


def test_a_text_file_past_the_size_limit_is_refused_without_reading_it_all(tmp_path):
    line = "Repeated text of no document at all. " * 20 + "\n"
    count = limits.MAX_TEXT_FILE_BYTES // len(line) + 10
    path = tmp_path / "huge.txt"
    path.write_text("5. Note\n\n" + line * count, encoding="utf-8")
    error = refused(parse_text_document, path, V33)
    assert error.line == 2 + limits.MAX_TEXT_FILE_BYTES // len(line) + 1
    assert error.message == "refused: the file is larger than 4 MiB; expected one document (a real one is far smaller)"


def test_a_text_document_past_the_character_limit_is_refused(tmp_path):
    paragraph = "word " * 200
    count = limits.MAX_DOCUMENT_CHARS // len(paragraph) + 5
    path = text_file(tmp_path, "5. Note\n\n" + "\n\n".join([paragraph] * count) + "\n")
    error = refused(parse_text_document, path, V33)
    assert error.line == 1
    assert error.message.startswith("refused: the document has 2,00") and "at most 2,000,000" in error.message


def test_a_tei_document_past_the_size_limit_is_refused_where_it_passes(tmp_path):
    paragraph = "<p>" + "word " * 1000 + "</p>\n"
    count = limits.MAX_DOCUMENT_CHARS // 5000 + 5
    path = tei(tmp_path, '<div type="document" n="1" xml:id="d1"><head>1. Note</head>\n' + paragraph * count + "</div>")
    error = refused(parse_tei, path)
    # line 6 is the div, paragraph k on line 6 + k; each holds 5,001 characters with its line end, so
    # paragraph 400 passes 2,000,000
    assert error.line == 406
    assert "refused: document 1 passes the limits of one document" in error.message


def test_a_tei_file_past_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(safe_xml, "MAX_TEI_FILE_BYTES", 300)
    path = tei(tmp_path, '<div type="document" n="1" xml:id="d1"><head>1. Note</head>\n' + "<p>x</p>\n" * 50 + "</div>")
    error = refused(parse_tei, path)
    assert error.line == 16  # 222 bytes of lines 1–6, then 9-byte lines: byte 300 falls on line 16
    assert error.message.startswith("refused: the file is larger than 0 MiB")


def test_too_many_tei_footnotes_are_refused(tmp_path):
    notes = "".join(f"<note>n{n}</note>" for n in range(limits.MAX_FOOTNOTES + 1))
    path = tei(tmp_path, f'<div type="document" n="1" xml:id="d1"><head>1. Note</head>\n<p>{notes}</p></div>')
    error = refused(parse_tei, path)
    assert (error.line, error.message) == (7, "refused: more than 2,000 footnotes in one document")


# -- item 8: NUL and absurd numbers caught in the parser ------------------------------------------
def test_a_nul_byte_is_refused_with_its_line(tmp_path):
    path = text_file(tmp_path, "5. Note\n\nSome\x00 text\n")
    error = refused(parse_text_document, path, V33)
    assert str(error) == f"{path}:3: expected text, found a NUL character (byte 0)"


def test_an_absurd_heading_number_is_refused_by_the_parser(tmp_path):
    path = text_file(tmp_path, "\n99999999999999999999. Note\n\nText.\n")
    error = refused(parse_text_document, path, V33)
    assert str(error) == f"{path}:2: expected a document number from 1 to 1,000,000, found 99999999999999999999"


def test_an_absurd_page_number_is_refused_by_the_parser(tmp_path):
    path = text_file(tmp_path, "5. Note\n\nSome [Page 99999999999999999999] text\n")
    error = refused(parse_text_document, path, V33)
    assert str(error) == f"{path}:3: expected a page number up to 1,000,000, found [Page 99999999999999999999]"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            '<div type="document" n="99999999999999999999" xml:id="d1"><head>1. Note</head></div>',
            6,
            'document div (d1) has n="99999999999999999999": expected a document number from 1 to 1,000,000',
        ),
        (
            '<div type="document" n="1" xml:id="d1"><head>1. Note</head>\n<p>a<note n="99999999999">x</note></p></div>',
            7,
            'expected a footnote number up to 100,000, found n="99999999999"',
        ),
        (
            '<div type="document" n="1" xml:id="d1"><head>1. Note</head>\n<p>a</p><pb n="99999999999"/><p>b</p></div>',
            7,
            'expected a page number up to 1,000,000, found n="99999999999"',
        ),
    ],
)
def test_absurd_tei_numbers_are_refused_by_the_parser(tmp_path, body, line, message):
    error = refused(parse_tei, tei(tmp_path, body))
    assert (error.line, error.message) == (line, message)


def test_absurd_cross_reference_numbers_point_nowhere(tmp_path):
    path = text_file(
        tmp_path,
        "5. Note1\n\nText.2\n\n  1. Source: Carter Library.\n  2. See Document 99999999999999 and Document 12.\n",
    )
    letter, _ = parse_text_document(path, V33)
    assert [(r.volume, r.number) for r in letter.references] == [(V33, 12)]


# -- item 9: no external DTD ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE TEI SYSTEM "file:///etc/passwd">',
        '<!DOCTYPE TEI PUBLIC "-//X//DTD X//EN" "http://example.org/x.dtd">',
    ],
)
def test_a_doctype_naming_an_external_subset_is_refused(tmp_path, doctype):
    path = tmp_path / "dtd.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n{doctype}\n<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/>'
        '<text><body><div type="document" n="1" xml:id="d1"><head>1. Note</head></div></body></text></TEI>\n'
    )
    error = refused(parse_tei, path)
    assert error.line == 2
    assert error.message.startswith("refused: the DOCTYPE names an external subset")


# -- item 5: volume identifiers ------------------------------------------------------------------
def test_an_idno_that_is_not_a_slug_is_refused(tmp_path):
    header = (
        '<teiHeader><fileDesc><publicationStmt>\n<idno type="frus">evil id/../x</idno>\n'
        "</publicationStmt></fileDesc></teiHeader>"
    )
    path = tei(tmp_path, '<div type="document" n="1" xml:id="d1"><head>1. Note</head></div>', header=header)
    error = refused(parse_tei, path)
    assert error.line == 4
    assert error.message.startswith("the volume identifier 'evil id/../x' is not usable in addresses")


@pytest.mark.django_db
def test_a_volume_option_that_is_not_a_slug_is_refused(seed_carter):
    with pytest.raises(CommandError) as caught:
        call_command("import_volume", str(seed_carter), volume="<b>bad id")
    assert str(caught.value).startswith("--volume: '<b>bad id' is not a volume identifier")
    with pytest.raises(ParseError):
        import_paths([seed_carter], identifier="frus1969-76v33/../x")
    assert Volume.objects.count() == 0


@pytest.mark.django_db
def test_the_volume_model_validates_its_identifier():
    with pytest.raises(ValidationError) as caught:
        Volume(identifier="evil id/../x").full_clean()
    assert "identifier" in caught.value.message_dict


# -- values longer than their column: refused with the line, on every database ------------------
@pytest.mark.django_db
def test_a_heading_longer_than_its_column_is_refused_by_the_importer(tmp_path):
    path = text_file(tmp_path, "5. Memorandum " + "very " * 250 + "long\n\nText.\n")
    result = import_paths([path], identifier=V33)
    [(label, why)] = result.failures
    assert why == f"{path}:1: document 5: the title is 1,265 characters long: expected at most 1,000 (refused)"
    assert Letter.objects.count() == 0 and Volume.objects.count() == 0


# -- item 3: deep letter bodies ------------------------------------------------------------------
def nested(depth: int) -> list:
    node: list = ["deep"]
    for _ in range(depth):
        node = [{"tag": "quote", "children": node}]
    return node


def test_a_body_nested_240_levels_is_refused_not_a_recursion_error():
    with pytest.raises(ValueError) as caught:
        validate_body(nested(240))
    assert str(caught.value).endswith(f"nodes are nested more than {MAX_DEPTH} levels deep")
    assert str(caught.value).startswith("body[0].children[0].children")


def test_any_depth_is_refused_without_recursion():
    with pytest.raises(ValueError, match="nested more than 200 levels"):
        validate_body(nested(100_000))


def test_the_deepest_allowed_body_passes():
    validate_body(nested(MAX_DEPTH - 1))


def test_a_tei_document_whose_body_would_nest_too_deep_is_refused(tmp_path):
    # 60 XML levels, each <hi> with four renditions: 240 levels of body nodes
    inner = '<hi rend="italic bold underline smallcaps">' * 60 + "x" + "</hi>" * 60
    path = tei(tmp_path, f'<div type="document" n="1" xml:id="d1"><head>1. Note</head>\n<p>{inner}</p></div>')
    error = refused(parse_tei, path)
    assert error.line == 6
    assert error.message.startswith("document 1: body[0].children[0]")
    assert error.message.endswith("nodes are nested more than 200 levels deep")


def test_the_letter_form_reports_a_deep_body_as_a_validation_error():
    letter = Letter(body=nested(240))
    with pytest.raises(ValidationError) as caught:
        letter.clean()
    assert "nested more than 200 levels deep" in caught.value.message_dict["body"][0]


@pytest.mark.django_db
def test_a_refusal_by_the_database_still_names_the_file_and_line(monkeypatch, seed_carter, seed_reagan):
    """A safety net behind the parser's checks: each letter is stored in a savepoint, so whatever
    the database refuses (on PostgreSQL, say, a text too large for its search vector) is reported
    at the document's heading, and the volume is rolled back."""
    from django.db import DataError

    from catalog.ingest import loader

    original = loader.VolumeLoader.load_letter

    def refuse_328(self, record):
        if record.number == 328:
            raise DataError("string is too long for tsvector")
        return original(self, record)

    monkeypatch.setattr(loader.VolumeLoader, "load_letter", refuse_328)
    result = import_paths([seed_carter, seed_reagan], identifier="frus1981-88v04")
    assert (
        result.failures[0][1] == f"{seed_reagan}:1: document 328 could not be stored: string is too long for tsvector"
    )
    assert Letter.objects.count() == 0 and Volume.objects.count() == 0


@pytest.mark.django_db
def test_a_listed_source_longer_than_its_column_is_refused_with_its_line(tmp_path):
    """Found by the import fuzzing: a huge line inside the volume's list of sources."""
    path = tmp_path / "frus1977-80v06.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><front>\n'
        '<div type="section" xml:id="sources"><list type="sources">\n'
        '<item><hi rend="strong">Carter Library</hi><list>\n'
        f"<item>{'Files ' * 100}</item>\n"
        "</list></item></list></div></front><body>\n"
        '<div type="document" n="1" xml:id="d1"><head>1. Note</head><p>Text.</p></div></body></text></TEI>\n'
    )
    [(_, why)] = import_paths([path]).failures
    assert why == f"{path}:5: a listed source's collection is 599 characters long: expected at most 500 (refused)"
    assert Volume.objects.count() == 0
