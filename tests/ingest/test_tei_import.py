"""TEI volumes through the one loader: counts, enrichment of text imports, idempotence, conflicts,
all-or-nothing per volume, and agreement between the text and TEI paths."""

import datetime
import re
import shutil
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.ingest.pipeline import import_paths
from catalog.ingest.tei_parser import parse_tei
from catalog.ingest.text_parser import parse_text_document
from catalog.models import CrossReference, Footnote, Letter, Person, Revision, Term, Volume
from tests.conftest import SEED_CARTER, SEED_REAGAN, TEI_QUEBEC, TEI_V33

V33 = "frus1969-76v33"
WASHINGTON = ZoneInfo("America/New_York")


def load(*paths, identifier="", **options):
    result = import_paths(list(paths), identifier=identifier, **options)
    assert not result.failures, result.failures
    return result.reports


def letter_193():
    return next(letter for letter in parse_tei(TEI_V33).letters if letter.number == 193)


@pytest.fixture(scope="module")
def both():
    text, _ = parse_text_document(SEED_CARTER, V33)
    return text, letter_193()


class TestTextAndTeiAgree:
    """The seed 000 text export and the TEI of d193 are the same letter; both paths must say so."""

    def test_number_title_pages(self, both):
        text, tei = both
        assert (tei.number, tei.title, tei.page_start, tei.page_end) == (
            text.number,
            text.title,
            text.page_start,
            text.page_end,
        )
        assert (tei.number, tei.page_start, tei.page_end) == (193, 807, 808)

    def test_body_text_and_page_breaks(self, both):
        text, tei = both
        assert tei.body_text == text.body_text
        assert tei.page_breaks == text.page_breaks

    def test_footnotes(self, both):
        text, tei = both
        assert [(f.number, f.text, f.anchor) for f in tei.footnotes] == [
            (f.number, f.text, f.anchor) for f in text.footnotes
        ]
        assert [f.kind for f in tei.footnotes] == ["source", "editorial"]

    def test_sources(self, both):
        text, tei = both
        parts = [(s.footnote_number, s.repository, s.collection, s.box, s.folder) for s in tei.sources]
        assert parts == [(s.footnote_number, s.repository, s.collection, s.box, s.folder) for s in text.sources]


