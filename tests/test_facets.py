"""The public search table and the facet counts read from it (PostgreSQL; ``catalog.facets``).

Ground truth is the ORM's own definition of a facet (``catalog.queries.facet_values`` over the
letters with the other facets' filters applied, as SQLite counts them); the search table's counts
must equal it for every combination tried, and the table must follow every write."""

import pytest
from django.db import connection
from django.http import QueryDict

from catalog import facets, queries, workflow
from catalog.models import Letter
from catalog.search import reindex_letters

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's search table"),
]


def table() -> dict[int, tuple]:
    """The search table as text: letter → (date, sorted facet keys, vector)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.letter_id, s.date_min,"
            " ARRAY(SELECT f.key FROM catalog_facetkey f WHERE f.id = ANY(s.keys) ORDER BY 1),"
            " s.vector::text, s.packed = (SELECT coalesce(string_agg(int4send(x), ''::bytea ORDER BY x), ''::bytea)"
            " FROM unnest(s.keys) x) FROM catalog_searchdoc s"
        )
        rows = cursor.fetchall()
    assert all(row[4] for row in rows), "packed keys differ from the keys"
    return {row[0]: row[1:4] for row in rows}


def expected() -> dict[int, tuple]:
    """What the table should hold: every published letter, from its own columns."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, date_min, ARRAY(SELECT k FROM unnest(facet_keys) k ORDER BY 1), search_vector::text"
            " FROM catalog_letter WHERE status = 'published'"
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def test_the_search_table_holds_every_published_letter_and_nothing_else(import_catalog):
    rows = table()
    assert len(rows) == 20 and rows == expected()
    d193 = Letter.objects.get(volume__identifier="frus1969-76v33", number=193)
    assert "adm:carter" in rows[d193.pk][1] and "'brezhnev':" in rows[d193.pk][2]


def test_the_search_table_follows_every_write(import_catalog, django_user_model):
    editor = django_user_model.objects.create_user("chief", password="pw-for-tests", is_superuser=True)
    d193 = Letter.objects.get(volume__identifier="frus1969-76v33", number=193)
    workflow.apply(workflow.MOVES["withdraw"], Letter.objects.filter(pk=d193.pk), editor, "superseded")
    assert d193.pk not in table() and table() == expected() and len(table()) == 19
    Letter.objects.filter(number=328).delete()
    assert len(table()) == 18 and table() == expected()
    Letter.objects.filter(pk=d193.pk).update(status=Letter.Status.PUBLISHED, doc_type="telegram")
    assert table()[d193.pk][1] == expected()[d193.pk][1]  # published again, keys as stored
    reindex_letters([d193.pk])
    assert "type:telegram" in table()[d193.pk][1] and table() == expected()
    Letter.objects.filter(pk=d193.pk).update(title="Brezhnev and the Zanzibarian question")
    reindex_letters([d193.pk])
    assert "'zanzibarian':" in table()[d193.pk][2] and table() == expected()
    Letter.objects.filter(volume__identifier="frus1944Quebec").update(status=Letter.Status.DRAFT)
    assert len(table()) == 11 and table() == expected()  # 19 less Quebec's 8


def test_a_draft_import_adds_nothing_until_published(import_seeds, django_user_model):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import TEI_QUEBEC

    import_paths([TEI_QUEBEC])
    assert len(table()) == 2 and table() == expected()
    editor = django_user_model.objects.create_user("chief", password="pw-for-tests", is_superuser=True)
    quebec = Letter.objects.filter(volume__identifier="frus1944Quebec")
    for move in ("submit", "approve"):
        workflow.apply(workflow.MOVES[move], quebec, editor)
    assert len(table()) == 2
    workflow.apply(workflow.MOVES["publish"], quebec, editor)  # one statement for the volume
    assert len(table()) == 10 and table() == expected()


