"""The loader: one transaction per volume, idempotent upserts, three-way merge with editors' work."""

import pytest

from catalog.ingest.pipeline import import_paths
from catalog.ingest.records import ParseError
from catalog.models import (
    ArchivalSource,
    CrossReference,
    Footnote,
    Letter,
    LetterPerson,
    Person,
    Revision,
    SourceCitation,
)
from tests.conftest import SEED_CARTER, SEED_REAGAN

V33 = "frus1969-76v33"
V04 = "frus1981-88v04"
pytestmark = pytest.mark.django_db

COUNTED = [Letter, Footnote, Person, LetterPerson, ArchivalSource, SourceCitation, CrossReference, Revision]


def counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


def load(paths, identifier, **options):
    result = import_paths(paths, identifier=identifier, **options)
    assert not result.failures, result.failures
    [report] = result.reports
    return report


def copy_with(tmp_path, source, old, new, name=None):
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / (name or source.name)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_first_import_writes_the_letter_and_everything_it_cites():
    report = load([SEED_CARTER], V33)
    assert report.created == [193]
    letter = Letter.objects.get(volume__identifier=V33, number=193)
    assert letter.status == Letter.Status.DRAFT
    assert list(letter.footnotes.values_list("number", "kind", "anchor")) == [(1, "source", None), (2, "editorial", 72)]
    assert letter.body_text[:72].endswith("January 12.")
    assert sorted(letter.letter_people.values_list("role", "person__display_name", "name_as_written")) == [
        ("mentioned", "Dobrynin", "Ambassador Dobrynin"),
        ("mentioned", "Gromyko", "Foreign Minister Gromyko"),
        ("recipient", "Brezhnev", "Soviet General Secretary Brezhnev"),
        ("sender", "Jimmy Carter", "President Carter"),
    ]
    [source] = ArchivalSource.objects.all()
    assert (source.repository, source.collection, source.box, source.folder) == (
        "Carter Library",
        "National Security Affairs, Staff Material, Office",
        "69",
        "USSR: Brezhnev-Carter Correspondence: 1–12/78",
    )
    assert list(letter.source_citations.values_list("footnote__number", "is_source_note")) == [(1, True), (2, False)]
    assert list(letter.references.values_list("footnote__number", "target_volume", "target_number")) == [
        (1, "frus1977-80v06", None),
        (2, "frus1977-80v06", None),
    ]
    assert report.summary() == (
        "frus1969-76v33: 1 created, 0 updated, 0 unchanged; 2 footnotes, 4 people (4 new), "
        "2 source citations, 1 new archival sources, 2 references (0 unresolved)"
    )


def test_reimport_is_idempotent_and_says_so():
    load([SEED_CARTER], V33, publish=True)
    before = counts()
    report = load([SEED_CARTER], V33, publish=True)
    assert counts() == before
    assert (report.created, report.updated, report.unchanged) == ([], {}, [193])
    assert report.summary().startswith("frus1969-76v33: 0 created, 0 updated, 1 unchanged")


def test_changed_file_updates_its_letter(tmp_path):
    load([SEED_CARTER], V33)
    changed = copy_with(tmp_path, SEED_CARTER, "made only a few statements", "made just a few statements")
    report = load([changed], V33)
    assert report.updated == {193: ["footnotes", "sources"]} or report.updated == {193: ["footnotes"]}
    footnote = Footnote.objects.get(letter__number=193, number=2)
    assert "made just a few statements" in footnote.text
    revision = Revision.objects.filter(origin=Revision.Origin.IMPORT).first()
    assert "footnotes" in revision.changes
    assert Letter.objects.count() == 1


def test_bad_file_rolls_back_the_whole_volume(tmp_path):
    good = tmp_path / SEED_REAGAN.name
    good.write_bytes(SEED_REAGAN.read_bytes())
    copy_with(tmp_path, SEED_CARTER, "January 12.2 I", "January 12. I")
    before = counts()
    result = import_paths([tmp_path], identifier=V33)
    assert result.reports == []
    [(label, why)] = result.failures
    assert "footnote marker 2 not found" in why
    assert why.startswith(str(tmp_path / SEED_CARTER.name) + ":")
    assert counts() == before


