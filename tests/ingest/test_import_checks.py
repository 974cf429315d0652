"""The first import's review-queue problems and stored search index (issue 13), written without
reading the new letters back: the same rows as the paths they replace.

- The problems of a new letter are computed from what the loader holds (``checks.body_facts`` of
  the body in hand, a count stored with the row, checked again at the volume's end); the old path
  read every letter back (``checks.refresh_letters`` without ``known``). Both must store the same
  problems and counts.
- On PostgreSQL a new letter's search vector and facet keys are computed in the INSERT that moves
  it from the staging table (``loader.staged_letters_sql``); ``search.reindex_letters`` must find
  nothing to change, and the facet counts kept by trigger must be the ones counted afresh.
"""

import pytest
from django.db import connection

from catalog import checks, search
from catalog.ingest import loader
from catalog.ingest.pipeline import import_paths
from catalog.models import Letter, LetterProblem
from catalog.synthetic import generate_corpus
from tests.conftest import SEED_REAGAN, TEI_QUEBEC, TEI_V33


def stored_problems():
    problems = sorted(LetterProblem.objects.values_list("letter_id", "kind", "detail"))
    return problems, dict(Letter.objects.values_list("pk", "problem_count"))


def problems_read_back():
    """The old path: every letter's problems recomputed from the letters read back."""
    LetterProblem.objects.all().delete()
    Letter.objects.update(problem_count=0)
    ids = sorted(Letter.objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 7):  # in chunks, as the loader does (neighbours across chunks)
        checks.refresh_letters(ids[start : start + 7])
    return stored_problems()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Three synthetic volumes of 40 documents (seed 5): people, sources, references across volumes."""
    out = tmp_path_factory.mktemp("synthetic")
    return [volume.path for volume in generate_corpus(out, 3, 5, documents=40).volumes]


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [500, 3])
def test_a_first_import_stores_the_problems_the_letters_read_back_give(batch_size, monkeypatch, synthetic):
    monkeypatch.setattr(loader, "BATCH_SIZE", batch_size)
    for paths in ([SEED_REAGAN], [TEI_V33], [TEI_QUEBEC], *[[path] for path in synthetic]):
        result = import_paths(paths, identifier="frus1981-88v04" if paths == [SEED_REAGAN] else "", publish=True)
        assert not result.failures
    imported = stored_problems()
    kinds = {kind for _letter, kind, _detail in imported[0]}
    assert {"undated", "unresolved_reference"} <= kinds  # the volume's end corrected stored counts
    assert sum(imported[1].values()) == len(imported[0])
    assert imported == problems_read_back()


@pytest.mark.django_db
def test_counts_stored_provisionally_are_corrected_at_the_volumes_end():
    """The seed d328's six references into its own volume do not resolve: at its batch they were
    taken as resolving (count 1, undated), the volume's end stores 7."""
    import_paths([SEED_REAGAN], identifier="frus1981-88v04", publish=True)
    letter = Letter.objects.get(number=328)
    assert letter.problem_count == 7 == LetterProblem.objects.filter(letter=letter).count()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored search index is PostgreSQL's")
@pytest.mark.parametrize("batch_size", [500, 4])
def test_vectors_computed_at_insert_are_those_reindex_letters_computes(batch_size, monkeypatch, synthetic):
    assert loader.staged_letters_sql() is not None  # REINDEX_SQL has the shape the loader reads
    monkeypatch.setattr(loader, "BATCH_SIZE", batch_size)
    for path in [TEI_V33, TEI_QUEBEC, *synthetic]:
        assert not import_paths([path], publish=True).failures

    def index():
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, search_vector::text, facet_keys FROM catalog_letter ORDER BY id")
            rows = cursor.fetchall()
            cursor.execute("SELECT key, n FROM catalog_facetcount WHERE n <> 0 ORDER BY key")
            return rows, cursor.fetchall()

    imported, counts = index()
    assert len(imported) == Letter.objects.count() > 100
    assert all(vector and keys for _pk, vector, keys in imported)
    assert search.reindex_letters(None) == len(imported)
    assert index() == (imported, counts)
    with connection.cursor() as cursor:  # the counts kept by trigger are the counts afresh
        cursor.execute(
            "SELECT k, count(*) FROM catalog_letter l, unnest(l.facet_keys || '{#}'::text[]) k "
            "WHERE l.status = 'published' GROUP BY k ORDER BY k"
        )
        assert cursor.fetchall() == counts
