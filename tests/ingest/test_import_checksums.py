"""Issue 13: unchanged files and documents skipped by checksum, new letters written in batches,
without weakening the three-way merge."""

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.ingest import loader
from catalog.ingest.pipeline import import_paths
from catalog.ingest.records import UnchangedDocument
from catalog.ingest.tei_parser import parse_tei
from catalog.models import CrossReference, Letter, LetterPerson, Revision, SourceCitation, Volume
from tests.conftest import TEI_QUEBEC, TEI_V33

V33_NUMBERS = list(range(188, 199))
EDITED = "A sentence added in the corrected release. "


def load(*paths, **options):
    result = import_paths(list(paths), **options)
    assert not result.failures, result.failures
    [report] = result.reports
    return report


def edited_copy(tmp_path, number=195, source=TEI_V33):
    """The v33 excerpt with one sentence added to the first paragraph of document ``number``."""
    text = source.read_text(encoding="utf-8")
    start = text.index(f'<div type="document" n="{number}"')
    at = text.index("<p>", start) + len("<p>")
    path = tmp_path / source.name
    path.write_text(text[:at] + EDITED + text[at:], encoding="utf-8")
    return path


class TestParserSkipsUnchangedDocuments:
    @pytest.mark.parametrize("source", [TEI_V33, TEI_QUEBEC])
    def test_every_document_known_unchanged_is_skipped(self, source):
        first = list(parse_tei(source).letters)
        again = parse_tei(source)
        again.unchanged.update({record.number: record.source_checksum for record in first})
        skipped = list(again.letters)
        assert all(isinstance(item, UnchangedDocument) for item in skipped)
        assert [(item.number, item.source_checksum) for item in skipped] == [
            (record.number, record.source_checksum) for record in first
        ]

    @pytest.mark.parametrize("source", [TEI_V33, TEI_QUEBEC])
    def test_a_document_read_after_skipped_ones_is_the_same_record(self, source):
        """Skipping a document still moves the stream to the page it ends on."""
        first = list(parse_tei(source).letters)
        for record in first[1:]:
            again = parse_tei(source)
            again.unchanged.update({r.number: r.source_checksum for r in first if r.number != record.number})
            [read] = [item for item in again.letters if not isinstance(item, UnchangedDocument)]
            assert dataclasses.asdict(read) == dataclasses.asdict(record)

    def test_the_digest_changes_with_the_document_only(self, tmp_path):
        before = {r.number: r.source_checksum for r in parse_tei(TEI_V33).letters}
        after = {r.number: r.source_checksum for r in parse_tei(edited_copy(tmp_path)).letters}
        assert [n for n in V33_NUMBERS if before[n] != after[n]] == [195]