def test_failure_while_writing_rolls_back(monkeypatch):
    from catalog.ingest import loader

    original = loader.VolumeLoader.load_letter
    calls = []

    def fail_on_second(self, record):
        calls.append(record.number)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(self, record)

    monkeypatch.setattr(loader.VolumeLoader, "load_letter", fail_on_second)
    with pytest.raises(RuntimeError):
        import_paths([SEED_CARTER, SEED_REAGAN], identifier=V04)
    assert Letter.objects.count() == 0
    assert Person.objects.count() == 0


def test_dry_run_reports_and_writes_nothing():
    report = load([SEED_REAGAN], V04, dry_run=True)
    assert report.dry_run
    assert report.created == [328]
    assert report.summary().startswith("[dry run] frus1981-88v04: 1 created")
    assert counts() == dict.fromkeys(counts(), 0)


def test_publish_flag_publishes():
    load([SEED_CARTER], V33, publish=True)
    letter = Letter.objects.get(number=193)
    assert letter.status == Letter.Status.PUBLISHED
    assert letter.published_at is not None


def test_people_shared_across_volumes_are_one_person():
    load([SEED_CARTER], V33)
    report = load([SEED_REAGAN], V04)
    gromyko = Person.objects.get(display_name="Gromyko")
    assert sorted(gromyko.letter_links.values_list("letter__number", flat=True)) == [193, 328]
    assert report.people_matched == 1
    assert Person.objects.count() == 8


def test_cross_references_resolve_when_the_target_arrives(tmp_path):
    load([SEED_REAGAN], V04)
    reference = CrossReference.objects.get(target_number=310)
    assert reference.target is None
    target = tmp_path / "310.txt"
    target.write_text(
        "310. Letter From Soviet General Secretary Chernenko to President Reagan\n\nDear Mr. President:\n\n"
        "We agree.\n\nK. Chernenko\n",
        encoding="utf-8",
    )
    report = load([target], V04)
    reference.refresh_from_db()
    assert reference.target == Letter.objects.get(number=310)
    assert report.unresolved_references == 0  # the new letter cites nothing
    assert CrossReference.objects.filter(letter__number=328, target__isnull=True).count() == 5


def test_editor_correction_survives_a_changed_import(tmp_path):
    load([SEED_CARTER], V33)
    letter = Letter.objects.get(number=193)
    letter.title = "Letter From President Carter to General Secretary Brezhnev (corrected)"
    letter.save()
    changed = copy_with(tmp_path, SEED_CARTER, "Soviet General Secretary Brezhnev1", "Soviet Leader Brezhnev1")
    report = load([changed], V33)
    letter.refresh_from_db()
    assert letter.title == "Letter From President Carter to General Secretary Brezhnev (corrected)"
    [conflict] = [c for c in report.conflicts if c.field == "title"]
    assert (conflict.editor_value, conflict.import_value) == (
        "Letter From President Carter to General Secretary Brezhnev (corrected)",
        "Letter From President Carter to Soviet Leader Brezhnev",
    )
    assert any("conflict on title: editor's value kept" in line for line in report.details())
    assert Revision.objects.filter(letter=letter, origin=Revision.Origin.CONFLICT).exists()


def test_force_takes_the_import_value_and_records_it(tmp_path):
    load([SEED_CARTER], V33)
    Letter.objects.filter(number=193).update(title="Edited")
    changed = copy_with(tmp_path, SEED_CARTER, "Soviet General Secretary Brezhnev1", "Soviet Leader Brezhnev1")
    report = load([changed], V33, force=True)
    assert Letter.objects.get(number=193).title == "Letter From President Carter to Soviet Leader Brezhnev"
    assert report.conflicts[0].forced
    forced = Revision.objects.get(origin=Revision.Origin.FORCED_IMPORT)
    assert forced.changes["title"] == ["Edited", "Letter From President Carter to Soviet Leader Brezhnev"]


def test_unchanged_import_leaves_an_editor_correction_alone():
    load([SEED_CARTER], V33)
    Letter.objects.filter(number=193).update(classification="Confidential")
    report = load([SEED_CARTER], V33)
    assert report.unchanged == [193]
    assert report.conflicts == []
    assert Letter.objects.get(number=193).classification == "Confidential"


