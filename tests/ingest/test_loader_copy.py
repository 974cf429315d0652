"""The batched writes of new letters (issue 13): the rows written without Django's per-value
conversion hold what Django would have written."""

import json

import pytest

from catalog.ingest.loader import _canonical_json, _canonical_parts, _checksum
from catalog.ingest.pipeline import import_paths
from catalog.models import CrossReference, Footnote, Letter, LetterPerson, Revision, SourceCitation
from tests.conftest import TEI_V33


@pytest.mark.django_db
def test_each_stored_snapshot_is_the_values_its_checksum_was_made_of():
    [report] = import_paths([TEI_V33], publish=True).reports
    assert len(report.created) == 11
    for letter in Letter.objects.all():
        snapshot = dict(letter.import_snapshot)
        assert snapshot.pop("_format") == "tei"
        assert _checksum(snapshot) == letter.import_checksum
        assert snapshot["body"] == letter.body  # the JSON columns read back as the values written
        assert snapshot["title"] == letter.title


@pytest.mark.django_db
def test_the_rows_of_a_new_letter_hold_the_values_of_its_snapshot():
    import_paths([TEI_V33], publish=True)
    letter = Letter.objects.get(number=190)
    snapshot = letter.import_snapshot
    notes = [[f.number, f.kind, f.text, f.anchor, f.content] for f in letter.footnotes.order_by("number")]
    assert notes == sorted(snapshot["footnotes"])
    people = sorted([lp.person_id, lp.role, lp.name_as_written] for lp in letter.letter_people.all())
    assert people == snapshot["people"]
    assert sorted(letter.terms.values_list("xml_id", flat=True)) == snapshot["terms"]
    # Every row points at its letter (and a citation or reference at its footnote of that letter).
    ids = set(Letter.objects.values_list("pk", flat=True))
    assert set(Footnote.objects.values_list("letter_id", flat=True)) <= ids
    assert set(LetterPerson.objects.values_list("letter_id", flat=True)) <= ids
    for model in (SourceCitation, CrossReference):
        for row in model.objects.select_related("footnote").exclude(footnote=None):
            assert row.footnote.letter_id == row.letter_id
    assert SourceCitation.objects.filter(is_source_note=True).count() > 0
    revision = Revision.objects.get(letter=letter)
    assert (revision.origin, revision.letter_label, revision.user_id) == (
        Revision.Origin.IMPORT,
        "frus1969-76v33 d190",
        None,
    )
    assert revision.comment.startswith("created by import of ")
    assert revision.created is not None and letter.created is not None and letter.modified is not None


@pytest.mark.parametrize(
    "values",
    [
        {"body": [{"tag": "p", "children": ['é \u2028 "q"', {"tag": "fn", "n": "1"}]}], "title": "T", "xml_id": "d1"},
        {"body": []},
        {"body": None, "chapter": ""},
        {"title": "no body"},
        {"abstract": 1, "body": [1]},  # a key sorting before "body": encoded whole
    ],
)
def test_the_canonical_json_made_in_parts_is_byte_for_byte_the_whole(values):
    canonical, body = _canonical_parts(values)
    assert canonical == _canonical_json(values)
    if body:
        assert json.loads(body) == values["body"]


@pytest.mark.django_db
def test_the_canonical_json_of_every_imported_letter_is_made_in_parts():
    import_paths([TEI_V33], publish=True)
    for letter in Letter.objects.all():
        snapshot = dict(letter.import_snapshot)
        snapshot.pop("_format")
        canonical, body = _canonical_parts(snapshot)
        assert canonical == _canonical_json(snapshot) and json.loads(body) == letter.body
