"""The scale databases' replication (bench/build_scale_db.py ``clone_volume``/``replicate``): a
cloned volume is the original's twin under its own identifier, published, found by search and
counted in the facets as the original is. PostgreSQL only (the stored search columns)."""

import sys
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.http import QueryDict

BENCH = Path(__file__).resolve().parent.parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import build_scale_db  # noqa: E402

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored search columns: PostgreSQL")

# What the clone copies, per table, with how its rows belong to a volume.
PER_VOLUME = {
    "catalog_chapter": "volume_id = %(v)s",
    "catalog_term": "volume_id = %(v)s",
    "catalog_personidentifier": "volume_id = %(v)s",
    "catalog_volume_sources_consulted": "volume_id = %(v)s",
    "catalog_letter": "volume_id = %(v)s",
}
PER_LETTER = (
    "catalog_letter_terms",
    "catalog_footnote",
    "catalog_crossreference",
    "catalog_letterperson",
    "catalog_sourcecitation",
    "catalog_letterproblem",
    "catalog_revision",
)


def counts(volume_id: int) -> dict[str, int]:
    where = dict(PER_VOLUME)
    for table in PER_LETTER:
        where[table] = "letter_id IN (SELECT id FROM catalog_letter WHERE volume_id = %(v)s)"
    found = {}
    with connection.cursor() as cursor:
        for table, condition in where.items():
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {condition}", {"v": volume_id})  # noqa: S608
            found[table] = cursor.fetchone()[0]
    return found


def facet_rows(volume: str) -> dict:
    from catalog import queries

    letter_filter = queries.LetterFilter(QueryDict(f"volume={volume}"), queryset=queries.list_letters())
    rows, total = queries.stored_facets(letter_filter)
    return {
        name: [(r["value"], r["count"]) for r in values] for name, values in rows.items() if name != "volume"
    }, total


@pytest.mark.django_db(transaction=True)
def test_clone_volume_is_the_originals_twin(import_catalog, client):
    from catalog import search
    from catalog.models import CrossReference, Footnote, Letter, Person, Volume

    original = Volume.objects.get(identifier="frus1969-76v33")
    before = counts(original.pk)
    assert before["catalog_letter"] == 11  # d188–d198 (the seed d193 among them)
    letters_before, footnotes_before = Letter.objects.count(), Footnote.objects.count()
    people_before = Person.objects.count()
    assert letters_before == 20

    with transaction.atomic(), connection.cursor() as cursor:
        clone_id, cloned = build_scale_db.clone_volume(cursor, original.pk, 2)
    assert cloned == 11
    clone = Volume.objects.get(pk=clone_id)
    assert clone.identifier == "frus1969-76v33replica2"
    assert clone.title == original.title + " (replica 2)"
    assert counts(clone.pk) == before
    assert Letter.objects.count() == 31
    assert Footnote.objects.count() == footnotes_before + before["catalog_footnote"]
    assert Person.objects.count() == people_before  # people are shared

    # Every letter has its twin: same number, title, text, people and footnotes; published.
    pairs = {
        letter.number: letter
        for letter in Letter.objects.filter(volume=clone).prefetch_related("footnotes", "letter_people")
    }
    assert set(pairs) == set(Letter.objects.filter(volume=original).values_list("number", flat=True))
    assert {letter.status for letter in pairs.values()} == {"published"}
    for letter in Letter.objects.filter(volume=original).prefetch_related("footnotes", "letter_people"):
        twin = pairs[letter.number]
        assert (twin.title, twin.body_text, twin.date_min, twin.doc_type) == (
            letter.title,
            letter.body_text,
            letter.date_min,
            letter.doc_type,
        )
        assert [(f.number, f.text) for f in twin.footnotes.all()] == [
            (f.number, f.text) for f in letter.footnotes.all()
        ]
        assert sorted((p.person_id, p.role) for p in twin.letter_people.all()) == sorted(
            (p.person_id, p.role) for p in letter.letter_people.all()
        )
    # Chapters are the clone's own.
    assert set(
        Letter.objects.filter(volume=clone, chapter__isnull=False).values_list("chapter__volume", flat=True)
    ) <= {clone.pk}

    # References inside the volume point at the clone's letters, the others where they pointed.
    for ref in CrossReference.objects.filter(letter__volume=clone, target__isnull=False):
        if ref.target_volume == clone.identifier:
            assert ref.target.volume_id == clone.pk
        else:
            assert ref.target.volume_id != original.pk

    # The stored columns are what the real reindex computes for the clone.
    def stored(ids):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, search_vector::text, facet_keys FROM catalog_letter WHERE id = ANY(%s) ORDER BY id",
                [ids],
            )
            return cursor.fetchall()

    clone_ids = sorted(letter.pk for letter in pairs.values())
    copied = stored(clone_ids)
    assert all(f"vol:{clone.pk}" in keys and f"vol:{original.pk}" not in keys for _, _, keys in copied)
    assert search.reindex_letters(clone_ids) == 11
    assert stored(clone_ids) == copied

    # The facets of the clone are the original's; search finds both.
    assert facet_rows(clone.identifier) == facet_rows(original.identifier)
    assert facet_rows(clone.identifier)[1] == 11
    found = search.search(Letter.objects.published(), "Brezhnev")
    assert found.filter(volume=clone).count() == found.filter(volume=original).count() > 0

    # The clone's pages are public.
    assert client.get(f"/volumes/{clone.identifier}/").status_code == 200
    assert client.get(f"/volumes/{clone.identifier}/d193/").status_code == 200

    # Again: nothing new.
    with transaction.atomic(), connection.cursor() as cursor:
        assert build_scale_db.clone_volume(cursor, original.pk, 2) == (None, 0)
    assert Letter.objects.count() == 31


@pytest.mark.django_db(transaction=True)
def test_replicate_clones_every_base_volume_and_resumes(import_catalog):
    from catalog.models import Footnote, Letter, LetterPerson, Volume

    base = {v.identifier: v.letters.count() for v in Volume.objects.all()}
    assert base == {"frus1969-76v33": 11, "frus1981-88v04": 1, "frus1944Quebec": 8}
    footnotes, links = Footnote.objects.count(), LetterPerson.objects.count()
    lines = []
    assert build_scale_db.replicate(2, progress=lines.append) == 40
    assert len(lines) == 6
    assert Letter.objects.count() == 60
    assert Letter.objects.published().count() == 60
    assert Footnote.objects.count() == 3 * footnotes
    assert LetterPerson.objects.count() == 3 * links
    assert {v.identifier: v.letters.count() for v in Volume.objects.all()} == {
        **base,
        **{f"{name}replica{k}": n for name, n in base.items() for k in (1, 2)},
    }
    # Replicas are never taken for base volumes; a third round adds one clone each, a rerun nothing.
    with connection.cursor() as cursor:
        assert [ident for _, ident, _ in build_scale_db.base_volumes(cursor)] == sorted(base)
    assert build_scale_db.replicate(2, progress=lines.append) == 0
    assert build_scale_db.replicate(3, progress=lines.append) == 20
    assert Letter.objects.count() == 80
