"""The TEI parser on the two corpus excerpts, and on hostile or broken input. No database.

Every expectation below was read off the XML (fixtures/*.xml, copies of /work/shared/corpus/), not
copied from the parser's output.
"""

import datetime
import inspect
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from catalog.ingest import safe_xml
from catalog.ingest.records import CrossReference, ParseError
from catalog.ingest.tei_parser import cross_reference, is_cross_reference_note, is_tei, parse_tei

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TEI_V33 = FIXTURES / "frus1969-76v33-excerpt.xml"
TEI_QUEBEC = FIXTURES / "frus1944Quebec-excerpt.xml"
SEED_CARTER = FIXTURES / "frus1969-76v33" / "000_dd5f1a60df42d359.txt"
V33 = "frus1969-76v33"
WASHINGTON = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def v33():
    parsed = parse_tei(TEI_V33)
    return parsed, {letter.number: letter for letter in parsed.letters}


@pytest.fixture(scope="module")
def quebec():
    parsed = parse_tei(TEI_QUEBEC)
    return parsed, {letter.number: letter for letter in parsed.letters}


def keys(letter, role):
    return [m.person_key for m in letter.people if m.role == role]


def tei(tmp_path, body, *, name="volume.xml", header="<teiHeader/>"):
    """A small TEI file around ``body`` (the content of <body>)."""
    path = tmp_path / name
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TEI xmlns="http://www.tei-c.org/ns/1.0" xmlns:frus="http://history.state.gov/frus/ns/1.0">\n'
        f"{header}\n<text>\n<body>\n{body}\n</body>\n</text>\n</TEI>\n",
        encoding="utf-8",
    )
    return path


# -- detection --------------------------------------------------------------------------------------
def test_is_tei_sniffs_content_not_extension(tmp_path):
    assert is_tei(TEI_V33) and is_tei(TEI_QUEBEC)
    assert not is_tei(SEED_CARTER)
    renamed = tmp_path / "volume.dat"
    renamed.write_bytes(TEI_QUEBEC.read_bytes()[:6000])  # a truncated volume still sniffs as TEI
    assert is_tei(renamed)
    other = tmp_path / "other.xml"
    other.write_text('<?xml version="1.0"?>\n<!-- not <TEI> -->\n<html xmlns="http://www.tei-c.org/ns/1.0"/>')
    assert not is_tei(other)
    assert not is_tei(tmp_path / "missing.xml")


# -- the v33 header and front matter ------------------------------------------------------------------
def test_v33_volume_header(v33):
    volume = v33[0].volume
    assert volume.identifier == V33
    assert volume.title == "Foreign Relations of the United States, 1969–1976, Volume XXXIII, SALT II, 1972–1980"
    assert volume.series == "Foreign Relations of the United States"
    assert volume.subseries == "1969-1976"
    assert volume.volume_number == "Volume XXXIII"
    assert volume.editors == [
        {"name": "Erin R. Mahan", "role": "primary"},
        {"name": "Adam M. Howard", "role": "general"},
    ]
    assert volume.year_published == 2013
    assert "Jimmy Carter Presidential Library" in volume.repositories
    assert "Library of Congress" in volume.repositories


def test_v33_persons_list(v33):
    persons = {p.key: p for p in v33[0].volume.persons}
    assert len(v33[0].volume.persons) == len(persons) == 140
    carter = persons["p_CJ_2"]
    assert (carter.display_name, carter.sort_name, carter.from_persons_list) == ("Jimmy Carter", "Carter, Jimmy", True)
    assert carter.description == "President of the United States from January 20, 1977, until January 20, 1981"
    harold = persons["p_BH_2"]
    assert (harold.display_name, harold.sort_name) == ("Harold Brown", "Brown, Harold")
    assert harold.description == "Secretary of Defense from January 20, 1977, until January 20, 1981"
    george = persons["p_BGS_1"]
    assert (george.display_name, george.sort_name) == ("George S. Brown", "Brown, George S.")
    assert george.description.startswith("General, USAF, Chief of Staff, U.S. Air Force, from August 1, 1973")
    assert george.description.endswith("Chairman of the Joint Chiefs of Staff from July 1, 1974, until June 20, 1978")
    assert persons["p_CFC3_1"].display_name == "Frank C. Carlucci III"
    assert persons["p_BH_1"].description == "Senator (R-Tennessee)"  # "</persName>, </hi> Senator"