def test_text_volume_needs_an_identifier():
    with pytest.raises(ParseError, match="plain-text documents need --volume"):
        import_paths([SEED_CARTER])


def test_publish_does_not_republish_a_letter_an_editor_withdrew():
    load([SEED_CARTER], V33, publish=True)
    Letter.objects.filter(number=193).update(status=Letter.Status.DRAFT)
    report = load([SEED_CARTER], V33, publish=True)
    assert Letter.objects.get(number=193).status == Letter.Status.DRAFT
    assert report.published == 0


def test_history_outlives_a_deleted_letter():
    load([SEED_CARTER], V33)
    Letter.objects.get(number=193).delete()
    [revision] = Revision.objects.all()
    assert (revision.letter, revision.letter_label) == (None, "frus1969-76v33 d193")


def test_two_names_for_one_person_do_not_make_a_false_conflict():
    load([SEED_REAGAN], V04)
    # An editor decides "Gromyko" and "George Shultz" are one person (absurd, but it exercises the merge path).
    shultz = Person.objects.get(display_name="George Shultz")
    gromyko = Person.objects.get(display_name="Gromyko")
    gromyko.identifiers.update(person=shultz)
    gromyko.letter_links.all().delete()
    gromyko.delete()
    report = load([SEED_REAGAN], V04)
    assert report.conflicts == []
    assert (report.unchanged, report.updated) == ([328], {})
    assert list(Letter.objects.get(number=328).letter_people.filter(person=shultz).values_list("role", flat=True)) == [
        "mentioned"
    ]


# -- editors' work against later imports (each of these once lost or refused an editor's work) ------


def test_a_footnote_change_keeps_the_editors_correction_of_a_citation(tmp_path):
    load([SEED_CARTER], V33)
    citation = SourceCitation.objects.get(letter__number=193, footnote__number=1)
    citation.raw = "Carter Library, NSA, Staff Material, Office, Box 69 (corrected by an editor)"
    citation.save()
    changed = copy_with(tmp_path, SEED_CARTER, "in all candor", "in all candour")
    report = load([changed], V33)
    assert report.updated == {193: ["footnotes"]}
    assert SourceCitation.objects.get(letter__number=193, footnote__number=1).raw.endswith("(corrected by an editor)")
    assert "candour" in Footnote.objects.get(letter__number=193, number=2).text


def test_a_footnote_change_keeps_the_editors_retargeted_reference(tmp_path):
    load([SEED_REAGAN], V04)
    CrossReference.objects.filter(letter__number=328, footnote__number=4).update(target_number=309)
    changed = copy_with(tmp_path, SEED_REAGAN, "Matlock made some revisions", "Matlock made a few revisions")
    report = load([changed], V04)
    assert report.updated == {328: ["footnotes"]}
    assert CrossReference.objects.get(letter__number=328, footnote__number=4).target_number == 309


def test_an_editor_who_blanked_a_field_is_asked_not_overruled(tmp_path):
    load([SEED_CARTER], V33)
    Letter.objects.filter(number=193).update(classification="")
    changed = copy_with(tmp_path, SEED_CARTER, "No classification marking.", "Confidential.")
    report = load([changed], V33)
    assert Letter.objects.get(number=193).classification == ""
    assert [(c.field, c.editor_value, c.import_value) for c in report.conflicts] == [
        ("classification", "", "Confidential")
    ]


def test_resolving_references_costs_the_same_however_many_are_pending(tmp_path, django_assert_max_num_queries):
    load([SEED_REAGAN], V04)
    letter = Letter.objects.get(number=328)
    CrossReference.objects.bulk_create(
        CrossReference(letter=letter, target_volume="frus1977-80v06", target_number=n) for n in range(1, 201)
    )
    target = tmp_path / "310.txt"
    target.write_text(
        "310. Letter From Soviet General Secretary Chernenko to President Reagan\n\nWe agree.\n", encoding="utf-8"
    )
    from catalog.ingest.loader import VolumeLoader
    from catalog.ingest.text_parser import parse_text_volume

    loader = VolumeLoader(parse_text_volume([target], V04))
    loader.run()
    CrossReference.objects.filter(target_number=310).update(target=None)
    with django_assert_max_num_queries(3):  # find, write, count
        loader.resolve_references()
    assert CrossReference.objects.get(target_number=310).target.number == 310
