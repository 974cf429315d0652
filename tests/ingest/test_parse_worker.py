"""Parsing beside the writes (catalog/ingest/parse_worker.py, issue 13): the same stream as
``parse_tei``, the same import, the same errors, from a second process."""

from dataclasses import replace
from pathlib import Path

import pytest

from catalog.ingest.citations import with_ref_targets
from catalog.ingest.parse_worker import parse_tei_beside, use_parse_worker
from catalog.ingest.pipeline import import_paths
from catalog.ingest.records import LetterRecord
from catalog.ingest.tei_parser import parse_tei
from catalog.models import Footnote, Letter, Revision, Volume
from tests.conftest import TEI_QUEBEC, TEI_V33

CORPUS = Path("/work/shared/corpus")
TEI_FILES = sorted({TEI_V33, TEI_QUEBEC, *CORPUS.glob("*.xml")}, key=str)


def as_the_loader_gets_it(letter, volume: str):
    """An in-process record with what the child does beside parsing done to it (ref targets)."""
    if not isinstance(letter, LetterRecord):
        return letter
    notes = [replace(note, content=with_ref_targets(note.content, volume)) for note in letter.footnotes]
    return replace(letter, body=with_ref_targets(letter.body, volume), footnotes=notes, ref_targets_for=volume)


def stream_states(parsed):
    """Each letter with the chapters and people the loader can see when it gets it, then the end."""
    states = []
    for letter in parsed.letters:
        states.append((letter, list(parsed.volume.chapters), dict(parsed.people)))
    states.append((None, list(parsed.volume.chapters), dict(parsed.people)))
    return states


@pytest.mark.parametrize("path", TEI_FILES, ids=lambda p: p.name)
def test_the_child_gives_the_stream_parse_tei_gives(path):
    here, beside = parse_tei(path), parse_tei_beside(path)
    assert beside.volume == here.volume  # the front matter, read in this process by both
    volume = here.volume.identifier
    expected = [(as_the_loader_gets_it(letter, volume), *rest) for letter, *rest in stream_states(here)]
    assert stream_states(beside) == expected
    assert len(expected) > 1


def test_documents_the_loader_holds_unchanged_are_skipped_by_the_child_too():
    here = parse_tei(TEI_V33)
    digests = {letter.number: letter.source_checksum for letter in here.letters}
    beside = parse_tei_beside(TEI_V33)
    beside.unchanged.update({190: digests[190], 195: digests[195]})  # as the loader fills it, before reading
    kinds = {letter.number: type(letter).__name__ for letter in beside.letters}
    assert kinds == {n: "UnchangedDocument" if n in (190, 195) else "LetterRecord" for n in range(188, 199)}


def test_a_parse_error_comes_at_the_same_point_naming_the_same_line(tmp_path):
    path = tmp_path / "bad.xml"
    text = TEI_V33.read_text(encoding="utf-8")
    path.write_text(text.replace('n="193" xml:id="d193"', 'n="19x" xml:id="d193"', 1), encoding="utf-8")
    read = []
    with pytest.raises(Exception) as here:
        read.extend(letter.number for letter in parse_tei(path).letters)
    read_beside = []
    with pytest.raises(Exception) as beside:
        read_beside.extend(letter.number for letter in parse_tei_beside(path).letters)
    assert type(beside.value) is type(here.value)
    assert str(beside.value) == str(here.value)
    assert 'has n="19x": expected an integer document number' in str(here.value)
    assert read_beside == read == [188, 189, 190, 191, 192]


def test_stopping_early_ends_the_child():
    letters = parse_tei_beside(TEI_V33).letters
    assert next(letters).number == 188
    letters.close()  # the loader gave up: the child is terminated and reaped, nothing hangs


def test_small_files_are_parsed_in_process_unless_told(monkeypatch):
    assert not use_parse_worker(TEI_V33)  # 170 kB: below PARSE_WORKER_MIN_BYTES
    monkeypatch.setenv("LETTERBOOK_PARSE_WORKER_MIN_BYTES", "0")
    assert use_parse_worker(TEI_V33)


@pytest.mark.django_db
def test_an_import_parsed_beside_the_writes_loads_what_an_import_in_process_loads(monkeypatch):
    in_process = import_paths([TEI_V33], publish=True, dry_run=True)  # rolled back: the reference
    monkeypatch.setenv("LETTERBOOK_PARSE_WORKER_MIN_BYTES", "0")
    beside = import_paths([TEI_V33], publish=True)
    assert not beside.failures and not in_process.failures
    [expected], [report] = in_process.reports, beside.reports
    assert report.summary() == expected.summary().removeprefix("[dry run] ")
    assert report.created == list(range(188, 199))
    assert Letter.objects.filter(status=Letter.Status.PUBLISHED).count() == 11
    assert Footnote.objects.count() == expected.footnotes
    assert Revision.objects.count() == 11
    # Re-imported in-process, every document is found as the child's import left it.
    monkeypatch.setenv("LETTERBOOK_PARSE_WORKER_MIN_BYTES", "999999999")
    [again] = import_paths([TEI_V33], force=True).reports
    assert (again.created, again.updated, len(again.unchanged)) == ([], {}, 11)
    assert Volume.objects.get().import_letters == 11


@pytest.mark.django_db
def test_a_parse_error_beside_the_writes_leaves_nothing_written(tmp_path, monkeypatch):
    path = tmp_path / "bad.xml"
    text = TEI_V33.read_text(encoding="utf-8")
    path.write_text(text.replace('n="196" xml:id="d196"', 'n="0" xml:id="d196"', 1), encoding="utf-8")
    monkeypatch.setenv("LETTERBOOK_PARSE_WORKER_MIN_BYTES", "0")
    result = import_paths([path])
    [(label, why)] = result.failures
    assert label == str(path)
    assert why.startswith(f"{path}:") and 'has n="0": expected a document number from 1 to' in why
    assert Letter.objects.count() == 0 and Volume.objects.count() == 0