def test_v33_terms_list(v33):
    terms = v33[0].volume.terms
    assert len(terms) == 167
    by_key = {t.key: t for t in terms}
    assert len(by_key) == 167
    assert (by_key["t_SALT_1"].term, by_key["t_SALT_1"].expansion) == ("SALT", "Strategic Arms Limitation Talks")
    assert (by_key["t_DandP_1"].term, by_key["t_DandP_1"].expansion) == ("D&P", "Derazhyna and Pervomaysk")
    assert by_key["t_SCC_1"].expansion == (
        "Standing Consultative Commission; Special Coordination Committee (National Security Council)"
    )
    # Four entries have no <term xml:id>: "K, Kissinger", "P, President", "S, …", "Z, Zulu time …".
    unmarked = [(t.key, t.term, t.expansion) for t in terms if not t.key.startswith("t_")]
    assert unmarked == [
        ("term:k", "K", "Kissinger"),
        ("term:p", "P", "President"),
        ("term:s", "S", "Office of the Secretary of State"),
        ("term:z", "Z", "Zulu time (Greenwich Mean Time)"),
    ]


def test_v33_chapters_and_numbers(v33):
    parsed, letters = v33
    assert [(c.key, c.title, c.order, c.kind) for c in parsed.volume.chapters] == [
        ("comp1", "SALT II, 1972–1980", 1, "compilation")
    ]
    assert sorted(letters) == list(range(188, 199))
    assert all(letter.xml_id == f"d{n}" and letter.chapter == "comp1" for n, letter in letters.items())
    assert letters[188].source_line == 579
    assert all(letter.source_path == str(TEI_V33) for letter in letters.values())


# -- the v33 letters --------------------------------------------------------------------------------
def test_v33_footnotes(v33):
    letters = v33[1]
    per_document = {n: len(letter.footnotes) for n, letter in letters.items()}
    assert per_document == {188: 5, 189: 6, 190: 2, 191: 2, 192: 3, 193: 2, 194: 6, 195: 4, 196: 3, 197: 7, 198: 1}
    notes = [f for letter in letters.values() for f in letter.footnotes]
    assert len(notes) == 41
    assert sum(f.kind == "source" for f in notes) == 11
    for letter in letters.values():
        first = letter.footnotes[0]
        assert (first.number, first.kind, first.anchor) == (1, "source", None)  # in the heading
        assert [f.number for f in letter.footnotes] == list(range(1, len(letter.footnotes) + 1))
        assert all(f.anchor is not None for f in letter.footnotes[1:])
    assert letters[192].footnotes[2].kind == "cross-reference"  # "See Document 190."
    assert letters[194].footnotes[1].kind == "editorial"  # "For a summary …, see footnote 2, Document 192."
    assert letters[196].footnotes[1].text == "Not found."


def test_v33_pages(v33):
    letters = v33[1]
    pages = {n: (letter.page_start, letter.page_end) for n, letter in letters.items()}
    assert pages == {
        188: (788, 794),
        189: (795, 796),
        190: (796, 797),  # begins on 796, whose <pb> stands inside d189
        191: (798, 805),
        192: (806, 807),
        193: (807, 808),
        194: (809, 812),
        195: (813, 815),
        196: (816, 819),
        197: (820, 821),
        198: (822, 824),
    }
    # 37 <pb> inside the documents; the 9 that open a document are its page_start, not a break.
    assert sum(len(letter.page_breaks) for letter in letters.values()) == 28
    assert [label for label, _ in letters[194].page_breaks] == ["810", "811", "812"]
    assert [label for label, _ in letters[190].page_breaks] == ["797"]


def test_d193_letter(v33):
    letter = v33[1][193]
    assert letter.title == "Letter From President Carter to Soviet General Secretary Brezhnev"
    assert letter.doc_type == "letter"
    assert letter.date_min == datetime.datetime(1978, 1, 25, tzinfo=WASHINGTON)
    assert letter.date_max == datetime.datetime(1978, 1, 25, 23, 59, 59, tzinfo=WASHINGTON)
    assert letter.date_precision == "day"
    assert (letter.place, letter.dateline) == ("Washington", "Washington, January 25, 1978.")
    assert letter.classification == "No classification marking"
    text = letter.body_text
    assert text.startswith("Dear Mr. President:\n\nI was pleased to receive your letter of January 12. I was")
    assert "purpose of shaping" in text
    assert text.endswith("Sincerely,\n\nJimmy Carter")
    assert "Washington, January 25" not in text  # the dateline is metadata
    assert letter.page_breaks == [("808", text.index("purpose") + len("pur"))]
    fn1, fn2 = letter.footnotes
    assert fn1.anchor is None
    assert fn2.anchor == text.index("January 12.") + len("January 12.")
    assert fn1.text.startswith("Source: Carter Library, National Security Affairs, Staff Material, Office, Box 69,")
    assert fn2.text.startswith("Brezhnev’s January 12 letter to Carter, which covered a number of issues")
    assert fn2.kind == "editorial"