@pytest.mark.django_db
class TestVolumeImport:
    def test_v33_excerpt(self):
        [report] = load(TEI_V33)
        assert report.created == list(range(188, 199))
        volume = Volume.objects.get(identifier=V33)
        assert volume.title == "Foreign Relations of the United States, 1969–1976, Volume XXXIII, SALT II, 1972–1980"
        assert volume.year_published == 2013
        assert volume.editors == [
            {"name": "Erin R. Mahan", "role": "primary"},
            {"name": "Adam M. Howard", "role": "general"},
        ]
        assert Footnote.objects.filter(letter__volume=volume).count() == 41
        assert Footnote.objects.filter(letter__volume=volume, kind="source").count() == 11
        assert Person.objects.count() == 140
        assert Term.objects.filter(volume=volume).count() == 167
        assert volume.sources_consulted.count() == 82
        assert volume.sources_consulted.filter(
            repository="Jimmy Carter Presidential Library", collection="National Security Affairs, Staff Material"
        ).exists()
        assert list(Letter.objects.filter(date_min__isnull=True).values_list("number", flat=True)) == [190, 192]
        carter = Person.objects.get(identifiers__local_id="p_CJ_2")
        assert carter.display_name == "Jimmy Carter"
        assert carter.description.startswith("President of the United States from January 20, 1977")
        d193 = Letter.objects.get(volume=volume, number=193)
        assert d193.date_min == datetime.datetime(1978, 1, 25, tzinfo=WASHINGTON)
        assert (d193.place, d193.classification) == ("Washington", "No classification marking")
        assert sorted(
            d193.letter_people.filter(role__in=["sender", "recipient"]).values_list("role", "person__display_name")
        ) == [
            ("recipient", "Leonid I. Brezhnev"),
            ("sender", "Jimmy Carter"),
        ]
        assert set(d193.terms.values_list("term", flat=True)) >= {"SALT", "USSR", "US", "MIRV"}
        # d194 footnote 2 points at footnote 2 of d192, which this excerpt has: resolved.
        reference = CrossReference.objects.get(letter__number=194, target_number=192)
        assert (reference.target_footnote, reference.target.number) == (2, 192)

    def test_quebec_excerpt(self):
        [report] = load(TEI_QUEBEC)
        assert report.created == list(range(1, 9))
        volume = Volume.objects.get(identifier="frus1944Quebec")
        assert Footnote.objects.filter(letter__volume=volume).count() == 28
        assert Footnote.objects.filter(letter__volume=volume, number=0, kind="source").count() == 8
        d1 = Letter.objects.get(volume=volume, number=1)
        assert d1.title == "Prime Minister Churchill to President Roosevelt"
        assert d1.doc_type == "telegram"
        assert d1.date_min == datetime.datetime(1944, 3, 18, tzinfo=WASHINGTON)
        assert sorted(d1.letter_people.values_list("role", "person__display_name")) == [
            ("recipient", "Roosevelt"),
            ("sender", "Churchill"),
        ]
        assert Person.objects.count() == 2  # Churchill and Roosevelt, one each across 8 telegrams

    def test_reimport_writes_nothing(self):
        load(TEI_V33)
        revisions = Revision.objects.count()
        with CaptureQueriesContext(connection) as queries:
            [report] = load(TEI_V33)
        writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert writes == []
        assert report.unchanged == list(range(188, 199))
        assert "0 created, 0 updated, 11 unchanged" in report.summary()
        assert Revision.objects.count() == revisions

    def test_tei_enriches_a_letter_imported_from_text(self):
        load(SEED_CARTER, identifier=V33)
        text_letter = Letter.objects.get(number=193)
        carter = Person.objects.get(display_name="Jimmy Carter")
        gromyko = Person.objects.get(display_name="Gromyko")
        [report] = load(TEI_V33)
        assert report.updated[193]
        assert Letter.objects.filter(volume__identifier=V33).count() == 11
        letter = Letter.objects.get(number=193)
        assert letter.pk == text_letter.pk
        assert letter.date_min == datetime.datetime(1978, 1, 25, tzinfo=WASHINGTON)
        # The text import's people are the persons list's, enriched, not duplicated.
        carter.refresh_from_db()
        assert carter.description.startswith("President of the United States")
        gromyko.refresh_from_db()
        assert gromyko.display_name == "Andrei A. Gromyko"
        assert Person.objects.filter(match_key="jimmy carter").count() == 1

    def test_text_export_does_not_downgrade_the_master_file(self):
        load(TEI_V33)
        before = Letter.objects.get(number=193)
        [report] = load(SEED_CARTER, identifier=V33)
        after = Letter.objects.get(number=193)
        assert (after.date_min, after.body, after.place) == (before.date_min, before.body, before.place)
        assert report.conflicts == []

    def test_editor_correction_conflicts_with_a_changed_release(self, tmp_path):
        load(TEI_V33)
        Letter.objects.filter(number=195).update(place="Moscow")  # the README's slip, corrected by an editor
        changed = tmp_path / "v33.xml"
        xml = TEI_V33.read_text(encoding="utf-8")
        d195 = xml.index('xml:id="d195"')
        place = xml.index("<placeName>Washington</placeName>", d195)
        changed.write_text(
            xml[:place] + "<placeName>Washington, D.C.</placeName>" + xml[place + 34 :], encoding="utf-8"
        )
        [report] = load(changed)
        assert Letter.objects.get(number=195).place == "Moscow"
        assert [(c.number, c.field, c.editor_value, c.import_value) for c in report.conflicts] == [
            (195, "place", "Moscow", "Washington, D.C.")
        ]
        [report] = load(changed, force=True)
        assert Letter.objects.get(number=195).place == "Washington, D.C."
        assert Revision.objects.filter(letter__number=195, origin=Revision.Origin.FORCED_IMPORT).count() == 1

    def test_broken_volume_is_rolled_back(self, tmp_path):
        broken = tmp_path / "v33.xml"
        xml = TEI_V33.read_text(encoding="utf-8")
        cut = xml.index('<div type="document" n="196"')
        broken.write_text(xml[:cut] + "<p>unclosed", encoding="utf-8")
        result = import_paths([broken])
        assert result.reports == []
        [(label, why)] = result.failures
        assert why.startswith(f"{broken}:")
        assert Volume.objects.count() == 0
        assert Letter.objects.count() == 0

    def test_directory_with_one_bad_volume(self, tmp_path):
        shutil.copy(TEI_QUEBEC, tmp_path / "quebec.xml")
        (tmp_path / "v33.xml").write_text(
            TEI_V33.read_text(encoding="utf-8").replace('n="194" xml:id="d194"', 'n="one-ninety-four" xml:id="d194"'),
            encoding="utf-8",
        )
        out, err = StringIO(), StringIO()
        with pytest.raises(CommandError, match="1 of 2 volumes failed"):
            call_command("import_volume", str(tmp_path), "--publish", stdout=out, stderr=err)
        assert "frus1944Quebec: 8 created" in out.getvalue()
        assert f"FAILED {tmp_path / 'v33.xml'}: {tmp_path / 'v33.xml'}:" in err.getvalue()
        assert Letter.objects.published().count() == 8
        assert not Volume.objects.filter(identifier=V33).exists()

    def test_hostile_xml_is_refused(self, tmp_path):
        hostile = tmp_path / "xxe.xml"
        hostile.write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
            '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body><p>&secret;</p></body></text></TEI>\n',
            encoding="utf-8",
        )
        result = import_paths([hostile])
        [(_, why)] = result.failures
        assert why.startswith(f"{hostile}:")
        assert "root:" not in why
        assert Volume.objects.count() == 0

    def test_persons_across_volumes_uncertain_match_is_flagged(self):
        load(SEED_REAGAN, identifier="frus1981-88v04")  # knows "Gromyko" by surname only
        load(TEI_V33)
        andrei = Person.objects.get(identifiers__local_id="p_GAA_1")
        assert andrei.display_name == "Andrei A. Gromyko"
        assert andrei.needs_review
        assert andrei.possible_duplicate_of == Person.objects.get(display_name="Gromyko")


