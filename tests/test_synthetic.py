"""The synthetic FRUS (``catalog.synthetic``): deterministic, FRUS-shaped, and imported by the real importer."""

import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from catalog.ingest import safe_xml
from catalog.ingest.citations import parse_source_note
from catalog.ingest.records import CROSS_REFERENCE, SOURCE_NOTE
from catalog.ingest.tei_parser import is_tei, parse_tei
from catalog.synthetic import generate_corpus
from catalog.synthetic.generator import (
    HEADING_TYPES,
    MAX_DOCUMENTS,
    MIN_DOCUMENTS,
    VolumeSlot,
    VolumeWriter,
    make_population,
    plan_volumes,
    word_table,
)
from catalog.synthetic.wordlist import read_table
from catalog.vocabulary import DOC_TYPES, is_volume_identifier

WORD_IN_TWO = re.compile(r"([A-Za-z]+)<pb [^>]*/>([A-Za-z]+)")


def files(directory):
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Two volumes of 15 documents (seed 1): the corpus the import tests load."""
    out = tmp_path_factory.mktemp("small")
    return out, generate_corpus(out, 2, 1, documents=15)


@pytest.fixture(scope="module")
def mid(tmp_path_factory):
    """Four volumes of 200 documents (seed 3), read with the parser only."""
    out = tmp_path_factory.mktemp("mid")
    manifest = generate_corpus(out, 4, 3, documents=200)
    parsed = {}
    for volume in manifest.volumes:
        result = parse_tei(volume.path)
        parsed[volume.identifier] = (result.volume, list(result.letters))
    return out, manifest, parsed


# -- determinism and the arguments ------------------------------------------------------------------
def test_same_seed_gives_identical_bytes(tmp_path, small):
    out, manifest = small
    generate_corpus(tmp_path, 2, 1, documents=15)
    assert files(tmp_path) == files(out)
    assert sorted(files(out)) == sorted([f"{v.identifier}.xml" for v in manifest.volumes] + ["manifest.json"])


def test_another_seed_gives_other_volumes(tmp_path, small):
    out, manifest = small
    other = generate_corpus(tmp_path, 2, 2, documents=15)
    assert [v.identifier for v in other.volumes] != [v.identifier for v in manifest.volumes]
    same_name = set(files(tmp_path)) & set(files(out)) - {"manifest.json"}
    assert all(files(tmp_path)[name] != files(out)[name] for name in same_name)


def test_documents_fixes_the_documents_of_every_volume(tmp_path):
    manifest = generate_corpus(tmp_path, 3, 9, documents=4)
    assert [v.documents for v in manifest.volumes] == [4, 4, 4]
    for volume in manifest.volumes:
        text = Path(volume.path).read_text(encoding="utf-8")
        assert text.count('<div type="document"') == 4
    assert manifest.documents == 12


def test_volumes_without_documents_hold_300_to_1500_and_unique_real_shaped_identifiers():
    plan = plan_volumes(700, 5, None)
    assert all(MIN_DOCUMENTS <= slot.documents <= MAX_DOCUMENTS for slot in plan)
    assert len({slot.documents for slot in plan}) > 300  # drawn per volume
    identifiers = [slot.identifier for slot in plan]
    assert len(set(identifiers)) == 700
    assert all(is_volume_identifier(i) and re.match(r"^frus\d{4}(-\d{2})?(v\d{2})?(p\d)?$", i) for i in identifiers)
    years = [year for slot in plan for year in (slot.first_year, slot.last_year)]
    assert min(years) == 1861 and max(years) == 1991
    # Taken in runs of one era (never a run of one), so that even two volumes share people.
    # (The last volume may open a run the count cuts short.)
    eras = [re.match(r"frus\d{4}(-\d{2})?", slot.identifier).group(0) for slot in plan]
    assert all(eras[i] in (eras[i - 1], eras[i + 1]) for i in range(1, 699))
    assert plan_volumes(2, 5, None)[1].identifier.startswith(eras[0])


def test_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="volumes must be at least 1"):
        generate_corpus(tmp_path, 0, 1)
    with pytest.raises(ValueError, match="documents must be at least 1"):
        generate_corpus(tmp_path, 1, 1, documents=0)


def test_manifest_json_is_the_manifest(small):
    out, manifest = small
    written = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(manifest.as_dict()))
    assert [v["path"] for v in written["volumes"]] == [f"{v.identifier}.xml" for v in manifest.volumes]
    assert written["totals"]["documents"] == 30
    assert written["totals"]["footnotes"] == sum(v.footnotes for v in manifest.volumes)


# -- the words ----------------------------------------------------------------------------------------
def test_words_follow_real_frus_frequencies(mid):
    out, manifest, parsed = mid
    # The committed table cuts the real texts of fixtures/ into words and common phrases: every word
    # of them counted once.
    table = read_table()
    words = Counter()
    for unit, count in table:
        for word in unit.split():
            words[word] += count
    assert sum(words.values()) == 16441
    assert words.most_common(3) == [("the", 1132), ("of", 527), ("to", 524)]
    assert words["President"] == 44
    assert dict(table)["strategic arms"] == 8 and dict(table)["Soviet Union"] == 16

    bodies = " ".join(letter.body_text for _, letters in parsed.values() for letter in letters)
    counts = Counter(re.findall(r"[A-Za-z’'\-]+", bodies))
    total = sum(counts.values())
    # "the" is the commonest word, as in the real text (6.9 % there); "President" common.
    assert counts.most_common(1)[0][0] == "the"
    assert 0.055 < counts["the"] / total < 0.08
    assert counts["President"] > 100
    # Common phrases stay phrases: drawn word by word, "strategic arms" would hardly ever occur.
    assert bodies.count("strategic arms") > 20
    # Rare words are rare: most distinct words occur once or twice (the Zipf tail).
    once_or_twice = sum(1 for c in counts.values() if c <= 2)
    assert once_or_twice / len(counts) > 0.5
    assert len(word_table()) == 65536


# -- the shape of the volumes, read with the real parser --------------------------------------------
def test_every_heading_type_the_importer_knows_appears(mid):
    _, _, parsed = mid
    found = Counter(letter.doc_type for _, letters in parsed.values() for letter in letters)
    known = {label for _, label in DOC_TYPES} | {"correspondence", "other"}
    assert set(found) == known
    assert len(HEADING_TYPES) == len(known)


def test_parsed_counts_match_the_manifest(mid):
    _, manifest, parsed = mid
    for volume in manifest.volumes:
        record, letters = parsed[volume.identifier]
        assert len(letters) == volume.documents == 200
        assert sum(len(letter.footnotes) for letter in letters) == volume.footnotes
        assert len(record.persons) == volume.persons
        assert 100 <= volume.persons <= 600
        assert len(record.terms) == volume.terms
        assert all(3 <= len(letter.footnotes) <= 15 for letter in letters)
        assert [letter.number for letter in letters] == list(range(1, 201))
        references = [r for letter in letters for r in letter.references if r.number is not None]
        assert len(references) == volume.cross_references
        assert {r.volume for r in references} - {volume.identifier}  # some point into other volumes
        assert {r.volume for r in references} <= {v.identifier for v in manifest.volumes}


def test_dates_lie_in_the_volume_years_with_some_undated(mid):
    _, manifest, parsed = mid
    precisions = Counter()
    for volume in manifest.volumes:
        _, letters = parsed[volume.identifier]
        for letter in letters:
            precisions[letter.date_precision] += 1
            if letter.date_min:
                assert volume.first_year <= letter.date_min.year <= volume.last_year + 1
                assert 1861 <= letter.date_min.year <= 1991
    assert precisions[""] > 0  # undated (editorial notes, "undated." datelines)
    # Approximate: a range (from/to) or an editor's estimate (notBefore/notAfter), read to the day.
    spans = [
        letter
        for v in manifest.volumes
        for letter in parsed[v.identifier][1]
        if letter.date_min and letter.date_precision == "day" and letter.date_max - letter.date_min > timedelta(days=1)
    ]
    assert len(spans) > 10
    assert precisions["day"] > precisions["time"] > precisions["month"] > 0


def test_source_notes_and_footnote_kinds(mid):
    _, _, parsed = mid
    kinds = Counter(note.kind for _, letters in parsed.values() for letter in letters for note in letter.footnotes)
    assert kinds[SOURCE_NOTE] > 0 and kinds[CROSS_REFERENCE] > 0 and kinds["editorial"] > 0
    citations = [c for _, letters in parsed.values() for letter in letters for c in letter.sources]
    assert len({c.repository for c in citations}) >= 5  # one era's repositories
    assert len({(c.repository, c.box) for c in citations if c.box}) >= 300
    classified = [letter.classification for _, letters in parsed.values() for letter in letters]
    assert {"Secret", "Top Secret", "Confidential"} <= {c.split(";")[0] for c in classified}


def test_source_notes_over_the_series_cite_a_few_dozen_repositories_and_thousands_of_boxes():
    population = make_population(1)
    plan = plan_volumes(200, 1, 10)
    citations = []
    for index, slot in enumerate(plan):
        writer = VolumeWriter(slot, index, 1, plan, population)
        for _ in range(100):
            note = parse_source_note(writer.source_note())
            assert note.classification
            citations.extend(note.citations)
    repositories = Counter(c.repository for c in citations)
    assert len(repositories) >= 28
    assert repositories.most_common(1)[0][0] == "National Archives"
    assert {"Carter Library", "Truman Library", "Library of Congress, Manuscript Division"} <= set(repositories)
    assert len({(c.repository, c.box) for c in citations if c.box}) > 5000


def test_every_year_of_the_series_has_source_notes():
    population = make_population(1)
    plan = plan_volumes(2, 1, 5)
    for year in range(1861, 1992):
        slot = VolumeSlot(f"frus{year}", "", 0, 0, year, year, theme="China", documents=5)
        writer = VolumeWriter(slot, 0, 1, [slot, *plan], population)
        for _ in range(60):
            assert parse_source_note(writer.source_note()).citations


def test_page_breaks_fall_inside_words(mid):
    _, manifest, parsed = mid
    assert all(volume.page_breaks_in_words > 0 for volume in manifest.volumes)
    volume = manifest.volumes[0]
    text = Path(volume.path).read_text(encoding="utf-8")
    split = WORD_IN_TWO.findall(text)
    assert len(split) == volume.page_breaks_in_words
    joined = {a + b for a, b in split}
    _, letters = parsed[volume.identifier]
    bodies = " ".join(letter.body_text for letter in letters)
    assert all(word in bodies for word in joined)
    assert any(letter.page_breaks for letter in letters)


def test_people_recur_across_volumes_and_live_in_their_years(mid):
    _, manifest, parsed = mid
    population = {" ".join(filter(None, (p.forenames, p.surname, p.suffix))): p for p in make_population(3)}
    listed = [{person.display_name for person in parsed[v.identifier][0].persons} for v in manifest.volumes]
    assert len(listed[0] & listed[1]) > 10
    for volume, names in zip(manifest.volumes, listed, strict=True):
        for name in names:
            person = population[name]
            assert person.active_from <= volume.last_year and person.active_to >= volume.first_year


# -- the importer's safety checks ---------------------------------------------------------------------
def test_files_pass_the_importers_safety_checks(small):
    _, manifest = small
    for volume in manifest.volumes:
        safe_xml.check_prolog(volume.path)  # raises on a DOCTYPE, entities, an external subset
        assert is_tei(volume.path)
        head = Path(volume.path).read_text(encoding="utf-8")[:4096]
        assert head.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<TEI ')
        assert "<!DOCTYPE" not in head and "<!ENTITY" not in head
        assert sum(1 for _ in parse_tei(volume.path).letters) == 15


# -- imported with the real pipeline --------------------------------------------------------------------
@pytest.mark.django_db
def test_the_real_importer_loads_exactly_what_the_manifest_says(small):
    from catalog.ingest.pipeline import import_paths
    from catalog.models import CrossReference, Footnote, Letter, Person, PersonIdentifier

    out, manifest = small
    result = import_paths([out], publish=True)
    assert result.failures == []
    assert [r.volume for r in result.reports] == sorted(v.identifier for v in manifest.volumes)

    assert Letter.objects.published().count() == Letter.objects.count() == manifest.documents == 30
    assert Footnote.objects.count() == manifest.footnotes
    for volume in manifest.volumes:
        assert Letter.objects.filter(volume__identifier=volume.identifier).count() == volume.documents
        assert Footnote.objects.filter(letter__volume__identifier=volume.identifier).count() == volume.footnotes
        assert (
            PersonIdentifier.objects.filter(volume__identifier=volume.identifier, person__is_organization=False).count()
            == volume.persons
        )
    # One Person row per person of the corpus; those listed in both volumes are the same row.
    assert Person.objects.filter(is_organization=False).count() == manifest.people
    assert Person.objects.filter(is_organization=True).count() == manifest.organizations
    recurring = manifest.persons - manifest.people
    assert recurring > 0
    shared = Person.objects.filter(is_organization=False, identifiers__isnull=False)
    assert sum(1 for p in shared.distinct() if p.identifiers.values("volume").distinct().count() == 2) == recurring
    assert not Person.objects.filter(needs_review=True).exists()

    # Every cross-reference resolves, within the volume and into the other one.
    references = CrossReference.objects.filter(target_number__isnull=False)
    assert references.count() == sum(v.cross_references for v in manifest.volumes)
    assert not references.filter(target__isnull=True).exists()
    assert references.exclude(target__volume=models_f("letter__volume")).exists()

    # A page break inside a word is rejoined in the letter's text.
    rejoined = 0
    for volume in manifest.volumes:
        text = Path(volume.path).read_text(encoding="utf-8")
        for document in re.finditer(r'<div type="document" n="(\d+)"(.*?)\n</div>\n', text, re.S):
            for first, second in WORD_IN_TWO.findall(document.group(2)):
                letter = Letter.objects.get(volume__identifier=volume.identifier, number=int(document.group(1)))
                assert first + second in letter.body_text
                rejoined += 1
    assert rejoined == sum(v.page_breaks_in_words for v in manifest.volumes) > 0


def models_f(name):
    from django.db.models import F

    return F(name)