def test_d193_body_tree(v33):
    body = v33[1][193].body
    assert body[0] == {"tag": "opener", "children": [{"tag": "salute", "children": ["Dear Mr. President:"]}]}
    assert body[1]["children"][:3] == [
        "I was pleased to receive your letter of January 12.",
        {"tag": "fn", "n": 2},
        " I was particularly gratified by your view—which I share—that the predominant trend in U.S.-Soviet "
        "relations is a constructive one, based on our jointly shared determination “to reduce the danger of "
        "war, to limit and subsequently reduce armaments, to prevent and eliminate dangerous hotbeds of "
        "international tensions.” Our personal dialogue is dedicated to these ends.",
    ]
    second = body[2]["children"]
    assert {"tag": "term", "ref": "t_SALT_1", "children": ["SALT"]} in second
    assert {"tag": "person", "ref": "p_GAA_1", "children": ["Gromyko"]} in second
    at = second.index({"tag": "pb", "n": "808"})
    assert second[at - 1].endswith("all of which have the pur") and second[at + 1].startswith("pose of shaping")
    assert body[-1] == {
        "tag": "closer",
        "children": [{"tag": "signed", "children": [{"tag": "person", "ref": "p_CJ_2", "children": ["Jimmy Carter"]}]}],
    }
    fn2 = v33[1][193].footnotes[1].content
    assert fn2[0] == {"tag": "person", "ref": "p_BLI_1", "children": ["Brezhnev"]}
    assert {
        "tag": "ref",
        "target": "frus1977-80v06",
        "children": [{"tag": "i", "children": ["Foreign Relations,"]}, " 1977–1980, Vol. VI, Soviet Union"],
    } in fn2


def test_d193_sources_people_references_terms(v33):
    letter = v33[1][193]
    parts = [(s.footnote_number, s.repository, s.collection, s.box, s.folder) for s in letter.sources]
    carter_box = ("Carter Library", "National Security Affairs, Staff Material, Office", "69")
    folder = "USSR: Brezhnev-Carter Correspondence: 1–12/78"
    assert parts == [(1, *carter_box, folder), (2, *carter_box, folder)]  # the source note; "(Carter Library …)"
    assert keys(letter, "sender") == ["p_CJ_2"]
    assert keys(letter, "recipient") == ["p_BLI_1"]
    assert {"p_GAA_1", "p_DAF_1", "p_BLI_1", "p_CJ_2"} <= set(keys(letter, "mentioned"))
    assert len({(m.person_key, m.role) for m in letter.people}) == len(letter.people)
    gromyko = next(m for m in letter.people if m.person_key == "p_GAA_1")
    assert gromyko.name_as_written == "Gromyko"
    assert [(r.volume, r.number, r.footnote, r.footnote_number) for r in letter.references] == [
        ("frus1977-80v06", None, None, 1)
    ]
    assert letter.references[0].text == "Foreign Relations, 1977–1980, Vol. VI, Soviet Union"
    assert letter.terms == ["t_USSR_1", "t_US_1", "t_SALT_1", "t_MIRV_1"]


def test_v33_undated_documents(v33):
    letters = v33[1]
    for number in (190, 192):
        letter = letters[number]
        assert (letter.date_min, letter.date_max, letter.date_precision) == (None, None, "")
        assert (letter.place, letter.dateline) == ("Washington", "Washington, undated.")
    assert [n for n, letter in letters.items() if letter.date_min is None] == [190, 192]


def test_v33_times_and_ranges(v33):
    letters = v33[1]
    d194, d198 = letters[194], letters[198]
    assert d194.date_min == d194.date_max == datetime.datetime(1978, 3, 6, 12, 30, tzinfo=WASHINGTON)
    assert d194.date_precision == "time"
    assert d194.dateline == "Washington, March 6, 1978, 12:30 p.m."
    assert (d198.date_min, d198.date_max) == (
        datetime.datetime(1978, 4, 11, 15, 30, tzinfo=WASHINGTON),
        datetime.datetime(1978, 4, 11, 16, 30, tzinfo=WASHINGTON),
    )
    assert d198.date_precision == "time"
    assert letters[188].date_min == datetime.datetime(1977, 11, 4, tzinfo=WASHINGTON)


def test_d194_page_and_references(v33):
    letter = v33[1][194]
    assert letter.page_start == 809
    assert letter.body[0] != {"tag": "pb", "n": "809"}
    assert "809" not in [label for label, _ in letter.page_breaks]
    assert letter.doc_type == "summary of conclusions"
    assert letter.title == "Summary of Conclusions of a Meeting of the Special Coordination Committee"
    assert letter.references == [
        CrossReference(volume=V33, number=192, footnote=2, text="footnote 2, Document 192", footnote_number=2)
    ]
    assert keys(letter, "sender") == [] and keys(letter, "recipient") == []
    assert "p_McCR_1" in keys(letter, "mentioned")
    participants = next(b for b in letter.body if b.get("type") == "participants")
    assert participants["tag"] == "list"
    assert participants["children"][0] == {"tag": "head", "children": ["PARTICIPANTS"]}