@pytest.mark.django_db
class TestEditorsWorkOnVolumeRecords:
    def test_a_new_release_changing_a_date_updates_it(self, tmp_path):
        load(TEI_V33)
        changed = tmp_path / "v33.xml"
        changed.write_text(
            TEI_V33.read_text(encoding="utf-8").replace('<date when="1978-01-25">', '<date when="1978-01-26">'),
            encoding="utf-8",
        )
        [report] = load(changed)
        assert report.conflicts == []
        assert report.updated[193] == ["date_max", "date_min"]
        assert Letter.objects.get(number=193).date_min == datetime.datetime(1978, 1, 26, tzinfo=WASHINGTON)

    def test_unchanged_reimport_keeps_editors_changes_to_people_terms_and_volume(self):
        load(TEI_V33)
        Person.objects.filter(identifiers__local_id="p_CFC3_1").update(display_name="Frank Carlucci")
        Term.objects.filter(xml_id="t_SALT_1").update(expansion="Strategic Arms Limitation Talks (edited)")
        Volume.objects.filter(identifier=V33).update(title="SALT II, 1972–1980 (edited)")
        with CaptureQueriesContext(connection) as queries:
            [report] = load(TEI_V33)
        writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert writes == []
        assert Person.objects.get(identifiers__local_id="p_CFC3_1").display_name == "Frank Carlucci"
        assert Term.objects.get(xml_id="t_SALT_1").expansion == "Strategic Arms Limitation Talks (edited)"
        assert Volume.objects.get(identifier=V33).title == "SALT II, 1972–1980 (edited)"
        assert report.conflicts == []

    def test_a_changed_release_meeting_an_edited_volume_title_is_a_conflict(self, tmp_path):
        load(TEI_V33)
        Volume.objects.filter(identifier=V33).update(title="Edited title")
        changed = tmp_path / "v33.xml"
        changed.write_text(
            TEI_V33.read_text(encoding="utf-8").replace(
                "SALT II, 1972–1980</title>", "SALT II, 1972–1980, rev.</title>", 1
            ),
            encoding="utf-8",
        )
        [report] = load(changed)
        assert Volume.objects.get(identifier=V33).title == "Edited title"
        assert [(c.label, c.field) for c in report.conflicts] == [("volume", "title")]
        assert "  volume: conflict on title: editor's value kept (--force to take the import's)" in report.details()


@pytest.mark.django_db
def test_duplicate_note_numbers_fail_that_volume_only(tmp_path):
    xml = TEI_QUEBEC.read_text(encoding="utf-8")
    bad = tmp_path / "a_bad.xml"
    bad.write_text(re.sub(r'n="3"(\s+)xml:id="d1fn3"', r'n="2"\1xml:id="d1fn3"', xml), encoding="utf-8")
    shutil.copy(TEI_V33, tmp_path / "b_good.xml")
    result = import_paths([tmp_path])
    [(label, why)] = result.failures
    line = xml[: xml.index('xml:id="d1fn3"')].count("\n") + 1  # lxml reports where the start tag ends
    assert why == f'{bad}:{line}: expected each note of a document to have its own n, found n="2" twice'
    assert [r.volume for r in result.reports] == [V33]
    assert not Volume.objects.filter(identifier="frus1944Quebec").exists()
