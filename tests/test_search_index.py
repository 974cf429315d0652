"""The stored search index of PostgreSQL (issue 12): one weighted vector and the facet keys per
letter, written by ONE set-based statement (``catalog.search.reindex_letters``)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Footnote, Letter
from catalog.search import reindex_letters, search

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stored index")


def stored(letter, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM catalog_letter WHERE id = %s", [letter.pk])  # noqa: S608
        return cursor.fetchone()[0]


@postgres_only
def test_the_stored_columns_and_their_gin_indexes_exist(import_seeds):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('letter_search_vector_gin', 'letter_facet_keys_gin') ORDER BY indexname"
        )
        rows = cursor.fetchall()
    assert [name for name, _ in rows] == ["letter_facet_keys_gin", "letter_search_vector_gin"]
    assert all("USING gin" in definition for _, definition in rows)


@postgres_only
def test_the_import_fills_the_weighted_vector_and_the_facet_keys(import_seeds):
    letter = Letter.objects.get(number=193)
    vector = stored(letter, "search_vector")
    assert "'brezhnev':" in vector and "A" in vector.split("'brezhnev':")[1].split(" ")[0]  # in the heading
    assert "'backfir':" in vector  # in the body (weight B is printed as no letter… or B)
    keys = stored(letter, "facet_keys")
    people = {f"person:{link.person_id}" for link in letter.letter_people.all()}
    people |= {f"{link.role}:{link.person_id}" for link in letter.letter_people.exclude(role="mentioned")}
    assert letter.date_min is None and letter.administration == ""  # the seed is undated: no year key
    assert sorted(keys) == sorted(
        [f"vol:{letter.volume_id}", "type:letter", "class:no-marking", "repo:Carter Library", *people]
    )
    dated = Letter.objects.filter(date_min__isnull=False).first()
    if dated:
        assert f"year:{dated.date_min.year}" in stored(dated, "facet_keys")


@postgres_only
def test_reindex_is_one_statement_for_many_letters(import_seeds):
    ids = list(Letter.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_letter SET search_vector = NULL, facet_keys = NULL")
    assert search(Letter.objects.all(), "Backfire").count() == 0
    with CaptureQueriesContext(connection) as context:
        assert reindex_letters(ids) == 2
    assert len(context.captured_queries) == 1
    assert search(Letter.objects.all(), "Backfire").count() == 1
    assert reindex_letters([]) == 0


@postgres_only
def test_footnotes_weigh_least_and_edits_need_a_reindex(import_seeds):
    letter = Letter.objects.get(number=193)
    note = Footnote.objects.filter(letter=letter).order_by("number").first()
    note.text += " Zeppelin"
    note.save()
    assert not search(Letter.objects.all(), "zeppelin").exists()  # stale until reindexed
    reindex_letters([letter.pk])
    assert list(search(Letter.objects.all(), "zeppelin", "footnotes").values_list("number", flat=True)) == [193]
    assert not search(Letter.objects.all(), "zeppelin", "body").exists()
    letter.title = letter.title + " Zeppelin"
    letter.save()
    reindex_letters([letter.pk])
    in_heading = search(Letter.objects.all(), "zeppelin").get().rank
    assert in_heading > search(Letter.objects.all(), "zeppelin", "footnotes").get().rank * 0  # ranked
    other = Letter.objects.get(number=328)
    Footnote.objects.create(letter=other, number=99, text="Zeppelin", content=[])
    reindex_letters([other.pk])
    ranked = list(search(Letter.objects.all(), "zeppelin").order_by("-rank").values_list("number", flat=True))
    assert ranked == [193, 328]  # heading (A) before footnote (C)


@postgres_only
def test_scopes_with_a_negated_word(import_seeds):
    # "Geneva" is in d328's body and a footnote; "Public Papers" in its footnote only.
    assert list(search(Letter.objects.all(), "Geneva -Papers", "body").values_list("number", flat=True)) == [328]
    assert not search(Letter.objects.all(), "Geneva -Papers", "footnotes").exists()
    assert not search(Letter.objects.all(), "Geneva -Papers").exists()


def test_reindex_is_a_no_op_elsewhere(import_seeds):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite and others only")
    assert reindex_letters([1, 2]) == 0


# -- query counts per page ------------------------------------------------------------------------


@postgres_only
@pytest.mark.parametrize(
    ("url", "most"),
    [
        # facets and the count (one pass), volume labels, people labels, the page, its people
        ("/letters/", 5),
        # + the selected facets' key numbers (catalog.facets._matches: one statement for all)
        ("/letters/?volume=frus1969-76v33&doc_type=telegram&year=1978&page=2", 6),
        # + snippets of bodies and of footnotes
        ("/letters/?q=SALT&person=jimmy-carter&administration=carter", 8),
        ("/letters/?q=%22arms+control%22&scope=footnotes&sort=-date", 7),
        # + errata, sources and references of the page
        ("/api/letters/?q=SALT&classification=top-secret", 11),
        ("/api/letters/", 8),
    ],
)
def test_list_and_search_query_counts(client, import_catalog, django_assert_max_num_queries, url, most):
    from catalog import facets

    facets.preload()  # the facet keys' numbers, read once per process (and by this import's new keys)
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200


# -- the kept counts of the published catalog (migration 0011) ---------------------------------------


def kept_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, n FROM catalog_facetcount WHERE n <> 0")
        return dict(cursor.fetchall())


def recounted() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k, count(*) FROM catalog_letter, unnest(facet_keys || '{#}'::text[]) k"
            " WHERE status = 'published' GROUP BY k"
        )
        return dict(cursor.fetchall())


@postgres_only
def test_the_kept_counts_follow_every_write(import_catalog, django_user_model):
    from catalog import workflow

    assert kept_counts() == recounted()
    assert kept_counts()["#"] == 20
    editor = django_user_model.objects.create_user("chief", password="pw-for-tests", is_superuser=True)
    d193 = Letter.objects.get(volume__identifier="frus1969-76v33", number=193)
    workflow.apply(workflow.MOVES["withdraw"], Letter.objects.filter(pk=d193.pk), editor, "superseded")
    counts = kept_counts()
    assert counts["#"] == 19 and counts == recounted()  # a withdrawn letter is never counted
    assert counts["type:letter"] == 2  # was 3
    Letter.objects.filter(number=328).delete()
    assert kept_counts() == recounted() and kept_counts()["#"] == 18
    Letter.objects.filter(pk=d193.pk).update(status=Letter.Status.PUBLISHED, doc_type="telegram")
    assert kept_counts()["#"] == 19 and kept_counts()["type:letter"] == 2  # keys stale until reindexed
    reindex_letters([d193.pk])
    assert kept_counts() == recounted() and kept_counts()["type:letter"] == 1


@postgres_only
def test_the_unfiltered_list_reads_the_kept_counts(client, import_catalog, django_assert_max_num_queries):
    with connection.cursor() as cursor:  # what the page shows comes from the kept counts
        cursor.execute("UPDATE catalog_facetcount SET n = n + 100 WHERE key = 'type:telegram'")
    response = client.get("/letters/")
    rows = {row["value"]: row["count"] for row in response.context["facets"]["doc_type"]}
    assert rows["telegram"] == 108 and response.context["page"].paginator.count == 20
    # one facet: its own counts kept, the others counted over the selected letters only
    response = client.get("/letters/?doc_type=memorandum")
    rows = {row["value"]: row["count"] for row in response.context["facets"]["doc_type"]}
    assert rows["telegram"] == 108 and rows["memorandum"] == 6
    assert response.context["page"].paginator.count == 6
    assert {row["value"]: row["count"] for row in response.context["facets"]["volume"]} == {"frus1969-76v33": 6}


# -- the RUM index (migration 0012) ----------------------------------------------------------------


@postgres_only
def test_relevance_order_by_rum_distance_or_ts_rank_without_it(import_catalog):
    from catalog import search as search_module

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        available = cursor.fetchone() is not None
    search_module.forget_rum()
    try:
        assert search_module.rum_index() is available
        hits = search(Letter.objects.all(), "Brezhnev")
        by_rank = list(hits.order_by("-rank", "pk").values_list("pk", flat=True))
        assert len(by_rank) > 3
        order = search_module.relevance_order(hits)
        assert list(hits.order_by(*order, "pk").values_list("pk", flat=True)) == by_rank  # 1 / ts_rank
        if available:
            assert "<=>" in str(hits.order_by(*order).query)
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS searchdoc_vector_rum")  # rolled back with the test
        search_module.forget_rum()
        assert search_module.rum_index() is False
        hits = search(Letter.objects.all(), "Brezhnev")
        assert "<=>" not in str(hits.order_by(*search_module.relevance_order(hits)).query)
        assert list(hits.order_by(*search_module.relevance_order(hits), "pk").values_list("pk", flat=True)) == by_rank
    finally:
        search_module.forget_rum()


def test_no_rum_elsewhere(import_seeds):
    from catalog import search as search_module

    if connection.vendor == "postgresql":
        pytest.skip("SQLite and others only")
    assert search_module.rum_index() is False
    hits = search(Letter.objects.all(), "Brezhnev")
    assert search_module.relevance_order(hits)[0].expression.name == "rank"


@postgres_only
@pytest.mark.parametrize("word", ["President", "Brezhnev", "SALT"])
def test_a_ranked_page_from_the_top_hits_is_the_fully_sorted_page(import_catalog, word):
    """``ranked_slice`` (RUM) gives exactly what sorting every hit gives, ties broken by date,
    volume and number — also when the ties run past the first candidates (``extra`` of 1)."""
    from catalog import search as search_module
    from catalog.queries import DATE_ORDER, list_letters

    search_module.forget_rum()
    try:
        if not search_module.rum_index():
            pytest.skip("no rum extension here")
        hits = search(list_letters(), word)
        every = list(hits.order_by("distance", *DATE_ORDER).values_list("pk", flat=True))
        assert len(every) >= 3
        for bottom, top in [(0, 1), (0, 3), (1, 4), (2, len(every)), (0, len(every) + 5), (len(every), len(every) + 2)]:
            for extra in (1, 50):
                page = search_module.ranked_slice(hits, bottom, top, DATE_ORDER, extra=extra)
                assert [letter.pk for letter in page] == every[bottom:top], (bottom, top, extra)
    finally:
        search_module.forget_rum()


@postgres_only
@pytest.mark.parametrize(
    "params",
    [
        "q=President",
        "q=SALT&administration=carter",
        "q=SALT&date_from=1978&person=jimmy-carter&person=brezhnev",
        "q=%22arms+control%22&scope=footnotes&doc_type=memorandum&doc_type=telegram",
    ],
)
def test_a_ranked_page_from_the_search_tables_top_hits_is_the_fully_sorted_page(import_catalog, params):
    """The candidates read in the search table's RUM order with every filter applied
    (``catalog.facets.top_hits``) give the page that sorting every hit of the letters gives."""
    from django.http import QueryDict

    from catalog import facets
    from catalog import search as search_module
    from catalog.queries import DATE_ORDER, FACETS, LetterFilter, _selection_keys, list_letters

    search_module.forget_rum()
    try:
        if not search_module.rum_index():
            pytest.skip("no rum extension here")
        letter_filter = LetterFilter(QueryDict(params), queryset=list_letters())
        data = letter_filter.cleaned()
        selections = [_selection_keys(name, values) for name in FACETS if (values := data.get(name))]
        hits = letter_filter.sorted_qs()
        every = list(hits.order_by("distance", *DATE_ORDER).values_list("pk", flat=True))
        assert len(every) >= 2
        # in the RUM index's order (many hits), or the hits sorted by the same distance (few)
        for count in (None, 1):
            top = facets.top_hits(letter_filter, data, selections, 100, count)
            assert sorted(pk for pk, _ in top) == sorted(every)  # the same letters, filters and all
            for bottom, upto in [(0, 1), (0, 3), (1, 4), (0, len(every) + 5)]:
                for extra in (1, 50):
                    page = search_module.ranked_slice(
                        hits,
                        bottom,
                        upto,
                        DATE_ORDER,
                        extra=extra,
                        candidates=lambda limit, n=count: facets.top_hits(letter_filter, data, selections, limit, n),
                    )
                    assert [letter.pk for letter in page] == every[bottom:upto], (bottom, upto, extra, count)
    finally:
        search_module.forget_rum()