def test_v33_other_letters(v33):
    letters = v33[1]
    assert letters[188].classification == "Top Secret; Sensitive"
    assert (keys(letters[188], "sender"), keys(letters[188], "recipient")) == (["p_BZ_1"], ["p_CJ_2"])
    assert letters[188].body[0]["type"] == "subject"
    assert keys(letters[190], "recipient") == ["p_MWF_1", "p_VCR_1", "p_BH_2"]
    assert letters[191].classification == "Top Secret"
    assert keys(letters[191], "sender") == ["p_BH_2"]
    assert letters[192].references[0].volume == V33 and letters[192].references[0].number == 190
    assert letters[195].title == "Letter From Soviet General Secretary Brezhnev to President Carter"
    assert letters[195].dateline == "Washington, March 15, 1978."  # the source's own slip, kept
    assert keys(letters[195], "sender") == ["p_BLI_1"]
    assert (letters[196].doc_type, letters[196].classification) == ("memorandum of conversation", "Secret")
    # d197 links a "Brown" who seems to be Harold Brown to George S. Brown: kept as the source has it.
    brown = [m for m in letters[197].people if m.person_key == "p_BGS_1"]
    assert [(m.role, m.name_as_written) for m in brown] == [("mentioned", "Brown")]
    assert keys(letters[198], "sender") == ["p_BZ_1"]  # <signed corresp="#p_BZ_1">


def test_v33_every_name_resolves(v33):
    parsed, letters = v33
    listed = {p.key for p in parsed.volume.persons}
    assert {m.person_key for letter in letters.values() for m in letter.people} <= listed
    assert parsed.people == {}
    terms = {t.key for t in parsed.volume.terms}
    assert {t for letter in letters.values() for t in letter.terms} <= terms


# -- Quebec -----------------------------------------------------------------------------------------
def test_quebec_volume_header(quebec):
    volume = quebec[0].volume
    assert volume.identifier == "frus1944Quebec"
    assert volume.title == "Foreign Relations of the United States, Conference at Quebec, 1944"
    assert volume.series == "Foreign Relations of the United States"
    assert (volume.subseries, volume.volume_number) == ("", "")
    assert volume.editors == [
        {"name": name, "role": "primary"}
        for name in ("Richardson Dougall", "Arthur G. Kogan", "Richard S. Patterson", "Irving L. Thomson")
    ]
    assert volume.year_published == 1972  # the publication date, not the content date (1944)
    assert volume.persons == []
    assert len(volume.terms) == 153
    by_key = {t.key: t for t in volume.terms}
    assert (by_key["t_Alusna1"].term, by_key["t_Alusna1"].expansion) == ("Alusna", "Office of the Naval Attaché")
    assert by_key["t_Amco1"].expansion == "the President’s telephone ex-change at the Citadel, Quebec"
    assert [(c.key, c.title, c.order, c.kind) for c in volume.chapters] == [
        ("comp1", "The Second Quebec Conference and Related Conversations at Hyde Park", 1, "compilation"),
        ("ch1", "1. Agenda and Arrangements for the Conference", 2, "chapter"),
    ]


def test_quebec_footnotes(quebec):
    letters = quebec[1]
    assert sorted(letters) == list(range(1, 9))
    assert {n: len(letter.footnotes) for n, letter in letters.items()} == {
        1: 6,
        2: 3,
        3: 4,
        4: 3,
        5: 3,
        6: 3,
        7: 4,
        8: 2,
    }
    notes = [f for letter in letters.values() for f in letter.footnotes]
    assert len(notes) == 28
    sources = [f for f in notes if f.number == 0]
    assert len(sources) == 8
    assert all((f.kind, f.text, f.anchor) == ("source", "Roosevelt Papers: Telegram", None) for f in sources)
    for letter in letters.values():
        assert [f.number for f in letter.footnotes][:2] == [0, 1]
        assert letter.footnotes[1].anchor is None  # numbered 1, inside the heading
        assert all(f.anchor is not None for f in letter.footnotes[2:])
    kinds = [(f.number, f.kind) for f in letters[1].footnotes]
    assert kinds == [
        (0, "source"),
        (1, "editorial"),
        (2, "editorial"),
        (3, "editorial"),
        (4, "cross-reference"),
        (5, "editorial"),
    ]
    assert letters[3].footnotes[2].kind == "cross-reference"  # "Supra."
    assert letters[7].footnotes[3].kind == "cross-reference"  # "Ante, p. 5."