def orm_facets(params: str) -> tuple[dict, int]:
    """The ORM's facets and count (the definition SQLite uses), for comparison."""
    letter_filter = queries.LetterFilter(QueryDict(params), queryset=queries.list_letters())
    rows = {}
    for name in queries.FACETS:
        ids = list(letter_filter.queryset_without(name).values_list("pk", flat=True))
        rows[name] = queries.facet_values(name, Letter.objects.filter(pk__in=ids))
    return rows, letter_filter.qs.count()


def table_facets(params: str) -> tuple[dict, int]:
    letter_filter = queries.LetterFilter(QueryDict(params), queryset=queries.list_letters())
    return queries.stored_facets(letter_filter)


def strip(rows: dict) -> dict:
    return {name: sorted((r["value"], r["count"]) for r in values) for name, values in rows.items()}


@pytest.mark.parametrize(
    "params",
    [
        "q=SALT",
        "q=President",
        "q=%22arms+control%22",
        "q=SALT+-Brezhnev",
        "q=Brezhnev+or+Churchill",
        "q=salt&scope=footnotes",
        "q=Vance&scope=body",
        "q=SALT&person=jimmy-carter&administration=carter",
        "q=SALT&doc_type=telegram",
        "doc_type=telegram",
        "doc_type=telegram&doc_type=memorandum",
        "volume=frus1969-76v33&doc_type=telegram&year=1978",
        "person=gromyko&person=churchill&volume=frus1981-88v04",
        "sender=jimmy-carter&recipient=brezhnev",
        "repository=Carter+Library",
        "classification=no-marking&year=1970s",
        "date_from=1978-03&date_to=1978-12",
        "date_from=1978&q=SALT&administration=carter&administration=fd-roosevelt",
        "year_from=1978&year_to=1979",
        "q=Zanzibarian",
        "q=SALT&volume=frus1944Quebec",
    ],
)
def test_the_tables_counts_are_the_orms_counts(import_catalog, params):
    rows, total = table_facets(params)
    truth, truth_total = orm_facets(params)
    assert total == truth_total
    assert strip(rows) == strip(truth)


def test_counts_come_from_the_search_table(import_catalog):
    """What the page shows is the search table's: a row taken out of it is not counted."""
    d193 = Letter.objects.get(volume__identifier="frus1969-76v33", number=193)
    rows, total = table_facets("q=SALT")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalog_searchdoc WHERE letter_id = %s", [d193.pk])
    rows_after, total_after = table_facets("q=SALT")
    assert total_after == total - 1
    assert dict(strip(rows_after)["volume"])["frus1969-76v33"] == dict(strip(rows)["volume"])["frus1969-76v33"] - 1


def test_a_filter_the_table_does_not_know_falls_back_to_the_letters(import_catalog, monkeypatch):
    monkeypatch.setattr(facets, "SEARCHDOC_FILTERS", frozenset({"scope", "sort"}))
    rows, total = table_facets("q=SALT&doc_type=telegram")
    truth, truth_total = orm_facets("q=SALT&doc_type=telegram")
    assert total == truth_total and strip(rows) == strip(truth)


def test_key_numbers_are_read_again_after_the_table_is_recreated(import_catalog):
    facets.preload()
    before = table_facets("q=SALT")
    with connection.cursor() as cursor:
        # the numbers change under the same keys (a restored backup): the mapping is read again
        cursor.execute("CREATE TEMPORARY TABLE keep AS SELECT * FROM catalog_facetkey")
        cursor.execute("TRUNCATE catalog_facetkey")
        cursor.execute("INSERT INTO catalog_facetkey SELECT id + 1000, key FROM keep")
        cursor.execute(
            "UPDATE catalog_searchdoc SET keys = ARRAY(SELECT x + 1000 FROM unnest(keys) x),"
            " packed = (SELECT coalesce(string_agg(int4send(x + 1000), ''::bytea ORDER BY x), ''::bytea)"
            " FROM unnest(keys) x)"
        )
    assert table_facets("q=SALT") == before