@pytest.mark.django_db
class TestReimport:
    def test_an_unchanged_file_is_skipped_by_checksum_with_few_queries(self):
        load(TEI_V33, publish=True)
        with CaptureQueriesContext(connection) as queries:
            report = load(TEI_V33, publish=True)
        assert (report.created, report.updated, report.unchanged) == ([], {}, V33_NUMBERS)
        assert report.skipped_by_checksum == 11
        assert report.summary().startswith(
            "frus1969-76v33: 0 created, 0 updated, 11 unchanged (11 skipped by checksum)"
        )
        assert report.written_ids == set()
        assert len(queries) <= 6  # the volume, its letters (2), publishing the drafts (savepoint, UPDATE)

    def test_unchanged_file_still_publishes_drafts(self):
        load(TEI_V33)
        report = load(TEI_V33, publish=True)
        assert (report.skipped_by_checksum, report.published) == (11, 11)
        assert set(Letter.objects.values_list("status", flat=True)) == {Letter.Status.PUBLISHED}

    def test_a_deleted_letter_makes_the_file_load_again(self):
        load(TEI_V33)
        Letter.objects.get(number=190).delete()
        report = load(TEI_V33)
        assert (report.created, report.skipped_by_checksum) == ([190], 10)
        assert Letter.objects.count() == 11

    def test_changed_release_reads_only_the_changed_document(self, tmp_path):
        load(TEI_V33, publish=True)
        report = load(edited_copy(tmp_path), publish=True)
        assert report.updated == {195: ["body", "footnotes"]}  # the footnotes move with the text
        assert report.skipped_by_checksum == 10
        assert report.unchanged == [n for n in V33_NUMBERS if n != 195]
        letter = Letter.objects.get(number=195)
        assert report.written_ids == {letter.pk}
        assert EDITED in letter.body_text
        assert Revision.objects.filter(letter=letter, origin=Revision.Origin.IMPORT).count() == 2

    def test_an_editors_change_is_kept_when_its_document_is_skipped(self, tmp_path):
        load(TEI_V33)
        Letter.objects.filter(number=190).update(title="Corrected by an editor")
        report = load(edited_copy(tmp_path))
        assert report.skipped_by_checksum == 10
        assert Letter.objects.get(number=190).title == "Corrected by an editor"

    def test_an_editors_change_meets_the_imports_change_as_a_conflict(self, tmp_path):
        load(TEI_V33)
        letter = Letter.objects.get(number=195)
        letter.body = [{"tag": "p", "children": ["An editor's body."]}]
        letter.save()
        report = load(edited_copy(tmp_path))
        assert [(c.number, c.field) for c in report.conflicts] == [(195, "body")]
        assert Letter.objects.get(number=195).body_text == "An editor's body."
        # The conflict stays open: the same file is loaded again (not skipped), the conflict reported again.
        again = load(edited_copy(tmp_path))
        assert [(c.number, c.field) for c in again.conflicts] == [(195, "body")]
        assert again.skipped_by_checksum == 10
        forced = load(edited_copy(tmp_path), force=True)
        assert [(c.number, c.forced) for c in forced.conflicts] == [(195, True)]
        assert EDITED in Letter.objects.get(number=195).body_text

    def test_a_volume_conflict_is_reported_by_every_import_of_the_same_file(self, tmp_path):
        load(TEI_V33)
        Volume.objects.update(title="Edited title")
        changed = tmp_path / "v33.xml"
        changed.write_text(
            TEI_V33.read_text(encoding="utf-8").replace("SALT II, 1972–1980</title>", "SALT II, rev.</title>", 1),
            encoding="utf-8",
        )
        # The front matter changed: every document is read once; then the file is read, its documents skipped.
        for skipped in (0, 11):
            report = load(changed)
            assert [(c.label, c.field) for c in report.conflicts] == [("volume", "title")]
            assert report.skipped_by_checksum == skipped
        assert Volume.objects.get().title == "Edited title"


@pytest.mark.django_db
class TestBatches:
    def test_a_first_import_writes_each_table_once_per_batch(self, monkeypatch):
        """One INSERT (a COPY on PostgreSQL) per table per batch, whatever the number of documents."""
        written = []
        original = loader.bulk_insert

        def recorded(model, objects, **options):  # options: the letters' staging table on PostgreSQL
            written.append((model._meta.db_table, len(objects)))
            return original(model, objects, **options)

        monkeypatch.setattr(loader, "bulk_insert", recorded)
        load(TEI_V33)
        assert written == [
            ("catalog_letter", 11),
            ("catalog_footnote", 41),
            ("catalog_letterperson", LetterPerson.objects.count()),
            ("catalog_sourcecitation", SourceCitation.objects.count()),
            ("catalog_crossreference", CrossReference.objects.count()),
            ("catalog_letter_terms", Letter.terms.through.objects.count()),
            ("catalog_revision", 11),
        ]
        written.clear()
        monkeypatch.setattr(loader, "BATCH_SIZE", 5)
        load(TEI_QUEBEC)
        assert [count for table, count in written if table == "catalog_letter"] == [5, 3]

    def test_batches_of_two_write_the_same_rows(self, monkeypatch, tmp_path):
        load(TEI_V33)
        whole = {
            letter.number: (letter.body_text, letter.footnotes.count(), letter.letter_people.count())
            for letter in Letter.objects.all()
        }
        Volume.objects.update(import_checksum="")
        for letter in Letter.objects.all():
            letter.revisions.all().delete()
            letter.delete()
        monkeypatch.setattr(loader, "BATCH_SIZE", 2)
        report = load(TEI_V33)
        assert report.created == V33_NUMBERS
        batched = {
            letter.number: (letter.body_text, letter.footnotes.count(), letter.letter_people.count())
            for letter in Letter.objects.all()
        }
        assert batched == whole

    def test_a_refusal_in_a_batch_names_its_document(self, monkeypatch):
        """The database refuses one letter of a batch (here a negative page, against the column's
        CHECK): the batch is written again letter by letter, the refusal names the document, and
        the volume is rolled back whole."""
        original = loader.VolumeLoader.new_values

        def negative_page_for_192(self, record):
            values = original(self, record)
            return {**values, "page_start": -1} if record.number == 192 else values

        monkeypatch.setattr(loader.VolumeLoader, "new_values", negative_page_for_192)
        result = import_paths([TEI_V33])
        [(what, why)] = result.failures
        assert why.startswith(f"{TEI_V33}:753: document 192 could not be stored: ")
        assert Letter.objects.count() == 0 and Volume.objects.count() == 0