def test_quebec_d1(quebec):
    parsed, letters = quebec
    d1 = letters[1]
    assert d1.title == "Prime Minister Churchill to President Roosevelt"
    assert d1.doc_type == "telegram"  # "correspondence" by the heading; the source note names the form
    # Washington wall-clock dates: in March 1944 Washington kept War Time, UTC−4.
    assert d1.date_min == datetime.datetime(1944, 3, 18, tzinfo=WASHINGTON)
    assert d1.date_max == datetime.datetime(1944, 3, 18, 23, 59, 59, tzinfo=WASHINGTON)
    assert d1.date_min.utcoffset() == datetime.timedelta(hours=-4)
    assert d1.date_precision == "day"
    assert (d1.place, d1.dateline) == ("London", "London, March 18, 1944.")
    assert d1.classification == "Most Secret"
    assert (d1.page_start, d1.page_end) == (3, 3)  # [1] and [2] are the compilation's pages
    assert d1.chapter == "ch1"
    assert [(m.person_key, m.role, m.name_as_written) for m in d1.people] == [
        ("name:churchill", "sender", "Churchill"),
        ("name:roosevelt", "recipient", "Roosevelt"),
    ]
    assert [(r.volume, r.number, r.footnote_number, r.text) for r in d1.references] == [
        ("frus1944v05", None, 2, "Foreign Relations, 1944, vol. v, p. 821"),
        ("frus1943CairoTehran", None, 4, "Foreign Relations, The Conferences at Cairo and Tehran, 1943"),
    ]
    assert [(s.footnote_number, s.repository) for s in d1.sources] == [(0, "Roosevelt Papers")]
    assert d1.terms == ["t_Overlord1"]
    assert d1.body[0] == {"tag": "opener", "children": [{"tag": "sc", "children": ["most secret"]}]}
    assert "London" not in d1.body_text
    churchill = parsed.people["name:churchill"]
    assert (churchill.display_name, churchill.titles, churchill.from_persons_list) == (
        "Churchill",
        ["Prime Minister"],
        False,
    )
    assert parsed.people["name:roosevelt"].titles == ["President"]


def test_quebec_d2_and_pages(quebec):
    letters = quebec[1]
    d2 = letters[2]
    assert d2.classification == "Secret; Priority"
    assert (d2.place, d2.dateline) == ("Washington", "[Washington,] 20 March 1944.")
    assert (d2.page_start, d2.page_end) == (3, 4)
    [(label, offset)] = d2.page_breaks
    assert label == "4"
    assert d2.body_text[offset:].startswith("of about two or three weeks")
    assert "take a complete rest of about two" in d2.body_text  # one space across the <pb/>
    paragraph = d2.body[2]["children"]
    assert {"tag": "pb", "n": "4"} in paragraph and paragraph[0].startswith("I am very angry")
    assert d2.body[0]["children"] == [
        {"tag": "sc", "children": ["secret"]},
        {"tag": "lb"},
        {"tag": "sc", "children": ["priority"]},
    ]
    pages = {n: (letter.page_start, letter.page_end) for n, letter in letters.items()}
    assert pages == {1: (3, 3), 2: (3, 4), 3: (4, 4), 4: (4, 4), 5: (5, 5), 6: (5, 6), 7: (6, 6), 8: (6, 7)}
    assert [letters[n].classification for n in (5, 6)] == ["Top Secret", "Top Secret; Priority"]
    assert all(letter.doc_type == "telegram" for letter in letters.values())
    assert all(letter.date_min.tzinfo is WASHINGTON and letter.date_min.hour == 0 for letter in letters.values())
    assert all(letter.date_max.date() == letter.date_min.date() for letter in letters.values())


# -- streaming --------------------------------------------------------------------------------------
def test_letters_are_a_lazy_stream():
    parsed = parse_tei(TEI_V33)
    assert inspect.isgenerator(parsed.letters)
    assert len(parsed.volume.persons) == 140  # the front matter is read at once …
    assert parsed.volume.chapters == []  # … the body only as the letters are asked for
    first = next(parsed.letters)
    assert first.number == 188
    assert [c.key for c in parsed.volume.chapters] == ["comp1"]
    assert [letter.number for letter in parsed.letters] == list(range(189, 199))


def test_people_known_before_their_letter():
    parsed = parse_tei(TEI_QUEBEC)
    assert parsed.people == {}
    next(parsed.letters)
    assert set(parsed.people) == {"name:churchill", "name:roosevelt"}
    assert [c.key for c in parsed.volume.chapters] == ["comp1", "ch1"]


# -- small volumes ----------------------------------------------------------------------------------
def test_dates_from_ranges_and_attributes(tmp_path):
    path = tei(
        tmp_path,
        """<div type="chapter" xml:id="ch1"><head>One</head>
        <div type="document" n="1" xml:id="d1"><head>1. Editorial Note</head>
          <dateline><date from="1978-04" to="1978-05">April–May 1978</date></dateline><p>a</p></div>
        <div type="document" n="2" xml:id="d2"><head>2. Editorial Note</head>
          <dateline><date when="1978">1978</date></dateline><p>b</p></div>
        <div type="document" n="3" xml:id="d3"><head>3. Editorial Note</head>
          <dateline><date notBefore="1978-06-01" notAfter="1978-06-03">June 1978</date></dateline><p>c</p></div>
        <div type="document" n="4" xml:id="d4" frus:doc-dateTime-min="1944-09-01T00:00:00-04:00"
             frus:doc-dateTime-max="1944-09-30T23:59:59-04:00"><head>4. Editorial Note</head><p>d</p></div>
        </div>""",
    )
    letters = list(parse_tei(path).letters)
    ranges = [(letter.date_min, letter.date_max, letter.date_precision) for letter in letters]
    edt = datetime.timezone(datetime.timedelta(hours=-4))
    assert ranges == [
        (
            datetime.datetime(1978, 4, 1, tzinfo=WASHINGTON),
            datetime.datetime(1978, 5, 31, 23, 59, 59, tzinfo=WASHINGTON),
            "month",
        ),
        (
            datetime.datetime(1978, 1, 1, tzinfo=WASHINGTON),
            datetime.datetime(1978, 12, 31, 23, 59, 59, tzinfo=WASHINGTON),
            "year",
        ),
        (
            datetime.datetime(1978, 6, 1, tzinfo=WASHINGTON),
            datetime.datetime(1978, 6, 3, 23, 59, 59, tzinfo=WASHINGTON),
            "day",
        ),
        (datetime.datetime(1944, 9, 1, tzinfo=edt), datetime.datetime(1944, 9, 30, 23, 59, 59, tzinfo=edt), "month"),
    ]
    assert [letter.title for letter in letters] == ["Editorial Note"] * 4
    assert all(letter.chapter == "ch1" for letter in letters)


def test_markup_mapping(tmp_path):
    path = tei(
        tmp_path,
        """<div type="document" n="5" xml:id="d5"><pb n="10"/>
        <head>5. Telegram From the Embassy in the Soviet Union to the Department of State</head>
        <p rend="center">A <hi rend="italic">b</hi> <hi rend="strong">c</hi> <hi rend="underline">d</hi>
          <hi rend="superscript">e</hi> <gloss target="#t_X_1">X</gloss> <ref target="#d4">Document 4</ref>
          <persName corresp="#p_Z_9">Zed</persName><lb/>next<note n="1">See Document 4.</note>
          <note>An unnumbered note.</note></p>
        <div type="attachment"><head>Attachment</head><p>inside</p><closer><signed>Someone</signed></closer></div>
        <p>last words</p><pb n="11"/>
        </div>""",
    )
    parsed = parse_tei(path)
    [letter] = parsed.letters
    assert letter.doc_type == "telegram"
    assert letter.page_start == letter.page_end == 10  # the closing <pb/> has no text of this document after it
    assert letter.body[0] == {
        "tag": "p",
        "rend": "center",
        "children": [
            "A ",
            {"tag": "i", "children": ["b"]},
            " ",
            {"tag": "b", "children": ["c"]},
            " ",
            {"tag": "u", "children": ["d"]},
            " ",
            {"tag": "sup", "children": ["e"]},
            " ",
            {"tag": "term", "ref": "t_X_1", "children": ["X"]},
            " ",
            {"tag": "ref", "target": "#d4", "children": ["Document 4"]},
            " ",
            {"tag": "person", "ref": "p_Z_9", "children": ["Zed"]},
            {"tag": "lb"},
            "next",
            {"tag": "fn", "n": 1},
            " ",
            {"tag": "fn", "n": 2},
        ],
    }
    assert letter.body[1] == {
        "tag": "attachment",
        "type": "attachment",
        "children": [
            {"tag": "head", "children": ["Attachment"]},
            {"tag": "p", "children": ["inside"]},
            {"tag": "closer", "children": [{"tag": "signed", "children": ["Someone"]}]},
        ],
    }
    assert letter.body[-1] == {"tag": "pb", "n": "11"}
    assert [(f.number, f.kind, f.text) for f in letter.footnotes] == [
        (1, "cross-reference", "See Document 4."),
        (2, "editorial", "An unnumbered note."),
    ]
    assert letter.references == [CrossReference(volume="volume", number=4, text="Document 4")]
    assert letter.terms == ["t_X_1"]
    # The offices named as parties are organizations, as the text importer makes them (issue 6).
    assert [(m.person_key, m.role, m.name_as_written) for m in letter.people] == [
        ("org:embassy in the soviet union", "sender", "the Embassy in the Soviet Union"),
        ("org:department of state", "recipient", "the Department of State"),
        ("p_Z_9", "mentioned", "Zed"),
    ]
    assert parsed.people["p_Z_9"].display_name == "Zed"  # not in a persons list


def test_cross_reference_targets():
    assert cross_reference("#d192fn2", V33) == CrossReference(V33, 192, 2)
    assert cross_reference("#d193", V33) == CrossReference(V33, 193)
    assert cross_reference("frus1977-80v06", V33) == CrossReference("frus1977-80v06", None)
    assert cross_reference("frus1977-80v06#d12", V33) == CrossReference("frus1977-80v06", 12)
    assert cross_reference("frus1944v05#pg_821", V33) == CrossReference("frus1944v05", None)
    assert cross_reference("https://history.state.gov/historicaldocuments/frus1977-80v06/d12", V33) == CrossReference(
        "frus1977-80v06", 12
    )
    assert cross_reference("#pg_5", V33) is None
    assert cross_reference("#ch3", V33) is None
    assert cross_reference("https://example.org/x", V33) is None


def test_cross_reference_notes():
    assert is_cross_reference_note("See Document 310.", [])
    assert is_cross_reference_note("See footnote 5, Document 315.", [])
    assert is_cross_reference_note("Supra.", [])
    assert is_cross_reference_note("Ante, p. 5.", ["p. 5"])
    assert is_cross_reference_note("See Foreign Relations, 1943.", ["Foreign Relations, 1943"])
    assert not is_cross_reference_note("Not printed.", [])
    assert not is_cross_reference_note("For a summary, see footnote 2, Document 192.", ["footnote 2, Document 192"])


# -- hostile and broken input -----------------------------------------------------------------------
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE TEI [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>
<div type="document" n="1"><head>&lol3;</head></div></body></text></TEI>
"""


def test_billion_laughs_is_refused(tmp_path):
    path = tmp_path / "laughs.xml"
    path.write_text(BILLION_LAUGHS)
    with pytest.raises(ParseError) as caught:
        parse_tei(path)
    assert caught.value.line == 3
    assert "refused" in caught.value.message and "declares entities" in caught.value.message


@pytest.mark.parametrize("declaration", ['<!ENTITY xxe SYSTEM "{url}">', '<!ENTITY % xxe SYSTEM "{url}"> %xxe;'])
def test_external_entities_are_refused_and_nothing_is_read(tmp_path, declaration):
    secret = tmp_path / "secret.txt"
    secret.write_text("SENTINEL-FROM-THE-FILE-SYSTEM")
    path = tmp_path / "xxe.xml"
    path.write_text(
        '<?xml version="1.0"?>\n'
        f"<!DOCTYPE TEI [{declaration.format(url=secret.as_uri())}]>\n"
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>'
        '<div type="document" n="1"><head>&xxe;</head></div></body></text></TEI>\n'
    )
    with pytest.raises(ParseError) as caught:
        list(parse_tei(path).letters)
    assert caught.value.line == 2
    assert "declares entities" in str(caught.value)
    assert "SENTINEL" not in str(caught.value)


def test_parser_settings_never_expand_entities(tmp_path):
    """Defence in depth: even without the DOCTYPE check, the lxml settings expand and read nothing."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SENTINEL-FROM-THE-FILE-SYSTEM")
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n<r><a>&xxe;</a></r>\n'
    )
    texts = [
        "".join(element.itertext())
        for _, element in etree.iterparse(str(path), events=("end",), **safe_xml.PARSER_OPTIONS)
    ]
    assert not any("SENTINEL" in text for text in texts)
    laughs = tmp_path / "laughs.xml"
    laughs.write_text(BILLION_LAUGHS)
    sizes = [
        len("".join(e.itertext())) for _, e in etree.iterparse(str(laughs), events=("end",), **safe_xml.PARSER_OPTIONS)
    ]
    assert max(sizes) < 100


def test_deep_nesting_is_refused(tmp_path):
    depth = safe_xml.MAX_DEPTH + 50
    path = tei(tmp_path, "<div>" * depth + "</div>" * depth)
    with pytest.raises(ParseError) as caught:
        list(parse_tei(path).letters)
    assert "nested more than 200 levels" in caught.value.message


def test_malformed_xml_names_the_line(tmp_path):
    path = tei(tmp_path, '<div type="document" n="1" xml:id="d1"><head>1. Note</head>\n<p>unclosed\n</div>')
    # lines: 1 declaration, 2 TEI, 3 header, 4 text, 5 body, 6 div, 7 "unclosed", 8 </div>
    with pytest.raises(ParseError) as caught:
        list(parse_tei(path).letters)
    assert caught.value.line == 8
    assert caught.value.message.startswith("malformed XML: Opening and ending tag mismatch")
    assert str(caught.value).startswith(f"{path}:8: ")


def test_malformed_header_fails_at_once(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<teiHeader>\n<title>x</titl>\n')
    with pytest.raises(ParseError) as caught:
        parse_tei(path)
    assert caught.value.line == 3


def test_document_without_number(tmp_path):
    path = tei(tmp_path, '<div type="document" xml:id="d7">\n<head>7. Note</head></div>')
    with pytest.raises(ParseError) as caught:
        list(parse_tei(path).letters)
    assert caught.value.line == 6
    assert "has no @n" in caught.value.message and "integer" in caught.value.message


def test_document_with_a_non_integer_number(tmp_path):
    path = tei(tmp_path, '<div type="document" n="7a" xml:id="d7">\n<head>7. Note</head></div>')
    with pytest.raises(ParseError) as caught:
        list(parse_tei(path).letters)
    assert caught.value.line == 6
    assert 'n="7a"' in caught.value.message and "expected an integer" in caught.value.message


def test_not_a_tei_document(tmp_path):
    path = tmp_path / "page.xml"
    path.write_text("<html><body/></html>")
    with pytest.raises(ParseError, match="expected a TEI document"):
        parse_tei(path)
    with pytest.raises(ParseError, match="cannot read"):
        parse_tei(tmp_path / "missing.xml")


def test_undefined_entity_is_an_error_not_a_lost_character(tmp_path):
    path = tmp_path / "dtd.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!-- no DTD: a DOCTYPE naming one is refused -->\n'
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>\n'
        '<div type="document" n="1" xml:id="d1"><head>1. Note</head><p>a &amp; b &#8212; c &mdash; d</p></div>'
        "</body></text></TEI>\n"
    )
    with pytest.raises(ParseError) as caught:
        list(parse_tei(path).letters)
    assert caught.value.line == 4
    assert "&mdash;" in caught.value.message


def test_sources_list_gives_repositories_and_their_collections():
    volume = parse_tei(TEI_V33).volume
    collections = [(c.repository, c.collection) for c in volume.collections]
    assert len(collections) == 82
    assert collections[0] == ("Department of State", "Central Foreign Policy Files")
    assert ("Department of State", "INR/IL Historical Files, Lot 82D241, Secretary of State Cyrus R. Vance Files") in (
        collections
    )
    assert (
        "Jimmy Carter Presidential Library",
        "National Security Affairs, Brzezinski Material, Subject File",
    ) in collections
    assert parse_tei(TEI_QUEBEC).volume.collections == []  # this excerpt kept no sources list


def test_an_entity_declaration_hidden_behind_a_huge_comment_is_refused(tmp_path):
    hostile = tmp_path / "hidden.xml"
    hostile.write_text(
        '<?xml version="1.0"?>\n<!--' + "x" * (1 << 20) + '-->\n<!DOCTYPE TEI [<!ENTITY a "aaaaaaaaaa">]>\n'
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body><p>&a;</p></body></text></TEI>\n',
        encoding="utf-8",
    )
    with pytest.raises(ParseError, match=r"hidden.xml:2: refused: a DOCTYPE, comment or processing instruction"):
        parse_tei(hostile)


BRZEZINSKI_SUBJECT = ("Carter Library", "National Security Affairs, Brzezinski Material, Subject File")
STAFF_OFFICE = ("Carter Library", "National Security Affairs, Staff Material, Office")


def test_v33_source_note_of_each_document(v33):
    _, letters = v33
    expected = {
        188: (*BRZEZINSKI_SUBJECT, "56", "SALT: Chronology: 10/6/77–11/22/77", "Top Secret; Sensitive"),
        189: (*BRZEZINSKI_SUBJECT, "56", "SALT: Chronology: 10/6/77–11/22/77", "Top Secret; Sensitive"),
        190: (*BRZEZINSKI_SUBJECT, "56", "SALT: Chronology: 10/5/77–11/22/77", "Top Secret; Sensitive"),
        191: (
            "Carter Library",
            "NSC Institutional Files",
            "91",
            "SCC 050, 1/9/78, SALT, Negotiating Options and Instructions",
            "Top Secret",
        ),
        192: (*BRZEZINSKI_SUBJECT, "56", "SALT: Chronology: 11/23/77–4/20/78", "Top Secret; Sensitive"),
        193: (*STAFF_OFFICE, "69", "USSR: Brezhnev-Carter Correspondence: 1–12/78", "No classification marking"),
        194: (*BRZEZINSKI_SUBJECT, "56", "SALT: Chronology: 11/23/77–4/20/78", "Top Secret; Sensitive"),
        195: (
            *STAFF_OFFICE,
            "69",
            "USSR: Brezhnev–Carter Correspondence, March–April 1978",
            "No classification marking",
        ),
        196: (*BRZEZINSKI_SUBJECT, "56", "SALT: Chronology: 11/23/77–4/20/78", "Secret"),
        197: (*BRZEZINSKI_SUBJECT, "53", "SALT: 12/77–3/78", "Top Secret; Sensitive"),
        198: (*STAFF_OFFICE, "1", "NSC Meetings", "Top Secret; Sensitive"),  # "Box 1 NSC Meetings": no comma
    }
    found = {}
    for number, letter in letters.items():
        [note] = [s for s in letter.sources if s.footnote_number == 1]
        found[number] = (note.repository, note.collection, note.box, note.folder, letter.classification)
    assert found == expected
